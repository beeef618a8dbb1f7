// Where a dispatch's `start` job lives in BullMQ: moved when an editor reschedules or releases, the row staying the
// source of truth (the start gate re-reads it, so a job that could not be moved does no harm).
import type { Queue } from 'bullmq';
import { jobIds } from '../queue/queues.js';
import { queueStart } from './step-jobs.js';
import type { DispatchPriority } from './priority.js';

export type StartJobPlacement = 'delay-changed' | 'added' | 'running-now';

/** Makes the start job of `dispatchId` fire at `at` (now, if that has passed). */
export async function placeStartJob(queue: Queue, dispatchId: number, at: Date, priority: DispatchPriority): Promise<StartJobPlacement> {
  const jobId = jobIds.dispatchStart(dispatchId);
  const delay = () => Math.max(0, at.getTime() - Date.now());
  const job = await queue.getJob(jobId);
  if (job) {
    const state = await job.getState();
    if (state === 'delayed') {
      try {
        await job.changeDelay(delay());
        return 'delay-changed';
      } catch {
        // It left the delayed set meanwhile; treat it like any other stale job below.
      }
    }
    // An active start job re-reads the row: it waits for the new time itself, or starts a release.
    if (state === 'active' || (await job.isActive())) return 'running-now';
    // Completed (a held start), failed, or waiting with the old time: replace it, since a job id is only added once.
    await job.remove().catch(() => undefined);
  }
  await queueStart({ dispatch: queue }, dispatchId, at, priority);
  return 'added';
}
