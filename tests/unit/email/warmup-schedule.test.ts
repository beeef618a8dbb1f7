// The warm-up's daily caps by day of the schedule, and how its settings read.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { capOn, dayOf, nextDayStart, parseWarmupCaps } from '../../../src/email/pacing/warmup-schedule.js';

describe('warm-up schedule', () => {
  const schedule = { start: '2026-12-01', caps: [500, 1000, 2000] };

  it('gives each day its cap, day 1 before the start, and none after the last day', () => {
    expect(['2026-11-20', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2027-03-01'].map((d) => capOn(schedule, d)))
      .toEqual([500, 500, 1000, 2000, undefined, undefined]);
  });

  it('counts days in UTC', () => {
    expect(dayOf(Date.parse('2026-12-01T23:59:59.999Z'))).toBe('2026-12-01');
    expect(nextDayStart(Date.parse('2026-12-01T13:00:00Z'))).toBe(Date.parse('2026-12-02T00:00:00Z'));
  });

  it('reads its settings and says what is wrong', () => {
    expect(parseWarmupCaps('500, 1000,2000')).toEqual([500, 1000, 2000]);
    expect(() => parseWarmupCaps('500,lots')).toThrow(/"lots"/);
    const config = loadConfig({ HERALD_WARMUP_SCHEDULE: '500,1000', HERALD_WARMUP_START: '2026-12-01', EMAIL_PROVIDER_LIMITS: 'gmail=10:20, other=0:5' });
    expect(config.HERALD_WARMUP_SCHEDULE).toEqual([500, 1000]);
    expect(config.EMAIL_PROVIDER_LIMITS).toEqual({ gmail: { connections: 10, ratePerSecond: 20 }, other: { connections: 0, ratePerSecond: 5 } });
    expect(() => loadConfig({ HERALD_WARMUP_SCHEDULE: '500' })).toThrow(/HERALD_WARMUP_START: HERALD_WARMUP_SCHEDULE and HERALD_WARMUP_START go together/);
    expect(() => loadConfig({ EMAIL_PROVIDER_LIMITS: 'hotmail=1:1' })).toThrow(/EMAIL_PROVIDER_LIMITS: names no provider group: hotmail/);
    expect(() => loadConfig({ EMAIL_PROVIDER_GROUPS: 'gmx' })).toThrow(/EMAIL_PROVIDER_GROUPS/);
    expect(() => loadConfig({ HERALD_WARMUP_START: '2026-13-45', HERALD_WARMUP_SCHEDULE: '5' })).toThrow(/HERALD_WARMUP_START/);
  });
});
