// Worker for the social queue: hands each delivery to the SocialPoster and maps its outcome onto BullMQ.
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import type { SocialPoster } from '../src/social/post-delivery.js';
import type { NetworkRateGate } from '../src/social/rate-gate.js';
import type { SocialJobData } from '../src/social/start-social.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import type { OutageDeferral } from './outage-deferral.js';
import { reportWorkerErrors, workerOptions } from './worker-options.js';

/** How soon a post of a paused dispatch looks again. */
const PAUSED_RECHECK_MS = 2000;

export function startSocialWorker(ctx: HeraldContext, deps: { poster: SocialPoster; gate: NetworkRateGate; deferOnOutage: OutageDeferral }): Worker {
  const log = ctx.log.child({ component: 'social-worker' });
  for (const { network, missing } of ctx.social.all().filter((a) => !a.channel)) {
    log.info({ event: 'social.preview_mode', network, missing }, `${network}: preview mode, posts are composed but not sent`);
  }

  // Waiting (rate limit, pause) moves the job to the delayed set: DelayedError spends no attempt.
  const waitUntil = async (job: Job, token: string | undefined, at: number): Promise<never> => {
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  };

  const runJob = async (job: Job<SocialJobData>, token?: string) => {
    const { deliveryId, network } = job.data;
    const heldMs = await deps.gate.remainingMs(network);
    if (heldMs > 0) return waitUntil(job, token, Date.now() + heldMs);

    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const outcome = await deps.poster.post(deliveryId, { finalAttempt });
    switch (outcome.kind) {
      case 'done':
      case 'sent':
      case 'uncertain':
        return outcome;
      case 'failed':
        throw new UnrecoverableError(outcome.reason);
      case 'retry':
        throw new Error(outcome.reason); // BullMQ retries with exponential backoff
      case 'rate_limited':
        await deps.gate.hold(network, outcome.resetAt);
        return waitUntil(job, token, outcome.resetAt.getTime());
      case 'paused':
        return waitUntil(job, token, Date.now() + PAUSED_RECHECK_MS);
    }
  };
  const processor = (job: Job<SocialJobData>, token?: string) => deps.deferOnOutage(job, token, () => runJob(job, token));

  const worker = new Worker<SocialJobData>(QUEUE_NAMES.social, processor, workerOptions(ctx, 4));
  worker.on('failed', async (job, error) => {
    if (!job) return;
    const final = error instanceof UnrecoverableError || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    log.warn({ event: 'social.job_failed', ...job.data, attempt: job.attemptsMade, final, err: error }, 'social job failed');
    // Whatever ended the job (attempts used up, an unexpected error), its delivery must not stay open.
    if (final) await deps.poster.giveUp(job.data.deliveryId, error.message).catch(() => {});
  });
  reportWorkerErrors(worker, log, 'social');
  return worker;
}
