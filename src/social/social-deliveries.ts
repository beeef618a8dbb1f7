// Social deliveries in the database: one row per (dispatch, network, account); every status change logged as an event.
import { sql, type Kysely, type UpdateObject } from 'kysely';
import type { Database, DeliveryRow, DeliveryStatus } from '../db/schema.js';
import { recordEvents } from '../events/event-log.js';

export interface NewSocialDelivery {
  dispatchId: number;
  channel: string;
  recipient: string;
  status: Extract<DeliveryStatus, 'pending' | 'preview' | 'failed'>;
  content: string | null;
  lastResponse: string | null;
}

/** A social delivery as the API shows it under a dispatch's `posts`. */
export interface SocialPostView {
  id: number;
  channel: string;
  account: string;
  status: DeliveryStatus;
  content: string | null;
  remoteId: string | null;
  remoteUrl: string | null;
  lastResponse: string | null;
  attempts: number;
  updatedAt: Date;
}

/**
 * Inserts the rows that do not exist yet (the unique (dispatch_id, channel, recipient) makes a repeated start a
 * no-op) and logs the new ones; returns every row of the dispatch for these channels, old and new.
 */
export async function insertSocialDeliveries(
  db: Kysely<Database>,
  dispatchId: number,
  rows: NewSocialDelivery[],
  cause: string,
): Promise<DeliveryRow[]> {
  if (rows.length === 0) return [];
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('deliveries')
      .values(rows.map((r) => ({ ...r, updatedAt: sql<Date>`now()` })))
      .onConflict((oc) => oc.columns(['dispatchId', 'channel', 'recipient']).doNothing())
      .returning(['id', 'status', 'channel', 'lastResponse'])
      .execute();
    await recordEvents(
      tx,
      inserted.map((r) => ({
        subjectType: 'delivery' as const,
        subjectId: r.id,
        event: 'delivery.created',
        toStatus: r.status,
        cause,
        detail: { channel: r.channel, ...(r.lastResponse ? { reason: r.lastResponse } : {}) },
      })),
    );
    return tx
      .selectFrom('deliveries')
      .selectAll()
      .where('dispatchId', '=', dispatchId)
      .where('channel', 'in', rows.map((r) => r.channel))
      .execute();
  });
}

export async function findDelivery(db: Kysely<Database>, id: number): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Moves a delivery from one of `from` to `to` and logs it, in one transaction; returns the row when this caller
 * won the change. This is how a worker claims a delivery (pending → sending): of two workers, one gets undefined.
 */
export async function moveDelivery(
  db: Kysely<Database>,
  id: number,
  change: {
    from: DeliveryStatus[];
    to: DeliveryStatus;
    cause: string;
    set?: Omit<UpdateObject<Database, 'deliveries'>, 'status' | 'updatedAt'>;
    detail?: Record<string, unknown>;
  },
): Promise<DeliveryRow | undefined> {
  return db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('deliveries').select('status').where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before || !change.from.includes(before.status)) return undefined;
    const row = await tx
      .updateTable('deliveries')
      .set({ ...change.set, status: change.to, updatedAt: sql<Date>`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordEvents(tx, [
      {
        subjectType: 'delivery',
        subjectId: id,
        event: 'delivery.status',
        fromStatus: before.status,
        toStatus: change.to,
        cause: change.cause,
        detail: { channel: row.channel, ...change.detail },
      },
    ]);
    return row;
  });
}

/** The dispatch's social posts (every channel but email), in the order they were created. */
export async function listSocialPosts(db: Kysely<Database>, dispatchId: number): Promise<SocialPostView[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['id', 'channel', 'recipient', 'status', 'content', 'remoteId', 'remoteUrl', 'lastResponse', 'attempts', 'updatedAt'])
    .where('dispatchId', '=', dispatchId)
    .where('channel', '!=', 'email')
    .orderBy('id')
    .execute();
  return rows.map(({ recipient, ...row }) => ({ ...row, account: recipient }));
}
