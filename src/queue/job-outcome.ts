// The one place a job's outcome becomes a BullMQ action, for every queue (dispatch, email-batch, social, digest,
// feed, transactional mail): complete, retry with backoff, wait (DelayedError), slow the whole queue down
// (RateLimitError) or stop for good (UnrecoverableError). Domain code decides *what* happened; this decides how
// BullMQ is told.
import { DelayedError, RateLimitError, UnrecoverableError, WaitingError, type Job, type Queue } from 'bullmq';
import type { DeliveryFailure, RateLimited } from '../delivery/failure.js';

export type JobOutcome =
  | { action: 'complete'; value: unknown }
  /**
   * Try again. With `delayMs` the job waits that long and spends no attempt (email: retries bounded by time, not
   * count); without it BullMQ's own exponential backoff runs and one attempt is spent.
   */
  | { action: 'retry'; reason: string; delayMs?: number }
  /** Look again at `at` (a paused dispatch, a network's rate-limit reset, a start that is early): no attempt spent. */
  | { action: 'wait'; at: number }
  /** The remote said "slow down": every job of `queue` waits `waitMs`, this one goes back with no attempt spent. */
  | { action: 'rate_limit'; queue: Queue; waitMs: number }
  /** Graceful stop: the job goes back to the waiting list for any worker, with no attempt spent. */
  | { action: 'hand_back' }
  /** Will never succeed: fail the job now, whatever attempts are left. */
  | { action: 'fail'; reason: string };

export const complete = (value: unknown): JobOutcome => ({ action: 'complete', value });

/** Carries the outcome out to BullMQ: returns the job's value or throws what tells the worker what to do next. */
export async function settleJob(job: Job, token: string | undefined, outcome: JobOutcome): Promise<unknown> {
  switch (outcome.action) {
    case 'complete':
      return outcome.value;
    case 'retry':
      if (outcome.delayMs === undefined) throw new Error(outcome.reason);
      await job.moveToDelayed(Date.now() + Math.max(0, outcome.delayMs), token);
      throw new DelayedError(outcome.reason);
    case 'wait':
      await job.moveToDelayed(outcome.at, token);
      throw new DelayedError();
    case 'rate_limit':
      await outcome.queue.rateLimit(Math.max(1000, outcome.waitMs));
      throw new RateLimitError();
    case 'hand_back':
      await job.moveToWait(token);
      throw new WaitingError();
    case 'fail':
      throw new UnrecoverableError(outcome.reason);
  }
}

/**
 * A single message's failure (a confirmation mail, a test send) as a job outcome: permanent stops, rate-limited
 * slows `queue` (or, without one, this job alone waits for the reset), transient and uncertain retry with BullMQ's
 * backoff (a lone message has no retry window of its own).
 */
export function outcomeOfFailure(failure: DeliveryFailure, queue?: Queue): JobOutcome {
  switch (failure.kind) {
    case 'permanent_address':
    case 'permanent_policy':
      return { action: 'fail', reason: failure.describe() };
    case 'rate_limited': {
      const waitMs = (failure as RateLimited).resetAt.getTime() - Date.now();
      return queue ? { action: 'rate_limit', queue, waitMs } : { action: 'retry', reason: failure.describe(), delayMs: waitMs };
    }
    case 'transient':
    case 'uncertain':
      return { action: 'retry', reason: failure.describe() };
  }
}

/** A job failed for good: an UnrecoverableError, or its last attempt. */
export function isFinalFailure(job: Job, error: Error): boolean {
  return error instanceof UnrecoverableError || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/** Capped exponential backoff: `baseMs`, 2×, 4×… never more than `capMs`; `attempt` counts from 1. */
export function cappedBackoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
}
