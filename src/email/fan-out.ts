// Fan-out: pages through the matching confirmed subscribers by keyset, freezes them as delivery rows cut into batches,
// and queues one job per batch once its page commits. Resumable at any point: the cursor moves in the same
// transaction as the rows and batches it covers.
// A local-time dispatch fans out per wave instead: its zones' readers when the wave fires.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { articleTopics } from '../articles/article.js';
import type { Database, WaveRow } from '../db/schema.js';
import { readerZone, zoneArray } from '../dispatch/waves.js';
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

/** Which readers a page comes from: the whole audience (cursor on the dispatch) or one wave (cursor on its row). */
type PageScope = { kind: 'dispatch' } | { kind: 'wave'; waveNo: number; zones: RawBuilder<boolean> };

/** One batch a page froze: its number and how many readers it holds. */
interface FrozenBatch {
  batchNo: number;
  recipients: number;
}

/**
 * Readers frozen per transaction at most (whole batches of them). Measured on PostgreSQL (docs/ARCHITECTURE.md,
 * "A million readers"): one transaction per 500-reader batch spent a fifth to a third of the fan-out's time on the
 * commit, the dispatch row's lock and update and the round trips; ten batches a transaction take most of that off,
 * and a page stays a fraction of a second's work, so a cancel is still seen within one page.
 */
const FAN_OUT_PAGE_READERS = 5000;

/**
 * Creates the delivery rows for one more page of the audience, `batches` batches of `batchSize` readers at most;
 * returns the batches it froze, or null when every matching subscriber has a row. The dispatch row is locked, so two
 * fan-outs of one dispatch (or two of its waves) take turns; batch numbers come from the dispatch either way.
 */
async function freezeNextPage(
  db: Kysely<Database>,
  dispatchId: number,
  audience: RawBuilder<boolean>,
  page: { batchSize: number; batches: number },
  scope: PageScope = { kind: 'dispatch' },
): Promise<FrozenBatch[] | null> {
  return db.transaction().execute(async (tx) => {
    const dispatch = await tx
      .selectFrom('dispatches')
      .select(['emailCursor', 'emailBatches', 'emailFannedOutAt', 'status'])
      .where('id', '=', dispatchId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (dispatch.emailFannedOutAt || dispatch.status === 'cancelled') return null;
    const wave =
      scope.kind === 'wave'
        ? await tx.selectFrom('dispatchWaves').select(['cursor', 'status']).where('dispatchId', '=', dispatchId).where('waveNo', '=', scope.waveNo).executeTakeFirstOrThrow()
        : undefined;
    if (wave && wave.status !== 'fanning_out') return null;
    const cursor = wave ? wave.cursor : dispatch.emailCursor;
    const inScope = scope.kind === 'wave' ? scope.zones : sql<boolean>`true`;
    const firstBatchNo = dispatch.emailBatches + 1;
    // The audience: confirmed, not paused, and either the article's (instantAudience) or a digest's subscribers.
    // The page's readers, in id order, are cut into batches of batchSize: the k-th batchSize of them get batch k.
    const frozen = await sql<{ batchNo: number; n: number; last: number }>`
      with page as (
        select id, ${firstBatchNo} + (row_number() over (order by id) - 1) / ${page.batchSize} as batch_no
        from (
          select id from subscribers
          where id > ${cursor} and status = 'confirmed' and not paused and ${audience} and ${inScope}
          order by id
          limit ${page.batchSize * page.batches}
        ) as readers
      ), frozen as (
        insert into deliveries (dispatch_id, channel, recipient, subscriber_id, batch_no, status)
        select ${dispatchId}, 'email', id::text, id, batch_no, 'pending' from page
        on conflict do nothing
      )
      select batch_no::int as "batchNo", count(*)::int as n, max(id) as last from page group by batch_no order by batch_no
    `.execute(tx);
    const batches = frozen.rows;
    if (batches.length === 0) {
      if (scope.kind === 'wave') {
        await tx.updateTable('dispatchWaves').set({ status: 'sent', updatedAt: sql<Date>`now()` })
          .where('dispatchId', '=', dispatchId).where('waveNo', '=', scope.waveNo).execute();
        // The email side is fanned out once no wave is left to fire (cancelled ones never will).
        const open = await tx.selectFrom('dispatchWaves').select('waveNo').where('dispatchId', '=', dispatchId)
          .where('status', 'in', ['scheduled', 'fanning_out']).limit(1).executeTakeFirst();
        if (open) return null;
      }
      await tx.updateTable('dispatches').set({ emailFannedOutAt: sql<Date>`now()` }).where('id', '=', dispatchId).execute();
      return null;
    }
    const last = batches.at(-1)!.last;
    const recipients = batches.reduce((sum, b) => sum + b.n, 0);
    const waveNo = scope.kind === 'wave' ? scope.waveNo : null;
    await tx
      .insertInto('emailBatches')
      .values(batches.map((b) => ({ dispatchId, batchNo: b.batchNo, status: 'pending' as const, recipients: b.n, waveNo })))
      .onConflict((oc) => oc.columns(['dispatchId', 'batchNo']).doNothing())
      .execute();
    if (scope.kind === 'wave') {
      await tx.updateTable('dispatchWaves').set({ cursor: last, recipients: sql<number>`recipients + ${recipients}` })
        .where('dispatchId', '=', dispatchId).where('waveNo', '=', scope.waveNo).execute();
    }
    await tx
      .updateTable('dispatches')
      .set({ ...(scope.kind === 'dispatch' ? { emailCursor: last } : {}), emailBatches: batches.at(-1)!.batchNo })
      .where('id', '=', dispatchId)
      .execute();
    return batches.map((b) => ({ batchNo: b.batchNo, recipients: b.n }));
  });
}

/** An article edition: instant cadence, and either no topic choice or a topic shared with the article. */
function instantAudience(topics: string[]): RawBuilder<boolean> {
  return sql<boolean>`cadence = 'instant'
    and (cardinality(topics) = 0 or topics && array(select jsonb_array_elements_text(${JSON.stringify(topics)}::jsonb)))`;
}

/** The dispatch's audience predicate and priority: a digest's own, or the article's instant subscribers. */
async function editionAudience(
  db: Kysely<Database>,
  dispatchId: number,
  ownAudience: FanOutOptions['ownAudience'],
): Promise<{ audience: RawBuilder<boolean>; priority: DispatchPriority; localTime: string | null; digest: boolean }> {
  const { priority, localTime, ...article } = await db
    .selectFrom('dispatches')
    .innerJoin('articles', 'articles.id', 'dispatches.articleId')
    .select(['articles.section', 'articles.tags', 'dispatches.priority', 'dispatches.localTime'])
    .where('dispatches.id', '=', dispatchId)
    .executeTakeFirstOrThrow();
  const own = await ownAudience?.(dispatchId);
  return { audience: own ?? instantAudience(articleTopics(article)), priority, localTime, digest: !!own };
}

/** Re-queues the batches frozen but maybe not queued before a crash (of the dispatch, or of one wave); ids dedupe. */
async function requeueUnfinished(db: Kysely<Database>, dispatchId: number, waveNo: number | null, options: FanOutOptions, priority: DispatchPriority) {
  let query = db.selectFrom('emailBatches').select('batchNo').where('dispatchId', '=', dispatchId).where('status', '!=', 'done');
  if (waveNo !== null) query = query.where('waveNo', '=', waveNo);
  for (const { batchNo } of await query.orderBy('batchNo').execute()) await options.enqueueBatch(batchNo, priority);
}

/**
 * Freezes the audience page by page, queueing each page's batches as soon as its transaction commits. The first page
 * is one batch, so the first messages leave while the rest is frozen; each next page doubles, up to
 * FAN_OUT_PAGE_READERS.
 */
async function freezeAll(db: Kysely<Database>, dispatchId: number, audience: RawBuilder<boolean>, options: FanOutOptions, priority: DispatchPriority, scope?: PageScope) {
  const result: FanOutResult = { batches: 0, recipients: 0 };
  const mostBatches = Math.max(1, Math.floor(FAN_OUT_PAGE_READERS / options.batchSize));
  for (let batches = 1; ; batches = Math.min(mostBatches, batches * 2)) {
    const page = await freezeNextPage(db, dispatchId, audience, { batchSize: options.batchSize, batches }, scope);
    if (!page) break;
    // Added together, so a page's jobs take about one round trip; their order among themselves does not matter.
    await Promise.all(page.map((b) => options.enqueueBatch(b.batchNo, priority)));
    result.batches += page.length;
    result.recipients += page.reduce((sum, b) => sum + b.recipients, 0);
  }
  return result;
}

/** How a local-time dispatch's fan-out plans its waves and queues their jobs (src/dispatch/waves.ts). */
export interface WavePlanning {
  plan: (audience: RawBuilder<boolean>, localTime: string, digest: boolean) => Promise<WaveRow[]>;
  enqueueWave: (wave: WaveRow, priority: DispatchPriority) => Promise<void>;
}

export async function fanOutEdition(
  db: Kysely<Database>,
  dispatchId: number,
  options: FanOutOptions & { waves?: WavePlanning },
): Promise<FanOutResult & { waves?: number }> {
  const { audience, priority, localTime, digest } = await editionAudience(db, dispatchId, options.ownAudience);
  if (localTime && options.waves) {
    // At each reader's local time: the readers are frozen wave by wave when each fires (fanOutWave).
    const waves = await options.waves.plan(audience, localTime, digest);
    for (const wave of waves) if (wave.status === 'scheduled' || wave.status === 'fanning_out') await options.waves.enqueueWave(wave, priority);
    return { batches: 0, recipients: 0, waves: waves.length };
  }
  await requeueUnfinished(db, dispatchId, null, options, priority);
  return freezeAll(db, dispatchId, audience, options, priority);
}

/** One wave, claimed by its job (claimWave): its zones' readers frozen as delivery rows, page by page, and queued. */
export async function fanOutWave(
  db: Kysely<Database>,
  dispatchId: number,
  wave: Pick<WaveRow, 'waveNo' | 'zones'>,
  options: FanOutOptions & { installationZone: string },
): Promise<FanOutResult> {
  const { audience, priority } = await editionAudience(db, dispatchId, options.ownAudience);
  const zones = sql<boolean>`${readerZone(options.installationZone)} = any(${zoneArray(wave.zones)})`;
  await requeueUnfinished(db, dispatchId, wave.waveNo, options, priority);
  return freezeAll(db, dispatchId, audience, options, priority, { kind: 'wave', waveNo: wave.waveNo, zones });
}
