// Worker for the engagement queue: hands each read to the EngagementReader and its outcome to BullMQ. A network's
// 429 puts the job back until the reset with no attempt spent; a network held by the post worker's rate gate waits too.
import { Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { complete, settleJob, type JobOutcome } from '../src/queue/job-outcome.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import type { EngagementJobData } from '../src/social/engagement-schedule.js';
import { EngagementReader, type EngagementOutcome } from '../src/social/engagement-reader.js';
import type { NetworkRateGate } from '../src/social/rate-gate.js';
import { reportWorkerErrors, workerOptions } from './worker-options.js';

const toJobOutcome = (outcome: EngagementOutcome): JobOutcome => {
  switch (outcome.kind) {
    case 'done':
      return complete(outcome);
    case 'rate_limited':
      return { action: 'wait', at: outcome.resetAt.getTime() };
    case 'retry':
      return { action: 'retry', reason: outcome.reason };
  }
};

export function startEngagementWorker(ctx: HeraldContext, deps: { gate: NetworkRateGate }): Worker {
  const log = ctx.log.child({ component: 'engagement-worker' });
  const reader = new EngagementReader(ctx.db, ctx.social, log);
  const worker = new Worker<EngagementJobData>(
    QUEUE_NAMES.engagement,
    async (job: Job<EngagementJobData>, token) => {
      // Posts come first: while the network is held for them, reads do not spend what is left of its limit.
      const heldMs = await deps.gate.remainingMs(job.data.network);
      if (heldMs > 0) return settleJob(job, token, { action: 'wait', at: Date.now() + heldMs });
      return settleJob(job, token, toJobOutcome(await reader.read(job.data.deliveryId, job.data.read)));
    },
    workerOptions(ctx, 2),
  );
  worker.on('failed', (job, error) => {
    if (job) log.warn({ event: 'social.engagement_failed', ...job.data, attempt: job.attemptsMade, err: error }, 'post metrics not read');
  });
  reportWorkerErrors(worker, log, 'engagement');
  return worker;
}
