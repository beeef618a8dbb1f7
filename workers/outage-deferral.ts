// A step interrupted because the database went away is not the step's fault: its job goes back to the delayed set
// (DelayedError spends no attempt) and runs again once the wait is over, so an outage delays a send and fails
// nobody. The wait grows with each start of the job, up to 30 s; a job that hits BullMQ's started-attempts bound
// is put back by the queue reconciler (src/dispatch/queue-reconciler.ts).
import { DelayedError, type Job } from 'bullmq';
import { isDatabaseUnavailable } from '../src/db/database-errors.js';
import type { OutageLog } from '../src/runtime/outage-log.js';

const MAX_WAIT_MS = 30_000;

export type OutageDeferral = <T>(job: Job, token: string | undefined, run: () => Promise<T>) => Promise<T>;

export function deferOnDatabaseOutage(outages: OutageLog): OutageDeferral {
  return async (job, token, run) => {
    try {
      const result = await run();
      outages.restored('database');
      return result;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || !token) throw error;
      outages.lost('database', error);
      const waitMs = Math.min(MAX_WAIT_MS, 500 * 2 ** Math.min(job.attemptsStarted ?? 1, 6));
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
  };
}
