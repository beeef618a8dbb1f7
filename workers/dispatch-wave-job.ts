// Runs a wave's job: the wave's row decides (early → wait, paused → look again, sent or cancelled → nothing), then
// the wave's readers are fanned out and their batches queued.
import type { Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { completeDispatchIfDone } from '../src/dispatch/complete-dispatch.js';
import { queueEmailBatch, type WaveJobData } from '../src/dispatch/step-jobs.js';
import { claimWave } from '../src/dispatch/waves.js';
import { digestAudience } from '../src/digest/digest-audience.js';
import { fanOutWave } from '../src/email/fan-out.js';
import { settleJob } from '../src/queue/job-outcome.js';

/** How soon a due wave of a paused dispatch looks again (a resume wakes it sooner). */
const PAUSED_RECHECK_MS = 15_000;

export async function runWaveJob(ctx: HeraldContext, job: Job<WaveJobData>, token: string | undefined): Promise<unknown> {
  const { dispatchId, waveNo } = job.data;
  const claim = await claimWave(ctx.db, dispatchId, waveNo, new Date(ctx.clock.now()));
  switch (claim.kind) {
    case 'early':
      // Moved later by a reschedule whose job update did not land, or woken early: wait for the row's instant.
      return settleJob(job, token, { action: 'wait', at: claim.at.getTime() - (ctx.clock.now() - Date.now()) });
    case 'paused':
      return settleJob(job, token, { action: 'wait', at: Date.now() + PAUSED_RECHECK_MS });
    case 'done':
      return `wave ${claim.status}`;
    case 'claimed': {
      const result = await fanOutWave(ctx.db, dispatchId, claim.wave, {
        batchSize: ctx.config.EMAIL_BATCH_SIZE,
        enqueueBatch: (batchNo, priority) => queueEmailBatch(ctx.queues, dispatchId, batchNo, priority),
        ownAudience: (id) => digestAudience(ctx.db, id),
        installationZone: ctx.config.HERALD_TIMEZONE,
      });
      ctx.log.info({ event: 'email.wave_fanned_out', dispatchId, waveNo, zones: claim.wave.zones, ...result }, 'wave fanned out');
      await completeDispatchIfDone(ctx.db, dispatchId);
      return result;
    }
  }
}
