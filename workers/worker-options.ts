// Options every Herald worker shares: one connection, one prefix, and crash recovery timings from config.
import type { WorkerOptions } from 'bullmq';
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
    // Rate-limit waits spend no attempt; this bounds how often one job may start at all.
    maxStartedAttempts: 50,
  };
}
