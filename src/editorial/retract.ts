// Use case: retract an article everywhere Herald sent it. Email not yet handed to a transport is cancelled, each
// social post Herald made is deleted on its network (one job per post), and the web copy shows the reason instead.
import type { Kysely } from 'kysely';
import type { Article } from '../articles/article.js';
import { findArticle } from '../articles/article-repository.js';
import { findRetraction, markRetracted } from '../articles/retractions.js';
import type { Database, RetractionRow } from '../db/schema.js';
import { cancelDispatch } from '../dispatch/dispatch-repository.js';
import { isFinal } from '../dispatch/lifecycle.js';
import { queueSocialRetraction } from '../dispatch/step-jobs.js';
import { jobIds, type Queues } from '../queue/queues.js';
import type { Network } from '../social/channel.js';
import { markPostsForRetraction } from '../social/social-retractions.js';

export interface RetractDeps {
  db: Kysely<Database>;
  queues: Queues;
}

export type RetractOutcome =
  /** `cancelled`: dispatches stopped before they finished; `deleting`: posts whose deletion is queued. */
  | { kind: 'retracted'; article: Article; retraction: RetractionRow; cancelled: number[]; deleting: number }
  /** Retracted before: nothing new happened (posts still waiting get their job back, under the same id). */
  | { kind: 'already-retracted'; article: Article; retraction: RetractionRow; deleting: number }
  | { kind: 'not-found' };

/**
 * Safe to repeat and to interrupt: each step reads the rows and only moves what has not moved yet, so running it
 * again finishes the work and a second retraction adds nothing (the first reason stands). The order keeps a crash
 * harmless: sends stop first; the retraction and its posts' marks are one transaction (a crash before it leaves the
 * article unretracted, and the editor's call failed); a job lost after it is queued again by the reconciler.
 */
export async function retract(deps: RetractDeps, articleId: number, reason: string, cause: string): Promise<RetractOutcome> {
  const article = await findArticle(deps.db, articleId);
  if (!article) return { kind: 'not-found' };

  const dispatches = await deps.db.selectFrom('dispatches').select(['id', 'status']).where('articleId', '=', articleId).execute();
  const cancelled: number[] = [];
  for (const dispatch of dispatches.filter((d) => !isFinal(d.status))) {
    if (!(await cancelDispatch(deps.db, dispatch.id, cause))) continue;
    cancelled.push(dispatch.id);
    await deps.queues.dispatch.remove(jobIds.dispatchStart(dispatch.id)).catch(() => 0); // saves a wake-up only
  }

  const { first, pending } = await deps.db.transaction().execute(async (tx) => ({
    first: await markRetracted(tx, articleId, reason, cause),
    pending: await markPostsForRetraction(tx, dispatches.map((d) => d.id), cause),
  }));
  const retraction = first ?? (await findRetraction(deps.db, articleId))!;
  for (const post of pending) {
    await queueSocialRetraction(deps.queues, { dispatchId: post.dispatchId, deliveryId: post.id, network: post.channel as Network });
  }
  return first
    ? { kind: 'retracted', article, retraction, cancelled, deleting: pending.length }
    : { kind: 'already-retracted', article, retraction, deleting: pending.length };
}
