// Delivery retention: email delivery rows of dispatches finished more than N days ago become per-dispatch totals
// (delivery_totals) and are deleted, a bounded chunk per statement, so the table stops growing and no lock is held long.
import { sql, type Kysely } from 'kysely';
import type { Database, DeliveryStatus, DispatchStatus } from '../db/schema.js';

/** Dispatches whose deliveries can no longer change. */
const FINISHED_DISPATCHES: DispatchStatus[] = ['completed', 'completed_with_failures', 'cancelled'];
/**
 * Delivery outcomes that are final. `uncertain` rows stay: they wait for an editor to settle them
 * (POST /api/deliveries/:id/resolve). Social rows stay too: their remote ids are needed to retract a post.
 */
const FINAL_OUTCOMES: DeliveryStatus[] = ['sent', 'failed', 'blocked', 'skipped', 'cancelled'];

export interface RollUpOptions {
  /** Dispatches completed more than this many days ago are rolled up. */
  olderThanDays: number;
  /** Rows per statement (default 10,000): each chunk commits on its own. */
  chunkSize?: number;
  now?: Date;
}

/** Rolls up and deletes every eligible row, chunk by chunk; resolves with how many rows it removed. */
export async function rollUpDeliveries(db: Kysely<Database>, options: RollUpOptions): Promise<number> {
  const chunkSize = options.chunkSize ?? 10_000;
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.olderThanDays * 86_400_000);
  let removed = 0;
  for (;;) {
    const n = await rollUpChunk(db, cutoff, chunkSize);
    removed += n;
    if (n < chunkSize) return removed;
  }
}

/** One chunk in one statement: delete the rows and add what they said to the totals, atomically. */
async function rollUpChunk(db: Kysely<Database>, cutoff: Date, chunkSize: number): Promise<number> {
  const result = await sql<{ removed: number }>`
    with chunk as (
      select d.id from deliveries d join dispatches p on p.id = d.dispatch_id
      where p.status in (${sql.join(FINISHED_DISPATCHES)}) and p.completed_at < ${cutoff}
        and d.channel = 'email' and d.status in (${sql.join(FINAL_OUTCOMES)})
      limit ${chunkSize}
      for update of d skip locked
    ), gone as (
      delete from deliveries d using chunk where d.id = chunk.id
      returning d.dispatch_id, d.channel, d.status, d.failure
    ), added as (
      insert into delivery_totals (dispatch_id, channel, status, failure, count)
      select dispatch_id, channel, status, failure, count(*) from gone group by 1, 2, 3, 4
      on conflict (dispatch_id, channel, status, coalesce(failure, ''))
      do update set count = delivery_totals.count + excluded.count
    )
    select count(*)::int as removed from gone
  `.execute(db);
  return Number(result.rows[0]?.removed ?? 0);
}

export interface RolledUpCount {
  channel: string;
  status: DeliveryStatus;
  failure: string | null;
  count: number;
}

/** What a dispatch's rolled-up deliveries said: added to the live rows by every reader of delivery counts. */
export async function rolledUpCounts(db: Kysely<Database>, dispatchId: number): Promise<RolledUpCount[]> {
  const rows = await db.selectFrom('deliveryTotals').select(['channel', 'status', 'failure', 'count'])
    .where('dispatchId', '=', dispatchId).execute();
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}
