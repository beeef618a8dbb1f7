// The outbox relay: every dispatch row without a queued job gets one. Runs at start, after a publish, and on a timer,
// so a publish while Redis was down, or a crash between commit and enqueue, is picked up later and nothing is lost.
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Queues } from '../queue/queues.js';
import { PeriodicPass } from '../runtime/periodic-pass.js';
import { queueStart } from './step-jobs.js';

export interface OutboxRelayOptions {
  intervalMs: number;
  /** Rows handled per pass. */
  batchSize?: number;
}

/** Emits `error` (a pass failed, e.g. Redis down; the next pass retries), `passed` (a pass succeeded) and `relayed` (count). */
export class OutboxRelay extends EventEmitter {
  private readonly loop: PeriodicPass;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly queues: Queues,
    private readonly options: OutboxRelayOptions,
  ) {
    super();
    this.loop = new PeriodicPass(
      async () => {
        await this.relayOnce();
        this.emit('passed');
      },
      { intervalMs: options.intervalMs, rerunWhenKicked: true, onError: (error) => this.emit('error', error) },
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Runs a pass now (or right after the one in progress). Never throws; failures are emitted. */
  kick(): void {
    this.loop.kick();
  }

  /** Queues every dispatch that has no job yet; returns how many. Safe to run from several processes at once. */
  async relayOnce(): Promise<number> {
    let relayed = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('dispatches')
        .select(['id', 'scheduledAt', 'priority'])
        .where('enqueuedAt', 'is', null)
        .where('status', 'in', ['pending', 'scheduled'])
        .orderBy('id')
        .limit(this.options.batchSize ?? 100)
        .execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        // The job id makes a repeated add (another relay, or a crash before the update below) a no-op.
        await queueStart(this.queues, row.id, row.scheduledAt, row.priority);
        await this.db
          .updateTable('dispatches')
          .set({ enqueuedAt: sql<Date>`now()` })
          .where('id', '=', row.id)
          .execute();
        relayed++;
      }
    }
    if (relayed > 0) this.emit('relayed', relayed);
    return relayed;
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
