// Runs the delivery rollup (src/delivery/delivery-retention.ts) at start and every few hours, in one process at a
// time: a Redis lock held for most of the interval lets the first process that asks do it, and the others skip.
import { randomUUID } from 'node:crypto';
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
  private readonly token = randomUUID();
  private readonly loop: PeriodicPass;
  private readonly intervalMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly redis: Redis,
    private readonly options: RetentionPassOptions,
  ) {
    super();
    this.intervalMs = options.intervalMs ?? RETENTION_INTERVAL_MS;
    this.loop = new PeriodicPass(() => this.passIfLocked(), { intervalMs: this.intervalMs, onError: (error) => this.emit('error', error) });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async passIfLocked(): Promise<void> {
    // Expires on its own a little before the next pass (its holder may die), so no unlock is needed.
    const locked = await this.redis.set(this.options.lockKey, this.token, 'PX', Math.floor(this.intervalMs * 0.9), 'NX');
    if (locked !== 'OK') return;
    const removed = await rollUpDeliveries(this.db, { olderThanDays: this.options.retentionDays });
    if (removed > 0) this.emit('rolledUp', removed);
  }
}
