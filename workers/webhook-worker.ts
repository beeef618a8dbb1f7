// Worker for the webhook queue: hands each delivery to the WebhookSender and its outcome to BullMQ.
import { Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { settleJob } from '../src/queue/job-outcome.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import { WebhookSender } from '../src/webhooks/webhook-sender.js';
import { reportWorkerErrors, workerOptions } from './worker-options.js';

export function startWebhookWorker(ctx: HeraldContext): Worker {
  const log = ctx.log.child({ component: 'webhook-worker' });
  const sender = new WebhookSender(ctx.db, ctx.fetcher, log, { disableAfterHours: ctx.config.HERALD_WEBHOOK_DISABLE_AFTER_HOURS });
  const worker = new Worker<{ deliveryId: number }>(
    QUEUE_NAMES.webhook,
    async (job: Job<{ deliveryId: number }>, token) => {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      return settleJob(job, token, await sender.send(job.data.deliveryId, lastAttempt));
    },
    workerOptions(ctx, 4),
  );
  reportWorkerErrors(worker, log, 'webhook');
  return worker;
}
