// Reading a delivery and moving it between statuses, for every channel; each change logged as an event.
import { sql, type Kysely, type UpdateObject } from 'kysely';
import type { Database, DeliveryRow, DeliveryStatus } from '../db/schema.js';
import { recordEvents } from '../events/event-log.js';

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
