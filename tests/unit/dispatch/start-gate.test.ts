// The start gate's timing rule, without a database: wait for a rescheduled time, go when due, hold when too late.
import { describe, expect, it } from 'vitest';
import { EARLY_TOLERANCE_MS, startTiming } from '../../../src/dispatch/start-gate.js';

const now = new Date('2026-03-01T12:00:00Z');
const minutes = (n: number) => n * 60_000;
const ago = (ms: number) => new Date(now.getTime() - ms);
const HOUR_LIMIT = { now, maxLatenessMs: minutes(60) }; // HERALD_MAX_LATENESS_MINUTES' default

describe('startTiming', () => {
  it('measures an unscheduled dispatch from when it was published', () => {
    expect(startTiming({ scheduledAt: null, createdAt: ago(minutes(10)) }, HOUR_LIMIT)).toEqual({ kind: 'due', dueAt: ago(minutes(10)), lateMinutes: 10 });
    expect(startTiming({ scheduledAt: null, createdAt: ago(minutes(61)) }, HOUR_LIMIT)).toEqual({ kind: 'late', dueAt: ago(minutes(61)), lateMinutes: 61 });
  });

  it('measures a scheduled dispatch from its time, not from when it was published', () => {
    const row = { scheduledAt: ago(minutes(5)), createdAt: ago(minutes(24 * 60)) };
    expect(startTiming(row, HOUR_LIMIT)).toEqual({ kind: 'due', dueAt: row.scheduledAt, lateMinutes: 5 });
  });

  it('still sends a dispatch exactly the limit late', () => {
    expect(startTiming({ scheduledAt: ago(minutes(60)), createdAt: ago(minutes(90)) }, HOUR_LIMIT)).toMatchObject({ kind: 'due', lateMinutes: 60 });
  });

  it('holds one a millisecond over the limit, saying by how many whole minutes', () => {
    const scheduledAt = ago(minutes(60) + 1);
    expect(startTiming({ scheduledAt, createdAt: ago(minutes(90)) }, HOUR_LIMIT)).toEqual({ kind: 'late', dueAt: scheduledAt, lateMinutes: 60 });
  });

  it('follows a custom limit (HERALD_MAX_LATENESS_MINUTES=5)', () => {
    const fiveMinutes = { now, maxLatenessMs: minutes(5) };
    expect(startTiming({ scheduledAt: ago(minutes(4)), createdAt: ago(minutes(30)) }, fiveMinutes).kind).toBe('due');
    expect(startTiming({ scheduledAt: ago(minutes(5)), createdAt: ago(minutes(30)) }, fiveMinutes).kind).toBe('due');
    expect(startTiming({ scheduledAt: ago(minutes(6)), createdAt: ago(minutes(30)) }, fiveMinutes)).toMatchObject({ kind: 'late', lateMinutes: 6 });
  });

  it('waits for a time still ahead (a reschedule whose job update did not land)', () => {
    const scheduledAt = new Date(now.getTime() + minutes(30));
    expect(startTiming({ scheduledAt, createdAt: ago(minutes(1)) }, HOUR_LIMIT)).toEqual({ kind: 'early', at: scheduledAt });
  });

  it('counts a job woken up to a second early as due (the clocks of Redis and Node differ)', () => {
    const at = (aheadMs: number) => ({ scheduledAt: new Date(now.getTime() + aheadMs), createdAt: ago(minutes(1)) });
    expect(startTiming(at(EARLY_TOLERANCE_MS), HOUR_LIMIT).kind).toBe('due');
    expect(startTiming(at(EARLY_TOLERANCE_MS + 1), HOUR_LIMIT).kind).toBe('early');
  });
});
