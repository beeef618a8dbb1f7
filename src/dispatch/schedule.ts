// Turns an editor's "at 09:00 in Europe/Berlin" into the instant it means, and validates what they typed.
import { z } from 'zod';

/** Whether `zone` is an IANA time zone this runtime knows (e.g. Europe/Berlin). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - (instant - (instant % 1000));
}

const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

const DAY_MS = 86_400_000;

/**
 * An ISO date-time with an offset means that instant; without one it is wall-clock time in `timeZone`
 * (UTC when none is given). On the days the clocks change (the rule of Temporal's `compatible` disambiguation):
 * a time that happens twice (the hour the clocks go back) means its first occurrence; a time that never happens
 * (the hour they skip) is moved forward by the skipped length, 02:30 → 03:30, so nothing goes out before the time asked.
 */
export function resolveScheduledTime(at: string, timeZone?: string): Date {
  if (HAS_OFFSET.test(at) || !timeZone) return new Date(HAS_OFFSET.test(at) ? at : `${at}Z`);
  const wallClockAsUtc = new Date(`${at}Z`).getTime();
  // A day either side is past any clock change near this time: the offsets before and after it.
  const offsetBefore = zoneOffset(wallClockAsUtc - DAY_MS, timeZone);
  const offsetAfter = zoneOffset(wallClockAsUtc + DAY_MS, timeZone);
  const readsAsAsked = (instant: number) => instant + zoneOffset(instant, timeZone) === wallClockAsUtc;
  const candidates = [wallClockAsUtc - offsetBefore, wallClockAsUtc - offsetAfter].filter(readsAsAsked);
  // None reads as asked: the skipped hour; the offset before the change puts it that much later.
  return new Date(candidates.length > 0 ? Math.min(...candidates) : wallClockAsUtc - offsetBefore);
}

/** An editor's schedule as typed: an ISO date-time (with or without offset) and an optional IANA zone. */
export const scheduleInput = z.object({
  at: z.string().datetime({ offset: true, local: true, message: 'must be an ISO-8601 date-time' }),
  timezone: z.string().refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' }).optional(),
});
