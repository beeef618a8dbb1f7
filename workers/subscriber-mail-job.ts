// Runs a `transactional` job of the email-batch queue (a confirmation mail and the like) and maps an SMTP failure
// onto BullMQ the way edition batches do: permanent stops, throttling pauses the queue, anything else retries.
import { RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { RateLimited } from '../src/delivery/failure.js';
import { editionSettingsFrom } from '../src/email/edition-service.js';
import { classifySmtpError } from '../src/email/smtp-failure.js';
import type { TransactionalSender } from '../src/email/transactional-sender.js';
import { composeSubscriberMail, type SubscriberMailJob } from '../src/subscribers/subscriber-mail.js';

export async function runSubscriberMailJob(
  ctx: HeraldContext,
  sender: TransactionalSender,
  job: Job<SubscriberMailJob>,
): Promise<string> {
  const { config } = ctx;
  const message = await composeSubscriberMail(ctx.db, editionSettingsFrom(ctx), job.data);
  // The confirmation was used or replaced, or the subscriber erased, since the job was queued.
  if (!message) return 'nothing to send';
  try {
    const response = await sender.send(message);
    ctx.log.info({ event: 'email.transactional.sent', kind: job.data.kind, subscriberId: job.data.subscriberId }, 'subscriber mail sent');
    return response;
  } catch (error) {
    const failure = classifySmtpError(error, config.SMTP_THROTTLE_WAIT_MS);
    ctx.log.warn({ event: 'email.transactional.failed', kind: job.data.kind, code: failure.code, failure: failure.kind }, 'subscriber mail failed');
    switch (failure.kind) {
      case 'permanent':
        throw new UnrecoverableError(`${failure.code}: ${failure.response ?? failure.message}`);
      case 'rate_limited':
        await ctx.queues.emailBatch.rateLimit(
          Math.max(1000, failure instanceof RateLimited ? failure.resetAt.getTime() - Date.now() : config.SMTP_THROTTLE_WAIT_MS),
        );
        throw new RateLimitError();
      default:
        throw failure;
    }
  }
}
