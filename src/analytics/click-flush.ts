// Moves the click and open counters from Redis to the database in batches, on a timer (src/runtime/periodic-pass.ts): the
// hash is renamed aside atomically, so clicks arriving meanwhile start a new one and none is counted twice or lost.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { PeriodicPass } from '../runtime/periodic-pass.js';
import { parseCounterField, type ClickKeys } from './click-keys.js';

/** Rows per insert statement. */
const ROWS_PER_STATEMENT = 500;
/** A flush that takes longer than this (a process that died mid-flush) no longer holds the others off. */
const LOCK_MS = 60_000;

interface CounterRow {
  dispatchId: number;
  /** The link's position, or the delivery's id. */
  id: number;
  human: number;
  machine: number;
}

/** Adds counted rows to a counter table (`id` goes to its id column), creating the rows it does not have yet. */
function addCounts(table: 'link_clicks' | 'delivery_clicks' | 'click_buckets' | 'delivery_opens', idColumn: 'position' | 'delivery_id' | 'bucket') {
  return async (db: Kysely<Database>, rows: CounterRow[]) => {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      await sql`
        insert into ${sql.table(table)} (dispatch_id, ${sql.ref(idColumn)}, human, machine)
        values ${sql.join(rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => sql`(${r.dispatchId}, ${r.id}, ${r.human}, ${r.machine})`))}
        on conflict (dispatch_id, ${sql.ref(idColumn)})
        do update set human = ${sql.table(table)}.human + excluded.human, machine = ${sql.table(table)}.machine + excluded.machine
      `.execute(db);
    }
  };
}

/** Opens per edition: one row per dispatch (the field's id is always 0). */
async function addEditionOpens(db: Kysely<Database>, rows: CounterRow[]) {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await sql`
      insert into edition_opens (dispatch_id, human, machine)
      values ${sql.join(rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => sql`(${r.dispatchId}, ${r.human}, ${r.machine})`))}
      on conflict (dispatch_id)
      do update set human = edition_opens.human + excluded.human, machine = edition_opens.machine + excluded.machine
    `.execute(db);
  }
}

export class ClickFlush {
  private readonly pass: PeriodicPass;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly redis: Redis,
    private readonly keys: ClickKeys,
    /** The recorders whose counts this flush moves: each is waited for, so what they recorded is in Redis. */
    private readonly recorders: ReadonlyArray<{ settled(): Promise<void> }>,
    options: { intervalMs: number; onError(error: unknown): void },
  ) {
    this.pass = new PeriodicPass(() => this.flushNow(), options);
  }

  start(): void {
    this.pass.start();
  }

  /** Stops the timer, then moves whatever is still counted (a stopping server's last clicks). */
  async stop(): Promise<void> {
    await this.pass.stop();
    await this.flushNow();
  }

  /** One flush: every click recorded before it is in the database afterwards (unless another process holds the lock). */
  async flushNow(): Promise<void> {
    await Promise.all(this.recorders.map((r) => r.settled()));
    const token = randomBytes(8).toString('hex');
    if ((await this.redis.set(this.keys.flushLock, token, 'PX', LOCK_MS, 'NX')) !== 'OK') return;
    try {
      await this.flushHash(this.keys.links, addCounts('link_clicks', 'position'));
      await this.flushHash(this.keys.deliveries, addCounts('delivery_clicks', 'delivery_id'));
      await this.flushHash(this.keys.buckets, addCounts('click_buckets', 'bucket'));
      await this.flushHash(this.keys.opens, addEditionOpens);
      await this.flushHash(this.keys.deliveryOpens, addCounts('delivery_opens', 'delivery_id'));
    } finally {
      if ((await this.redis.get(this.keys.flushLock)) === token) await this.redis.del(this.keys.flushLock);
    }
  }

  /**
   * Renames the hash aside (a rename left by a flush that failed is taken first), adds it to the database in one
   * transaction, then deletes it. A failed database write leaves it aside for the next pass: nothing is lost.
   */
  private async flushHash(key: string, write: (db: Kysely<Database>, rows: CounterRow[]) => Promise<unknown>): Promise<void> {
    const aside = `${key}:flushing`;
    if (!(await this.redis.exists(aside))) {
      if (!(await this.redis.exists(key))) return;
      await this.redis.rename(key, aside);
    }
    const totals = new Map<string, CounterRow>();
    for (const [field, value] of Object.entries(await this.redis.hgetall(aside))) {
      const parsed = parseCounterField(field);
      if (!parsed) continue;
      const row = totals.get(`${parsed.dispatchId}:${parsed.id}`) ?? { dispatchId: parsed.dispatchId, id: parsed.id, human: 0, machine: 0 };
      row[parsed.machine ? 'machine' : 'human'] += Number(value);
      totals.set(`${parsed.dispatchId}:${parsed.id}`, row);
    }
    const rows = [...totals.values()].filter((r) => r.human !== 0 || r.machine !== 0);
    if (rows.length > 0) await this.db.transaction().execute((tx) => write(tx, rows));
    // A crash right here counts this batch again at the next pass: the one window where a count can come out high.
    await this.redis.del(aside);
  }
}
