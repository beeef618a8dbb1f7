// Use case: correct an article that went out. A short correction email to the readers who received its edition and
// a reply under (or an edit of) each of its posts, as the editor chose, queued as jobs that the rows decide.
import type { Kysely } from 'kysely';
import type { Article } from '../articles/article.js';
import { findArticle } from '../articles/article-repository.js';
import { findCorrection, openCorrectionDeliveries, recordCorrection } from '../articles/corrections.js';
import { findRetraction } from '../articles/retractions.js';
import type { CorrectionRow, CorrectionSocial, Database } from '../db/schema.js';
import { ACTIVE, isFinal, isNotStarted } from '../dispatch/lifecycle.js';
import { queueCorrectionMail, queueSocialCorrection } from '../dispatch/step-jobs.js';
import type { Queues } from '../queue/queues.js';

export interface CorrectDeps {
  db: Kysely<Database>;
  queues: Queues;
}

export interface CorrectionRequest {
  note: string;
  email: boolean;
  social: CorrectionSocial;
}

export type CorrectOutcome =
  /** Recorded; `emails` readers and `posts` posts are queued. */
  | { kind: 'corrected'; article: Article; correction: CorrectionRow; emails: number; posts: number }
  /** This note was given before: nothing new is sent (rows still open get their job back, under the same id). */
  | { kind: 'already-corrected'; article: Article; correction: CorrectionRow }
  | { kind: 'not-found' }
  /** Why there is nothing to correct now: retracted, never sent, or still sending. */
  | { kind: 'conflict'; reason: string };

/**
 * Safe to repeat and to interrupt: the correction and all its rows are one transaction, keyed by the note, so a
 * repeated request finds them and sends nobody a second copy; a job lost after the commit is queued again here on a
 * repeat, and by the queue reconciler.
 */
export async function correct(deps: CorrectDeps, articleId: number, request: CorrectionRequest, cause: string): Promise<CorrectOutcome> {
  const article = await findArticle(deps.db, articleId);
  if (!article) return { kind: 'not-found' };

  const existing = await findCorrection(deps.db, articleId, request.note);
  if (existing) {
    await queueOpen(deps, existing.id);
    return { kind: 'already-corrected', article, correction: existing };
  }
  if (await findRetraction(deps.db, articleId)) return { kind: 'conflict', reason: 'this article was retracted: there is nothing out there to correct' };
  const dispatches = await deps.db.selectFrom('dispatches').select(['id', 'status']).where('articleId', '=', articleId).execute();
  const sending = dispatches.filter((d) => (ACTIVE as readonly string[]).includes(d.status) || isNotStarted(d.status));
  if (sending.length > 0) {
    return { kind: 'conflict', reason: `dispatch ${sending.map((d) => d.id).join(', ')} has not finished sending: edit it, or wait until it is done` };
  }
  // Cancelled sends count too: the readers they reached before the cancel got the story.
  const finished = dispatches.filter((d) => isFinal(d.status)).map((d) => d.id);
  const sent = finished.length === 0 ? undefined : await deps.db
    .selectFrom('deliveries').select('id').where('dispatchId', 'in', finished).where('status', '=', 'sent').limit(1).executeTakeFirst();
  if (!sent) return { kind: 'conflict', reason: 'nothing of this article was ever sent: edit the story instead' };

  const recorded = await deps.db.transaction().execute((tx) => recordCorrection(tx, { articleId, ...request, cause }, finished));
  // Lost a race with the same request: the other one's correction stands.
  if (!recorded) {
    const correction = (await findCorrection(deps.db, articleId, request.note))!;
    return { kind: 'already-corrected', article, correction };
  }
  await queueOpen(deps, recorded.correction.id);
  return { kind: 'corrected', article, ...recorded };
}

/** One email job for the correction's readers, one social job per post; all under deterministic ids. */
export async function queueOpen(deps: CorrectDeps, correctionId: number): Promise<void> {
  const open = await openCorrectionDeliveries(deps.db, correctionId);
  if (open.some((row) => row.channel === 'email')) await queueCorrectionMail(deps.queues, correctionId);
  for (const row of open.filter((r) => r.channel !== 'email')) {
    await queueSocialCorrection(deps.queues, { correctionDeliveryId: row.id, network: row.channel });
  }
}
