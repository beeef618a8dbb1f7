// Runs a `test-send` job of the dispatch queue: one edition to one editor's address, failures mapped like other mail.
import { UnrecoverableError, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import type { EditionSettings } from '../src/email/edition-service.js';
import { composeTestSend, type TestSendJob } from '../src/email/test-send.js';
import type { TransactionalSender } from '../src/email/transactional-sender.js';
import { outcomeOfFailure, settleJob } from '../src/queue/job-outcome.js';

export async function runTestSendJob(
  ctx: HeraldContext,
  sender: TransactionalSender,
  settings: EditionSettings,
  job: Job<TestSendJob>,
  token: string | undefined,
): Promise<unknown> {
  const message = await composeTestSend(ctx.db, settings, job.data);
  if (!message) throw new UnrecoverableError(`dispatch ${job.data.dispatchId} does not exist`);
  try {
    const response = await sender.send(message);
    ctx.log.info({ event: 'email.test_sent', dispatchId: job.data.dispatchId }, 'test edition sent');
    return response;
  } catch (error) {
    const failure = sender.failureOf(error);
    ctx.log.warn({ event: 'email.test_failed', dispatchId: job.data.dispatchId, code: failure.code }, 'test edition failed');
    // A throttled test send waits alone: it must not hold up the dispatch queue.
    return settleJob(job, token, outcomeOfFailure(failure));
  }
}
