// Fan-out: pages through the matching confirmed subscribers by keyset, freezes them as delivery rows, and queues one
// batch job per page. Resumable at any point: the cursor moves in the same transaction as the rows it covers.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { articleTopics } from '../articles/article.js';
import type { Database } from '../db/schema.js';
import type { DispatchPriority } from '../dispatch/priority.js';

export interface FanOutOptions {
  batchSize: number;
  /** Queues a batch with its dispatch's priority; must be idempotent (a deterministic job id). */
  enqueueBatch: (batchNo: number, priority: DispatchPriority) => Promise<void>;
  /**
   * The dispatch's own audience predicate over `subscribers`, when it has one (a digest edition's, from
   * src/digest/digest-audience.ts); without one, the article's instant subscribers get it.
   */
  ownAudience?: (dispatchId: number) => Promise<RawBuilder<boolean> | undefined>;
}

export interface FanOutResult {
  batches: number;
  recipients: number;
}

/**
 * Creates the delivery rows for one more page of the audience; returns the batch number, or null when every
 * matching subscriber has a row. The dispatch row is locked, so two fan-outs of one dispatch take turns.
 */
async function freezeNextPage(
  db: Kysely<Database>,
  dispatchId: number,
  audience: RawBuilder<boolean>,
  batchSize: number,
): Promise<{ batchNo: number; recipients: number } | null> {
  return db.transaction().execute(async (tx) => {
    const dispatch = await tx
      .selectFrom('dispatches')
      .select(['emailCursor', 'emailBatches', 'emailFannedOutAt', 'status'])
      .where('id', '=', dispatchId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (dispatch.emailFannedOutAt || dispatch.status === 'cancelled') return null;
    const batchNo = dispatch.emailBatches + 1;
    // The audience: confirmed, not paused, and either the article's (instantAudience) or a digest's subscribers.
    const page = await sql<{ n: number; last: number | null }>`
      with page as (
        select id from subscribers
        where id > ${dispatch.emailCursor} and status = 'confirmed' and not paused and ${audience}
        order by id
        limit ${batchSize}
      ), frozen as (
        insert into deliveries (dispatch_id, channel, recipient, subscriber_id, batch_no, status)
        select ${dispatchId}, 'email', id::text, id, ${batchNo}, 'pending' from page
        on conflict do nothing
      )
      select count(*)::int as n, max(id) as last from page
    `.execute(tx);
    const { n, last } = page.rows[0];
    if (n === 0) {
      await tx.updateTable('dispatches').set({ emailFannedOutAt: sql<Date>`now()` }).where('id', '=', dispatchId).execute();
      return null;
    }
    await tx
      .insertInto('emailBatches')
      .values({ dispatchId, batchNo, status: 'pending', recipients: n })
      .onConflict((oc) => oc.columns(['dispatchId', 'batchNo']).doNothing())
      .execute();
    await tx
      .updateTable('dispatches')
      .set({ emailCursor: last!, emailBatches: batchNo })
      .where('id', '=', dispatchId)
      .execute();
    return { batchNo, recipients: n };
  });
}

/** An article edition: instant cadence, and either no topic choice or a topic shared with the article. */
function instantAudience(topics: string[]): RawBuilder<boolean> {
  return sql<boolean>`cadence = 'instant'
    and (cardinality(topics) = 0 or topics && array(select jsonb_array_elements_text(${JSON.stringify(topics)}::jsonb)))`;
}

export async function fanOutEdition(
  db: Kysely<Database>,
  dispatchId: number,
  options: FanOutOptions,
): Promise<FanOutResult> {
  const { priority, ...article } = await db
    .selectFrom('dispatches')
    .innerJoin('articles', 'articles.id', 'dispatches.articleId')
    .select(['articles.section', 'articles.tags', 'dispatches.priority'])
    .where('dispatches.id', '=', dispatchId)
    .executeTakeFirstOrThrow();
  const audience = (await options.ownAudience?.(dispatchId)) ?? instantAudience(articleTopics(article));

  // A fan-out resumed after a crash re-queues the batches it had frozen but maybe not queued; job ids dedupe.
  const unfinished = await db
    .selectFrom('emailBatches')
    .select('batchNo')
    .where('dispatchId', '=', dispatchId)
    .where('status', '!=', 'done')
    .orderBy('batchNo')
    .execute();
  for (const { batchNo } of unfinished) await options.enqueueBatch(batchNo, priority);

  const result: FanOutResult = { batches: 0, recipients: 0 };
  for (;;) {
    const page = await freezeNextPage(db, dispatchId, audience, options.batchSize);
    if (!page) break;
    await options.enqueueBatch(page.batchNo, priority);
    result.batches++;
    result.recipients += page.recipients;
  }
  return result;
}
