// Where a wave's job lives in BullMQ when an editor moves the wave: the delay changed in place, or the job replaced.
// The row stays the source of truth (the wave job re-reads it), so a job that could not be moved does no harm.
import type { Queue } from 'bullmq';
import type { WaveRow } from '../db/schema.js';
import { jobIds } from '../queue/queues.js';
import type { Clock } from '../runtime/clock.js';
import type { DispatchPriority } from './priority.js';
import { queueWave } from './step-jobs.js';

export async function placeWaveJob(queue: Queue, wave: WaveRow, priority: DispatchPriority, clock: Clock): Promise<void> {
  const job = await queue.getJob(jobIds.wave(wave.dispatchId, wave.waveNo));
  if (job) {
    const state = await job.getState();
    if (state === 'delayed') {
      try {
        await job.changeDelay(Math.max(0, wave.fireAt.getTime() - clock.now()));
        return;
      } catch {
        // It left the delayed set meanwhile: replaced below.
      }
    }
    // Running: it re-reads the row and waits for the new instant itself.
    if (state === 'active' || (await job.isActive())) return;
    await job.remove().catch(() => undefined);
  }
  await queueWave({ dispatch: queue }, wave, priority, clock);
}
