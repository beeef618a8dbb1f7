// Who a digest edition is for, as SQL the fan-out pages through: subscribers of the digest's cadence whose topics
// pick out exactly the edition's articles from the period. The digest run groups by the same expression.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';

/** An article's topics (table alias `a`), as articleTopics() in src/articles/article.ts computes them. */
const ARTICLE_TOPICS = sql`(array_remove(array[lower(trim(a.section))], null) || array(select lower(trim(t)) from unnest(a.tags) as t))`;

/**
 * The ids, ascending, of the period's articles that match a subscriber's topics: all of them when the subscriber
 * chose none (as for instant editions), otherwise those sharing a topic.
 */
export function matchingArticleIds(subscriberTopics: RawBuilder<unknown>, periodArticleIds: RawBuilder<unknown>): RawBuilder<number[]> {
  return sql<number[]>`array(
    select a.id from articles a
    where a.id = any(${periodArticleIds})
      and (cardinality(${subscriberTopics}) = 0 or ${subscriberTopics} && ${ARTICLE_TOPICS})
    order by a.id
  )`;
}

/**
 * The fan-out's audience predicate for a digest edition (over the `subscribers` table), or undefined when the
 * dispatch is an ordinary article edition. Read at fan-out time: someone who changed topics or cadence since
 * the run gets what matches now, and never two digests of one period.
 */
export async function digestAudience(db: Kysely<Database>, dispatchId: number): Promise<RawBuilder<boolean> | undefined> {
  const digest = await db.selectFrom('digestEditions').select('dispatchId').where('dispatchId', '=', dispatchId).executeTakeFirst();
  if (!digest) return undefined;
  return sql<boolean>`exists (
    select 1 from digest_editions de
    where de.dispatch_id = ${dispatchId} and subscribers.cadence = de.cadence
      and ${matchingArticleIds(sql`subscribers.topics`, sql`de.period_article_ids`)} = de.article_ids
  )`;
}
