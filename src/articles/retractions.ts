// Retracted articles: one row each, written once. The first retraction decides; a repeat finds the row.
import type { Kysely } from 'kysely';
import type { Database, RetractionRow } from '../db/schema.js';
import { recordEvents } from '../events/event-log.js';

/**
 * Marks the article retracted and logs `article.retracted`; undefined when it already was (nothing written, nothing
 * logged). Pass the transaction the rest of the retraction's rows are written in.
 */
export async function markRetracted(
  db: Kysely<Database>,
  articleId: number,
  reason: string,
  cause: string,
): Promise<RetractionRow | undefined> {
  const row = await db
    .insertInto('retractions')
    .values({ articleId, reason, cause })
    .onConflict((oc) => oc.column('articleId').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row) {
    await recordEvents(db, [
      { subjectType: 'article', subjectId: articleId, event: 'article.retracted', toStatus: 'retracted', cause, detail: { reason } },
    ]);
  }
  return row;
}

export async function findRetraction(db: Kysely<Database>, articleId: number): Promise<RetractionRow | undefined> {
  return db.selectFrom('retractions').selectAll().where('articleId', '=', articleId).executeTakeFirst();
}
