// The warm-up of a new sending domain: how many messages it may send on a given day, by the schedule of daily caps
// counted from its start date (days are UTC). Pure.

export interface WarmupSchedule {
  /** Day 1 of the schedule, `YYYY-MM-DD`. */
  start: string;
  /** Cap of day 1, day 2, …; after the last day there is no cap. */
  caps: number[];
}

const DAY_MS = 86_400_000;

/** The UTC day of `at`, `YYYY-MM-DD`. */
export function dayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The first millisecond of the UTC day after `at`'s. */
export function nextDayStart(at: number): number {
  return (Math.floor(at / DAY_MS) + 1) * DAY_MS;
}

/**
 * Today's cap, or undefined when the schedule has run out. A day before the start counts as day 1: a domain not yet
 * warmed up is not sent from at full volume.
 */
export function capOn(schedule: WarmupSchedule, day: string): number | undefined {
  const index = Math.max(0, Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${schedule.start}T00:00:00Z`)) / DAY_MS));
  return index < schedule.caps.length ? schedule.caps[index] : undefined;
}

/** Reads HERALD_WARMUP_SCHEDULE: `500,1000,2000` (positive whole numbers). Throws what is wrong. */
export function parseWarmupCaps(value: string): number[] {
  const caps = value.split(',').map((c) => c.trim()).filter(Boolean).map((c) => {
    if (!/^\d+$/.test(c) || Number(c) <= 0) throw new Error(`"${c}" is not a positive whole number`);
    return Number(c);
  });
  if (caps.length === 0) throw new Error('names no daily cap');
  return caps;
}
