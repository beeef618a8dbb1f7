// Reading dispatches and their progress; status changes that editors trigger.
import { sql, type Kysely } from 'kysely';
import type { Database, DispatchRow } from '../db/schema.js';
import { rolledUpCounts } from '../delivery/delivery-retention.js';
import { transitionDispatch } from './dispatch-control.js';
import { TRANSITIONS } from './lifecycle.js';
import { cancelUnsentWaves, listWaves, type WaveView } from './waves.js';

export interface ChannelProgress {
  channel: string;
  total: number;
  counts: Record<string, number>;
}

export interface DispatchView extends DispatchRow {
  progress: ChannelProgress[];
  /** A local-time dispatch's waves (zones, fire instant, status, counts); empty otherwise. */
  waves: WaveView[];
}

export async function findDispatch(db: Kysely<Database>, id: number): Promise<DispatchRow | undefined> {
  return db.selectFrom('dispatches').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The newest dispatch of an article: what a repeated publish of it points the editor to. */
export async function latestDispatchOf(db: Kysely<Database>, articleId: number): Promise<Pick<DispatchRow, 'id'> | undefined> {
  return db.selectFrom('dispatches').select('id').where('articleId', '=', articleId).orderBy('id', 'desc').executeTakeFirst();
}

export async function dispatchProgress(db: Kysely<Database>, dispatchId: number): Promise<ChannelProgress[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['channel', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('dispatchId', '=', dispatchId)
    .groupBy(['channel', 'status'])
    .execute();
  // Rows deleted by the retention rollup still count, from their totals.
  const rolledUp = (await rolledUpCounts(db, dispatchId)).map((r) => ({ channel: r.channel, status: r.status, n: r.count }));
  const byChannel = new Map<string, ChannelProgress>();
  for (const row of [...rows, ...rolledUp]) {
    const entry = byChannel.get(row.channel) ?? { channel: row.channel, total: 0, counts: {} };
    entry.counts[row.status] = (entry.counts[row.status] ?? 0) + Number(row.n);
    entry.total += Number(row.n);
    byChannel.set(row.channel, entry);
  }
  return [...byChannel.values()].sort((a, b) => a.channel.localeCompare(b.channel));
}

export async function viewDispatch(db: Kysely<Database>, id: number): Promise<DispatchView | undefined> {
  const dispatch = await findDispatch(db, id);
  return dispatch && { ...dispatch, progress: await dispatchProgress(db, id), waves: await listWaves(db, id) };
}

export async function listDispatches(
  db: Kysely<Database>,
  filter: { articleId?: number; limit: number; beforeId?: number },
): Promise<DispatchRow[]> {
  let query = db.selectFrom('dispatches').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.articleId) query = query.where('articleId', '=', filter.articleId);
  if (filter.beforeId) query = query.where('id', '<', filter.beforeId);
  return query.execute();
}

/** Cancels a dispatch that has not finished; deliveries not yet handed to a transport stay unsent. */
export async function cancelDispatch(db: Kysely<Database>, id: number, cause: string): Promise<DispatchRow | undefined> {
  const row = await transitionDispatch(db, id, TRANSITIONS.cancel.from, TRANSITIONS.cancel.to, cause);
  if (row) {
    await db
      .updateTable('deliveries')
      .set({ status: 'cancelled', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', id)
      .where('status', '=', 'pending')
      .execute();
    // A local-time dispatch's waves not yet sent never fire (their jobs would find the dispatch cancelled anyway).
    await cancelUnsentWaves(db, id);
  }
  return row;
}
