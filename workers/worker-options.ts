// Options every Herald worker shares: one connection, one prefix, and crash recovery timings from config.
import type { Worker, WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import { reportClientErrors } from '../src/runtime/outage-log.js';
import type { HeraldContext } from '../src/context.js';

export function workerOptions(ctx: HeraldContext, concurrency: number): WorkerOptions {
  return {
    connection: ctx.redis,
    prefix: ctx.redisPrefix,
    concurrency,
    // A killed worker's job is taken over once its lock expires; the step itself re-reads its rows.
    lockDuration: ctx.config.HERALD_JOB_LOCK_MS,
    stalledInterval: ctx.config.HERALD_JOB_LOCK_MS,
    maxStalledCount: 5,
    // No `maxStartedAttempts`: a job that waits (DelayedError, RateLimitError: an outage inside its retry window, a
    // rate-limit reset, an editor's pause, a straggler) starts again many times, and a start count must never fail
    // a reader. Those waits are bounded by time where they are decided (SMTP_RETRY_WINDOW_MINUTES, the reset, the
    // editor); a job that keeps *failing* is still bounded by its attempts.
  };
}

/**
 * A worker's own errors are logged; its connection's reconnect attempts are not (one line per outage comes from the
 * shared connection, src/runtime/redis.ts), so a Redis outage does not flood the log.
 */
export function reportWorkerErrors(worker: Worker, log: Logger, what: string): void {
  reportClientErrors(worker, log, `${what} worker`);
}
