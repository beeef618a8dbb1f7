// Worker for the social queue: hands each delivery to the SocialPoster (a `retract` job to the SocialRetractor,
// a `correct` job to the SocialCorrector), completes the dispatch when that was its last open delivery, and maps the outcome onto BullMQ
// (src/queue/job-outcome.ts).
import { Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { completeDispatchIfDone } from '../src/dispatch/complete-dispatch.js';
import { complete, isFinalFailure, settleJob, type JobOutcome } from '../src/queue/job-outcome.js';
import { SOCIAL_CORRECT_JOB, SOCIAL_RETRACT_JOB, type SocialCorrectionJobData } from '../src/dispatch/step-jobs.js';
import type { CorrectOutcome, SocialCorrector } from '../src/social/social-corrector.js';
import type { PostOutcome, SocialPoster } from '../src/social/social-poster.js';
import type { RetractOutcome, SocialRetractor } from '../src/social/social-retractor.js';
import type { NetworkRateGate } from '../src/social/rate-gate.js';
import type { SocialJobData } from '../src/social/start-social.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import { scheduleEngagementReads } from '../src/social/engagement-schedule.js';
import type { OutageDeferral } from './outage-deferral.js';
import { reportWorkerErrors, workerOptions } from './worker-options.js';

/** How soon a post of a paused dispatch looks again. */
const PAUSED_RECHECK_MS = 2000;
/** How soon a retraction looks again at a post that is still being posted. */
const SENDING_RECHECK_MS = 1000;

export interface SocialWorkerDeps {
  poster: SocialPoster;
  retractor: SocialRetractor;
  corrector: SocialCorrector;
  gate: NetworkRateGate;
  deferOnOutage: OutageDeferral;
}

export function startSocialWorker(ctx: HeraldContext, deps: SocialWorkerDeps): Worker {
  const log = ctx.log.child({ component: 'social-worker' });
  for (const { network, missing } of ctx.social.all().filter((a) => !a.channel)) {
    log.info({ event: 'social.preview_mode', network, missing }, `${network}: preview mode, posts are composed but not sent`);
  }

  const toJobOutcome = async (job: Job<SocialJobData>, outcome: PostOutcome): Promise<JobOutcome> => {
    switch (outcome.kind) {
      case 'sent':
        // Its metrics are read back later (1 h, 24 h, 7 days); a failure to queue them must not undo the post.
        await scheduleEngagementReads(ctx.queues, job.data.deliveryId, job.data.network, new Date()).catch((error: unknown) =>
          log.warn({ event: 'social.engagement_unscheduled', deliveryId: job.data.deliveryId, err: error }, 'metric reads not queued'));
        await completeDispatchIfDone(ctx.db, job.data.dispatchId);
        return complete(outcome);
      case 'done':
      case 'uncertain':
        await completeDispatchIfDone(ctx.db, job.data.dispatchId);
        return complete(outcome);
      case 'failed':
        await completeDispatchIfDone(ctx.db, job.data.dispatchId);
        return { action: 'fail', reason: outcome.reason };
      case 'retry':
        return { action: 'retry', reason: outcome.reason }; // BullMQ's exponential backoff, one attempt spent
      case 'rate_limited':
        await deps.gate.hold(job.data.network, outcome.resetAt);
        return { action: 'wait', at: outcome.resetAt.getTime() };
      case 'paused':
        return { action: 'wait', at: Date.now() + PAUSED_RECHECK_MS };
    }
  };

  const retractionOutcome = async (job: Job<SocialJobData>, outcome: RetractOutcome): Promise<JobOutcome> => {
    switch (outcome.kind) {
      case 'done':
        return complete(outcome);
      case 'wait':
        return { action: 'wait', at: Date.now() + SENDING_RECHECK_MS };
      case 'retry':
        return { action: 'retry', reason: outcome.reason };
      case 'rate_limited':
        await deps.gate.hold(job.data.network, outcome.resetAt);
        return { action: 'wait', at: outcome.resetAt.getTime() };
    }
  };

  const correctionOutcome = async (job: Job<SocialJobData>, outcome: CorrectOutcome): Promise<JobOutcome> => {
    switch (outcome.kind) {
      case 'done':
        return complete(outcome);
      case 'retry':
        return { action: 'retry', reason: outcome.reason };
      case 'rate_limited':
        await deps.gate.hold(job.data.network, outcome.resetAt);
        return { action: 'wait', at: outcome.resetAt.getTime() };
    }
  };

  const runJob = async (job: Job<SocialJobData>, token?: string) => {
    const { deliveryId, network } = job.data;
    const heldMs = await deps.gate.remainingMs(network);
    if (heldMs > 0) return settleJob(job, token, { action: 'wait', at: Date.now() + heldMs });

    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (job.name === SOCIAL_CORRECT_JOB) {
      const { correctionDeliveryId } = job.data as unknown as SocialCorrectionJobData;
      return settleJob(job, token, await correctionOutcome(job, await deps.corrector.correct(correctionDeliveryId, { finalAttempt })));
    }
    if (job.name === SOCIAL_RETRACT_JOB) {
      return settleJob(job, token, await retractionOutcome(job, await deps.retractor.retract(deliveryId, { finalAttempt })));
    }
    const outcome = await deps.poster.post(deliveryId, { finalAttempt });
    return settleJob(job, token, await toJobOutcome(job, outcome));
  };
  const processor = (job: Job<SocialJobData>, token?: string) => deps.deferOnOutage(job, token, () => runJob(job, token));

  const worker = new Worker<SocialJobData>(QUEUE_NAMES.social, processor, workerOptions(ctx, 4));
  worker.on('failed', async (job, error) => {
    if (!job) return;
    const final = isFinalFailure(job, error);
    log.warn({ event: 'social.job_failed', ...job.data, attempt: job.attemptsMade, final, err: error }, 'social job failed');
    // Whatever ended the job (attempts used up, an unexpected error), its delivery must not stay open.
    if (final && job.name === SOCIAL_CORRECT_JOB) {
      await deps.corrector.giveUp((job.data as unknown as SocialCorrectionJobData).correctionDeliveryId, error.message).catch(() => {});
    } else if (final && job.name === SOCIAL_RETRACT_JOB) {
      await deps.retractor.giveUp(job.data.deliveryId, error.message).catch(() => {});
    } else if (final) {
      await deps.poster.giveUp(job.data.deliveryId, error.message).catch(() => {});
      await completeDispatchIfDone(ctx.db, job.data.dispatchId).catch(() => {});
    }
  });
  reportWorkerErrors(worker, log, 'social');
  return worker;
}
