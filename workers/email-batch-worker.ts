// Worker for the email-batch queue: hands each batch to the BatchSender, completes the dispatch after its last
// batch, and maps the batch's outcome onto BullMQ (src/queue/job-outcome.ts).
import { Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { completeDispatchIfDone } from '../src/dispatch/complete-dispatch.js';
import type { BatchOutcome, BatchSender } from '../src/email/batch-sender.js';
import type { EditionMessages } from '../src/email/edition-service.js';
import type { EmailTransport } from '../src/email/transports/email-transport.js';
import { TransactionalSender } from '../src/email/transactional-sender.js';
import { complete, isFinalFailure, settleJob, type JobOutcome } from '../src/queue/job-outcome.js';
import { SUBSCRIBER_MAIL_JOB, type SubscriberMailJob } from '../src/subscribers/subscriber-mail.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import { CORRECTION_MAIL_JOB } from '../src/dispatch/step-jobs.js';
import type { CorrectionMailer } from '../src/email/correction-mailer.js';
import { runSubscriberMailJob } from './subscriber-mail-job.js';
import type { OutageDeferral } from './outage-deferral.js';
import { reportWorkerErrors, workerOptions } from './worker-options.js';

/** How soon a batch of a paused dispatch looks again. */
const PAUSED_RECHECK_MS = 2000;

export function startEmailBatchWorker(
  ctx: HeraldContext,
  deps: { sender: BatchSender; editions: EditionMessages; transport: EmailTransport; corrections: CorrectionMailer; deferOnOutage: OutageDeferral },
): Worker {
  const log = ctx.log.child({ component: 'email-worker' });
  // Confirmation mails share the queue and the process' one email transport with editions.
  const transactional = new TransactionalSender(deps.transport, ctx.config.MAIL_FROM);

  const toJobOutcome = async (job: Job<{ dispatchId: number; batchNo: number }>, outcome: BatchOutcome): Promise<JobOutcome> => {
    const { dispatchId, batchNo } = job.data;
    switch (outcome.kind) {
      case 'done':
        ctx.metrics.deliveries.inc({ channel: 'email', status: 'sent' }, outcome.sent);
        ctx.metrics.deliveries.inc({ channel: 'email', status: 'failed' }, outcome.failed);
        ctx.metrics.deliveries.inc({ channel: 'email', status: 'blocked' }, outcome.blocked);
        await completeDispatchIfDone(ctx.db, dispatchId);
        return complete(outcome);
      case 'retry':
        // Bounded by each delivery's retry window, not by the job's attempts: the wait spends none.
        log.warn({ event: 'email.batch_retry', dispatchId, batchNo, deferred: outcome.deferred, delayMs: outcome.delayMs,
          reason: outcome.reason }, 'temporary SMTP failure; the batch retries later');
        return { action: 'retry', reason: outcome.reason, delayMs: outcome.delayMs };
      case 'throttled': {
        const waitMs = Math.max(1000, outcome.resetAt.getTime() - Date.now());
        log.warn({ event: 'email.throttled', dispatchId, batchNo, waitMs }, 'SMTP server is throttling; pausing the queue');
        return { action: 'rate_limit', queue: ctx.queues.emailBatch, waitMs };
      }
      case 'paced':
        // Readers of a slowed-down provider group wait for it; every other group's readers went out.
        log.info({ event: 'email.batch_paced', dispatchId, batchNo, groups: outcome.groups, waiting: outcome.waiting,
          delayMs: outcome.delayMs }, 'readers of a slowed-down provider group wait for it');
        return { action: 'retry', reason: `waiting for ${outcome.groups.join(', ')}`, delayMs: outcome.delayMs };
      case 'warmup_wait':
        // Delayed, not failed: the rest goes out within the next day's cap. Looking again now and then picks up a
        // changed schedule sooner.
        log.info({ event: 'email.warmup_waiting', dispatchId, batchNo, cap: outcome.cap, delayMs: outcome.delayMs },
          "today's warm-up cap is reached; the rest of the batch waits for the next day");
        return { action: 'wait', at: Date.now() + Math.min(outcome.delayMs, ctx.config.HERALD_WARMUP_RECHECK_MS) };
      case 'stopped':
        if (outcome.status === 'paused') return { action: 'wait', at: Date.now() + PAUSED_RECHECK_MS };
        await deps.sender.closeBatch(dispatchId, batchNo);
        return complete(outcome);
      case 'handed_back':
        // Graceful stop: the rest of the batch waits for another worker (or this one, restarted); no attempt spent.
        return { action: 'hand_back' };
    }
  };
  const runJob = async (job: Job<{ dispatchId: number; batchNo: number }>, token?: string) => {
    if (job.name === SUBSCRIBER_MAIL_JOB) return runSubscriberMailJob(ctx, transactional, job as unknown as Job<SubscriberMailJob>, token);
    if (job.name === CORRECTION_MAIL_JOB) {
      const { correctionId } = job.data as unknown as { correctionId: number };
      const outcome = await deps.corrections.send(correctionId, { finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
      if (outcome.kind === 'done') return complete(outcome);
      if (outcome.kind === 'retry') return settleJob(job, token, { action: 'retry', reason: outcome.reason });
      return settleJob(job, token, { action: 'rate_limit', queue: ctx.queues.emailBatch, waitMs: outcome.resetAt.getTime() - Date.now() });
    }
    const { dispatchId, batchNo } = job.data;
    const outcome = await deps.sender.send(dispatchId, batchNo, () => deps.editions.get(dispatchId));
    return settleJob(job, token, await toJobOutcome(job, outcome));
  };
  const processor = (job: Job<{ dispatchId: number; batchNo: number }>, token?: string) =>
    deps.deferOnOutage(job, token, () => runJob(job, token));

  const worker = new Worker(QUEUE_NAMES.emailBatch, processor, workerOptions(ctx, 2));
  worker.on('failed', async (job, error) => {
    if (!job || job.name === SUBSCRIBER_MAIL_JOB) return; // logged by runSubscriberMailJob
    if (job.name === CORRECTION_MAIL_JOB) {
      if (isFinalFailure(job, error)) await deps.corrections.giveUp((job.data as unknown as { correctionId: number }).correctionId, error.message).catch(() => {});
      return;
    }
    const exhausted = isFinalFailure(job, error);
    log.warn({ event: 'email.batch_failed', ...job.data, attempt: job.attemptsMade, exhausted, err: error }, 'email batch failed');
    if (exhausted) {
      await deps.sender.giveUp(job.data.dispatchId, job.data.batchNo, error.message).catch(() => {});
      await completeDispatchIfDone(ctx.db, job.data.dispatchId).catch(() => {});
    }
  });
  reportWorkerErrors(worker, log, 'email');
  return worker;
}
