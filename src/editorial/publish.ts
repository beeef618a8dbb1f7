// Use case: publish an article. Stores it with its dispatch (one transaction, the outbox), counts it, and wakes the
// relay so the dispatch is queued right away; a repeated externalId changes nothing.
import type { Kysely } from 'kysely';
import type { Article } from '../articles/article.js';
import type { ArticleInput } from '../articles/article-input.js';
import { publishArticle } from '../articles/publish.js';
import type { Database, DispatchRow } from '../db/schema.js';
import { latestDispatchOf } from '../dispatch/dispatch-repository.js';
import type { Metrics } from '../runtime/metrics.js';

export interface PublishDeps {
  db: Kysely<Database>;
  metrics: Pick<Metrics, 'published'>;
  /** The outbox relay: queues the new dispatch now instead of at its next interval. */
  relay: { kick(): void };
}

export type PublishOutcome =
  | { kind: 'published'; article: Article; dispatch: DispatchRow }
  /** Known before: nothing was stored or sent again. `latestDispatchId` is the dispatch it got then, if any. */
  | { kind: 'already-published'; article: Article; latestDispatchId: number | null };

/** `cause` is who published, for the event log: `api:<token>`, `dashboard:<editor>`, `cms:ghost`, `feed:<url>`. */
export async function publish(deps: PublishDeps, input: ArticleInput, cause: string): Promise<PublishOutcome> {
  const result = await publishArticle(deps.db, input, { cause });
  if (!result.created || !result.dispatch) {
    const latest = await latestDispatchOf(deps.db, result.article.id);
    return { kind: 'already-published', article: result.article, latestDispatchId: latest?.id ?? null };
  }
  deps.metrics.published.inc();
  deps.relay.kick();
  return { kind: 'published', article: result.article, dispatch: result.dispatch };
}
