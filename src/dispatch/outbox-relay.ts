// The outbox relay: every dispatch row without a queued job gets one. Runs at start, after a publish, and on a timer,
// so a publish while Redis was down, or a crash between commit and enqueue, is picked up later and nothing is lost.
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { jobIds, type Queues } from '../queue/queues.js';

export interface OutboxRelayOptions {
  intervalMs: number;
  /** Rows handled per pass. */
  batchSize?: number;
}

/** Emits `error` (a pass failed, e.g. Redis down; the next pass retries), `passed` (a pass succeeded) and `relayed` (count). */
export class OutboxRelay extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private again = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly queues: Queues,
    private readonly options: OutboxRelayOptions,
  ) {
    super();
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a pass now (or right after the one in progress). Never throws; failures are emitted. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.relayOnce()
      .then((relayed) => {
        this.emit('passed');
        return relayed;
      })
      .catch((error: unknown) => {
        this.emit('error', error);
        return 0;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Queues every dispatch that has no job yet; returns how many. Safe to run from several processes at once. */
  async relayOnce(): Promise<number> {
    let relayed = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('dispatches')
        .select(['id', 'scheduledAt'])
        .where('enqueuedAt', 'is', null)
        .where('status', 'in', ['pending', 'scheduled'])
        .orderBy('id')
        .limit(this.options.batchSize ?? 100)
        .execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        const delay = row.scheduledAt ? Math.max(0, row.scheduledAt.getTime() - Date.now()) : 0;
        // The job id makes a repeated add (another relay, or a crash before the update below) a no-op.
        await this.queues.dispatch.add('start', { dispatchId: row.id }, { jobId: jobIds.dispatchStart(row.id), delay });
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

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
