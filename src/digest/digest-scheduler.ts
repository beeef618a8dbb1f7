// The two BullMQ job schedulers that fire digest runs: daily at DIGEST_TIME, weekly at DIGEST_TIME on DIGEST_WEEKDAY,
// both in DIGEST_TIMEZONE (cron in local time, so a digest stays at 08:00 across daylight-saving changes).
import { getNextMillis, type Queue, type RepeatStrategy } from 'bullmq';
import type { Config } from '../config/config.js';
import type { Clock } from '../runtime/clock.js';
import type { DigestCadence } from './digest-run.js';

export const DIGEST_JOB = 'digest';
export const DIGEST_SCHEDULER_IDS: Record<DigestCadence, string> = { daily: 'digest-daily', weekly: 'digest-weekly' };

/** What a digest job carries: the cadence, and for a run started by hand the end of its period. */
export interface DigestJobData {
  cadence: DigestCadence;
  /** ISO instant; a scheduled run uses the time it was due instead. */
  at?: string;
}

const WEEKDAY_NUMBERS: Record<Config['DIGEST_WEEKDAY'], number> = {
  sunday: 0, monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6,
};

export function digestCronPatterns(time: string, weekday: Config['DIGEST_WEEKDAY']): Record<DigestCadence, string> {
  const [hour, minute] = time.split(':').map(Number);
  return { daily: `${minute} ${hour} * * *`, weekly: `${minute} ${hour} * * ${WEEKDAY_NUMBERS[weekday]}` };
}

/**
 * When BullMQ fires a digest scheduler next: its cron pattern read on Herald's clock. BullMQ itself keeps time by
 * Date.now(); the difference between the two clocks is taken off again, so the job waits the right real time.
 */
export function digestRepeatStrategy(clock: Clock): RepeatStrategy {
  return (millis, opts) => {
    const skew = clock.now() - Date.now();
    const next = getNextMillis(millis + skew, opts);
    return next === undefined ? undefined : next - skew;
  };
}

/** The instant (on Herald's clock) a scheduled digest job was due: the end of the period it covers. */
export function scheduledRunAt(prevMillis: number, clock: Clock): Date {
  return new Date(prevMillis + clock.now() - Date.now());
}

/**
 * Creates or updates both schedulers; every worker process may call it, the last write wins and nothing doubles.
 * With DIGEST_SCHEDULERS=off they are removed instead.
 */
export async function scheduleDigests(
  queue: Queue,
  config: Pick<Config, 'DIGEST_TIME' | 'DIGEST_WEEKDAY' | 'DIGEST_TIMEZONE' | 'DIGEST_SCHEDULERS'>,
): Promise<void> {
  if (config.DIGEST_SCHEDULERS === 'off') {
    for (const id of Object.values(DIGEST_SCHEDULER_IDS)) await queue.removeJobScheduler(id);
    return;
  }
  const patterns = digestCronPatterns(config.DIGEST_TIME, config.DIGEST_WEEKDAY);
  for (const cadence of ['daily', 'weekly'] as const) {
    const data: DigestJobData = { cadence };
    await queue.upsertJobScheduler(
      DIGEST_SCHEDULER_IDS[cadence],
      { pattern: patterns[cadence], tz: config.DIGEST_TIMEZONE },
      { name: DIGEST_JOB, data, opts: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 } } },
    );
  }
}
