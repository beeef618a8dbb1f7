// An editor's local time → the instant it means, on ordinary days and on the days the clocks change.
import { describe, expect, it } from 'vitest';
import { isTimeZone, resolveScheduledTime } from '../../../src/dispatch/schedule.js';

const at = (local: string, zone?: string) => resolveScheduledTime(local, zone).toISOString();

describe('resolveScheduledTime', () => {
  it('takes a time with an offset as that instant, whatever zone is named', () => {
    expect(at('2026-03-29T09:00:00+02:00', 'America/New_York')).toBe('2026-03-29T07:00:00.000Z');
    expect(at('2026-03-29T09:00:00Z', 'Europe/Berlin')).toBe('2026-03-29T09:00:00.000Z');
  });

  it('takes a time without an offset or zone as UTC', () => {
    expect(at('2026-03-29T09:00:00')).toBe('2026-03-29T09:00:00.000Z');
  });

  it('uses the offset of the day asked for, not of today: 09:00 in Berlin the day before and the day of the spring change', () => {
    expect(at('2026-03-28T09:00:00', 'Europe/Berlin')).toBe('2026-03-28T08:00:00.000Z'); // CET, +1
    expect(at('2026-03-29T09:00:00', 'Europe/Berlin')).toBe('2026-03-29T07:00:00.000Z'); // CEST, +2
    expect(at('2026-10-25T09:00:00', 'Europe/Berlin')).toBe('2026-10-25T08:00:00.000Z'); // CET again
  });

  it('reads the hours next to the spring change with the offset on their side of it (Berlin, 29 March 2026)', () => {
    expect(at('2026-03-29T01:59:59', 'Europe/Berlin')).toBe('2026-03-29T00:59:59.000Z');
    expect(at('2026-03-29T03:00:00', 'Europe/Berlin')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('reads the hours next to the autumn change with the offset on their side of it (Berlin, 25 October 2026)', () => {
    expect(at('2026-10-25T01:30:00', 'Europe/Berlin')).toBe('2026-10-24T23:30:00.000Z');
    expect(at('2026-10-25T03:30:00', 'Europe/Berlin')).toBe('2026-10-25T02:30:00.000Z');
  });

  it.each([
    ['Europe/Berlin', '2026-03-29T02:30:00', '2026-03-29T01:30:00.000Z'], // = 03:30 CEST
    ['America/New_York', '2026-03-08T02:30:00', '2026-03-08T07:30:00.000Z'], // = 03:30 EDT
    ['Australia/Sydney', '2026-10-04T02:30:00', '2026-10-03T16:30:00.000Z'], // = 03:30 AEDT
  ])('moves a time the spring change skips forward by the skipped hour, never earlier than asked (%s)', (zone, local, utc) => {
    expect(at(local, zone)).toBe(utc);
  });

  it.each([
    ['Europe/Berlin', '2026-10-25T02:30:00', '2026-10-25T00:30:00.000Z'], // 02:30 CEST, not 02:30 CET
    ['America/New_York', '2026-11-01T01:30:00', '2026-11-01T05:30:00.000Z'], // 01:30 EDT, not 01:30 EST
    ['Australia/Sydney', '2026-04-05T02:30:00', '2026-04-04T15:30:00.000Z'], // 02:30 AEDT, not 02:30 AEST
  ])('takes the first of the two times the autumn change repeats (%s)', (zone, local, utc) => {
    expect(at(local, zone)).toBe(utc);
  });

  it('keeps seconds and milliseconds across a change', () => {
    expect(at('2026-03-29T03:15:42.250', 'Europe/Berlin')).toBe('2026-03-29T01:15:42.250Z');
  });

  it('knows IANA zones and nothing else', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
