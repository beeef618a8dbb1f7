// The retraction of social deliveries in the database: which posts are to be deleted, and what deleting each came to.
import { sql, type Kysely } from 'kysely';
import type { Database, DeliveryRow, Retraction } from '../db/schema.js';
import { recordEvents } from '../events/event-log.js';

/**
 * Marks every social delivery of these dispatches that has no retraction yet: `pending` when a post is (or may be)
 * out there — sent, still sending, uncertain, or a thread with parts posted — and `not_posted` otherwise. Only rows Herald wrote are named, so
 * nothing Herald did not post is ever deleted. Returns the rows left `pending` (old and new), for their jobs. Pass
 * the transaction the article's retraction is written in, so a crash leaves both or neither.
 */
export async function markPostsForRetraction(db: Kysely<Database>, dispatchIds: number[], cause: string): Promise<DeliveryRow[]> {
  if (dispatchIds.length === 0) return [];
  const marked = await db
    .updateTable('deliveries')
    .set({
      // A thread that failed part-way is `failed` with its first parts out there: those are to be deleted too.
      retraction: sql<Retraction>`case when status in ('sent', 'sending', 'uncertain') or exists (
        select 1 from social_post_parts where social_post_parts.delivery_id = deliveries.id and state in ('posted', 'sending')
      ) then 'pending' else 'not_posted' end`,
      updatedAt: sql<Date>`now()`,
    })
    .where('dispatchId', 'in', dispatchIds)
    .where('channel', '!=', 'email')
    .where('retraction', 'is', null)
    .returning(['id', 'channel', 'retraction'])
    .execute();
  await recordEvents(
    db,
    marked.map((r) => ({
      subjectType: 'delivery' as const,
      subjectId: r.id,
      event: 'delivery.retraction',
      toStatus: r.retraction,
      cause,
      detail: { channel: r.channel },
    })),
  );
  return db.selectFrom('deliveries').selectAll().where('dispatchId', 'in', dispatchIds).where('retraction', '=', 'pending').execute();
}

/**
 * Moves a pending retraction on (`to` pending keeps it waiting, with the note of why); undefined when it was not
 * pending any more (another worker settled it), so an outcome is recorded once.
 */
export async function settleRetraction(
  db: Kysely<Database>,
  id: number,
  to: Retraction,
  note: string | null,
  cause: string,
): Promise<DeliveryRow | undefined> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('deliveries')
      .set({ retraction: to, retractionNote: note?.slice(0, 1000) ?? null, updatedAt: sql<Date>`now()` })
      .where('id', '=', id)
      .where('retraction', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    if (row && to !== 'pending') {
      await recordEvents(tx, [
        {
          subjectType: 'delivery',
          subjectId: id,
          event: 'delivery.retraction',
          fromStatus: 'pending',
          toStatus: to,
          cause,
          detail: { channel: row.channel, ...(note ? { note } : {}) },
        },
      ]);
    }
    return row;
  });
}

/** Social deliveries whose retraction waits, for the queue reconciler. */
export async function pendingRetractions(db: Kysely<Database>): Promise<Pick<DeliveryRow, 'id' | 'dispatchId' | 'channel'>[]> {
  return db.selectFrom('deliveries').select(['id', 'dispatchId', 'channel']).where('retraction', '=', 'pending').execute();
}
