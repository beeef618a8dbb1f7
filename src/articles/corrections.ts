// Corrections in the database: the correction row (the same note is the same correction), the readers and posts it
// goes to, and each one's outcome. Every outcome is written once, by a status change, and logged against the original.
import { sql, type Kysely } from 'kysely';
import type {
  CorrectionDeliveryRow,
  CorrectionOutcome,
  CorrectionRow,
  CorrectionSocial,
  CorrectionStatus,
  Database,
} from '../db/schema.js';
import { recordEvents } from '../events/event-log.js';

export interface NewCorrection {
  articleId: number;
  note: string;
  email: boolean;
  social: CorrectionSocial;
  cause: string;
}

/**
 * Writes the correction, the rows of everyone it goes to and the events linking it to the original, in the
 * transaction it is given; undefined when this note was given for this article before (nothing written, nothing
 * logged). Email: one row per reader whose edition delivery was sent (the first such delivery when several
 * dispatches reached them). Social: one row per post that is out there (sent, with an id, not retracted).
 */
export async function recordCorrection(
  db: Kysely<Database>,
  input: NewCorrection,
  dispatchIds: number[],
): Promise<{ correction: CorrectionRow; emails: number; posts: number } | undefined> {
  const correction = await db
    .insertInto('corrections')
    .values(input)
    .onConflict((oc) => oc.columns(['articleId', 'note']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!correction) return undefined;

  let emails = 0;
  if (input.email && dispatchIds.length > 0) {
    const inserted = await db
      .insertInto('correctionDeliveries')
      .columns(['correctionId', 'originalDeliveryId', 'channel', 'subscriberId', 'recipient'])
      .expression((eb) =>
        eb
          .selectFrom('deliveries')
          .select([
            sql<number>`cast(${correction.id} as integer)`.as('correctionId'),
            sql<number>`min(deliveries.id)`.as('originalDeliveryId'),
            sql<string>`'email'`.as('channel'),
            'deliveries.subscriberId',
            sql<string>`min(deliveries.recipient)`.as('recipient'),
          ])
          .where('deliveries.dispatchId', 'in', dispatchIds)
          .where('deliveries.channel', '=', 'email')
          .where('deliveries.status', '=', 'sent')
          .where('deliveries.subscriberId', 'is not', null)
          .groupBy('deliveries.subscriberId'),
      )
      .executeTakeFirst();
    emails = Number(inserted.numInsertedOrUpdatedRows ?? 0);
  }

  let posts: { id: number; originalDeliveryId: number; channel: string }[] = [];
  if (input.social !== 'none' && dispatchIds.length > 0) {
    posts = await db
      .insertInto('correctionDeliveries')
      .columns(['correctionId', 'originalDeliveryId', 'channel', 'recipient'])
      .expression((eb) =>
        eb
          .selectFrom('deliveries')
          .select([sql<number>`cast(${correction.id} as integer)`.as('correctionId'), 'id', 'channel', 'recipient'])
          .where('dispatchId', 'in', dispatchIds)
          .where('channel', '!=', 'email')
          .where('status', '=', 'sent')
          .where('remoteId', 'is not', null)
          .where('retraction', 'is', null),
      )
      .returning(['id', 'originalDeliveryId', 'channel'])
      .execute();
  }

  const detail = { correctionId: correction.id, note: input.note, email: input.email, social: input.social };
  await recordEvents(db, [
    { subjectType: 'article', subjectId: input.articleId, event: 'article.corrected', cause: input.cause, detail: { ...detail, dispatchIds, emails, posts: posts.length } },
    ...dispatchIds.map((id) => ({
      subjectType: 'dispatch' as const,
      subjectId: id,
      event: 'dispatch.corrected',
      cause: input.cause,
      detail: { ...detail, articleId: input.articleId },
    })),
  ]);
  return { correction, emails, posts: posts.length };
}

export async function findCorrection(db: Kysely<Database>, articleId: number, note: string): Promise<CorrectionRow | undefined> {
  return db.selectFrom('corrections').selectAll().where('articleId', '=', articleId).where('note', '=', note).executeTakeFirst();
}

export async function findCorrectionById(db: Kysely<Database>, id: number): Promise<CorrectionRow | undefined> {
  return db.selectFrom('corrections').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listCorrections(db: Kysely<Database>, articleId: number): Promise<CorrectionRow[]> {
  return db.selectFrom('corrections').selectAll().where('articleId', '=', articleId).orderBy('id').execute();
}

/** The posts a correction goes to (each with its outcome), and its email rows counted by status. */
export async function correctionProgress(db: Kysely<Database>, correctionId: number) {
  const posts = await db
    .selectFrom('correctionDeliveries')
    .selectAll()
    .where('correctionId', '=', correctionId)
    .where('channel', '!=', 'email')
    .orderBy('id')
    .execute();
  const counted = await db
    .selectFrom('correctionDeliveries')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('correctionId', '=', correctionId)
    .where('channel', '=', 'email')
    .groupBy('status')
    .execute();
  const email = Object.fromEntries(counted.map((c) => [c.status, Number(c.n)])) as Partial<Record<CorrectionStatus, number>>;
  return { posts, email };
}

/** Rows still to do (pending) or interrupted (sending), for the jobs and the queue reconciler. */
export async function openCorrectionDeliveries(
  db: Kysely<Database>,
  correctionId?: number,
): Promise<Pick<CorrectionDeliveryRow, 'id' | 'correctionId' | 'channel'>[]> {
  let query = db.selectFrom('correctionDeliveries').select(['id', 'correctionId', 'channel']).where('status', 'in', ['pending', 'sending']);
  if (correctionId !== undefined) query = query.where('correctionId', '=', correctionId);
  return query.execute();
}

/** Moves one row from `from` to `to`; undefined when it was not in `from` any more (another worker moved it). */
export async function moveCorrectionDelivery(
  db: Kysely<Database>,
  id: number,
  from: CorrectionStatus[],
  to: CorrectionStatus,
  changes: { outcome?: CorrectionOutcome; remoteId?: string; remoteUrl?: string | null; note?: string | null; attempt?: boolean } = {},
): Promise<CorrectionDeliveryRow | undefined> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('correctionDeliveries')
      .set({
        status: to,
        ...(changes.outcome ? { outcome: changes.outcome } : {}),
        ...(changes.remoteId ? { remoteId: changes.remoteId, remoteUrl: changes.remoteUrl ?? null } : {}),
        ...(changes.note !== undefined ? { note: changes.note?.slice(0, 1000) ?? null } : {}),
        ...(changes.attempt ? { attempts: sql<number>`attempts + 1` } : {}),
        updatedAt: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
    // Per-post outcomes are logged against the post corrected; per-reader ones would flood the log (the rows keep them).
    if (row && row.channel !== 'email' && to !== 'sending' && to !== 'pending') {
      await recordEvents(tx, [
        {
          subjectType: 'delivery',
          subjectId: row.originalDeliveryId,
          event: 'delivery.correction',
          fromStatus: from.join('|'),
          toStatus: to,
          cause: 'worker',
          detail: { correctionId: row.correctionId, channel: row.channel, outcome: row.outcome, remoteId: row.remoteId, note: row.note },
        },
      ]);
    }
    return row;
  });
}
