// The parts of a social post sent as a thread, in the database: written once, each part's network id recorded as it lands.
import { sql, type Kysely } from 'kysely';
import type { Database, PostPartRow, PostPartState } from '../db/schema.js';

/**
 * The delivery's parts: the stored ones when a first attempt wrote them (a resumed thread keeps its split even if
 * the limit changed since), else `texts`, written now. One insert of all parts, so a crash leaves all or none.
 */
export async function planThreadParts(db: Kysely<Database>, deliveryId: number, texts: string[]): Promise<PostPartRow[]> {
  await db
    .insertInto('socialPostParts')
    .values(texts.map((text, i) => ({ deliveryId, position: i + 1, text })))
    .onConflict((oc) => oc.columns(['deliveryId', 'position']).doNothing())
    .execute();
  return listThreadParts(db, deliveryId);
}

export async function listThreadParts(db: Kysely<Database>, deliveryId: number): Promise<PostPartRow[]> {
  return db.selectFrom('socialPostParts').selectAll().where('deliveryId', '=', deliveryId).orderBy('position').execute();
}

/** Parts of many deliveries at once (a dispatch's posts), grouped by delivery id. */
export async function threadPartsOf(db: Kysely<Database>, deliveryIds: number[]): Promise<Map<number, PostPartRow[]>> {
  const byDelivery = new Map<number, PostPartRow[]>();
  if (deliveryIds.length === 0) return byDelivery;
  const rows = await db
    .selectFrom('socialPostParts')
    .selectAll()
    .where('deliveryId', 'in', deliveryIds)
    .orderBy('deliveryId')
    .orderBy('position')
    .execute();
  for (const row of rows) byDelivery.set(row.deliveryId, [...(byDelivery.get(row.deliveryId) ?? []), row]);
  return byDelivery;
}

/** Written before the part's request leaves: a crash now means "this part may be out there". */
export async function markPartSending(db: Kysely<Database>, deliveryId: number, position: number): Promise<void> {
  await movePart(db, deliveryId, position, ['pending', 'sending'], 'sending');
}

/** The invariant of a thread: a part's id is stored before the next part is sent (its reply needs it, and a resume skips it). */
export async function markPartPosted(
  db: Kysely<Database>,
  deliveryId: number,
  position: number,
  remote: { remoteId: string; cid?: string; remoteUrl?: string },
): Promise<void> {
  await movePart(db, deliveryId, position, ['pending', 'sending'], 'posted', {
    remoteId: remote.remoteId,
    remoteCid: remote.cid ?? null,
    remoteUrl: remote.remoteUrl ?? null,
  });
}

/** The request failed without landing (a refusal, a rate limit): the part is to be sent again. */
export async function markPartPending(db: Kysely<Database>, deliveryId: number, position: number): Promise<void> {
  await movePart(db, deliveryId, position, ['sending'], 'pending');
}

export async function markPartDeleted(db: Kysely<Database>, deliveryId: number, position: number): Promise<void> {
  await movePart(db, deliveryId, position, ['posted'], 'deleted');
}

async function movePart(
  db: Kysely<Database>,
  deliveryId: number,
  position: number,
  from: PostPartState[],
  to: PostPartState,
  set: Partial<Pick<PostPartRow, 'remoteId' | 'remoteCid' | 'remoteUrl'>> = {},
): Promise<void> {
  await db
    .updateTable('socialPostParts')
    .set({ ...set, state: to, updatedAt: sql<Date>`now()` })
    .where('deliveryId', '=', deliveryId)
    .where('position', '=', position)
    .where('state', 'in', from)
    .execute();
}
