// Runs the delivery rollup (src/delivery/delivery-retention.ts) at start and every few hours, in one process at a
// time: a Redis lock held for most of the interval lets the first process that asks do it, and the others skip.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { PeriodicPass } from '../runtime/periodic-pass.js';
import { rollUpDeliveries } from './delivery-retention.js';

/** Rows age by days, so a few passes a day are plenty. */
const RETENTION_INTERVAL_MS = 6 * 3_600_000;

export interface RetentionPassOptions {
  /** HERALD_DELIVERY_RETENTION_DAYS. */
  retentionDays: number;
  /** The Redis key of the lock that lets one process roll up per interval. */
  lockKey: string;
  intervalMs?: number;
}

/** Emits `error` (a pass failed; the next one retries) and `rolledUp` (how many rows went). */
export class RetentionPass extends EventEmitter {
  private readonly loop: PeriodicPass;

  constructor(
    private readonly db: Kysely<Database>,
    redis: Redis,
    private readonly options: RetentionPassOptions,
  ) {
    super();
    this.loop = new PeriodicPass(() => this.rollUp(), {
      intervalMs: options.intervalMs ?? RETENTION_INTERVAL_MS,
      oncePerInterval: { redis, lockKey: options.lockKey },
      onError: (error) => this.emit('error', error),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async rollUp(): Promise<void> {
    const removed = await rollUpDeliveries(this.db, { olderThanDays: this.options.retentionDays });
    if (removed > 0) this.emit('rolledUp', removed);
  }
}
