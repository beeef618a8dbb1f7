// Runs a `transactional` job of the email-batch queue (a confirmation mail and the like); an SMTP failure becomes
// a job outcome the way every other one does (src/queue/job-outcome.ts).
import type { Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { editionSettingsFrom } from '../src/email/edition-service.js';
import type { TransactionalSender } from '../src/email/transactional-sender.js';
import { outcomeOfFailure, settleJob } from '../src/queue/job-outcome.js';
import { composeSubscriberMail, type SubscriberMailJob } from '../src/subscribers/subscriber-mail.js';

export async function runSubscriberMailJob(
  ctx: HeraldContext,
  sender: TransactionalSender,
  job: Job<SubscriberMailJob>,
  token: string | undefined,
): Promise<unknown> {
  const message = await composeSubscriberMail(ctx.db, editionSettingsFrom(ctx), job.data);
  // The confirmation was used or replaced, or the subscriber erased, since the job was queued.
  if (!message) return 'nothing to send';
  try {
    const response = await sender.send(message);
    ctx.log.info({ event: 'email.transactional.sent', kind: job.data.kind, subscriberId: job.data.subscriberId }, 'subscriber mail sent');
    return response;
  } catch (error) {
    const failure = sender.failureOf(error);
    ctx.log.warn({ event: 'email.transactional.failed', kind: job.data.kind, code: failure.code, failure: failure.kind }, 'subscriber mail failed');
    return settleJob(job, token, outcomeOfFailure(failure, ctx.queues.emailBatch));
  }
}
