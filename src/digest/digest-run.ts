// One digest run for a cadence: the articles that went out since the last run, the subscribers of that cadence
// grouped by which of them match their topics, and one digest edition (an email-only dispatch) per group. The
// dispatches then travel the ordinary pipeline: outbox relay → render (already done) → fan-out → batch sender.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { editionUrl, newEditionPublicId } from '../email/edition-service.js';
import { recordEvent } from '../events/event-log.js';
import { matchingArticleIds } from './digest-audience.js';
import { renderDigest } from './digest-renderer.js';

export type DigestCadence = 'daily' | 'weekly';

export interface DigestSettings {
  publicUrl: string;
  listName: string;
  postalAddress: string;
  /** DIGEST_TIME: each edition goes out at that time in each reader's zone (src/dispatch/waves.ts); unset: at once. */
  localTime?: string;
}

export interface DigestEditionSummary {
  dispatchId: number;
  articleIds: number[];
  subscribers: number;
}

export interface DigestRunResult {
  status: 'created' | 'nothing-new' | 'already-ran';
  periodStart?: Date;
  periodEnd?: Date;
  articles: number;
  editions: DigestEditionSummary[];
}

const PERIOD_MS: Record<DigestCadence, number> = { daily: 24 * 3600_000, weekly: 7 * 24 * 3600_000 };
/** More than this many stories in one period is a configuration problem, not a digest; the newest win. */
const MAX_PERIOD_ARTICLES = 200;
// Serialises runs of one cadence across processes; the values only need to be unique within Herald.
const LOCK_KEYS: Record<DigestCadence, number> = { daily: 0x48524c_01, weekly: 0x48524c_02 };

/** Ids as an int[] SQL expression (arrays travel as JSON, which both PostgreSQL and PGlite take the same way). */
const intArray = (ids: number[]) => sql`array(select (jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))::int)`;

/**
 * Runs the digest of `cadence` for the period ending at `at`. Periods chain (each starts where the last ended;
 * the first looks back one day or week), and a period is only ever run once: a repeated or concurrent job
 * finds it done. All of it is one transaction, so a crash leaves either the whole run or none of it.
 */
export async function runDigest(
  db: Kysely<Database>,
  cadence: DigestCadence,
  at: Date,
  settings: DigestSettings,
): Promise<DigestRunResult> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${LOCK_KEYS[cadence]})`.execute(tx);
    const last = await tx
      .selectFrom('digestRuns')
      .select((eb) => eb.fn.max('periodEnd').as('end'))
      .where('cadence', '=', cadence)
      .executeTakeFirst();
    const periodStart = last?.end ? new Date(last.end) : new Date(at.getTime() - PERIOD_MS[cadence]);
    if (periodStart.getTime() >= at.getTime()) return { status: 'already-ran', articles: 0, editions: [] };
    const run = await tx
      .insertInto('digestRuns')
      .values({ cadence, periodStart, periodEnd: at })
      .onConflict((oc) => oc.columns(['cadence', 'periodStart']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!run) return { status: 'already-ran', articles: 0, editions: [] };

    // "Went out in the period": an article whose own email dispatch started then (not scheduled, not cancelled).
    const period = await tx
        .selectFrom('articles as a')
        .selectAll('a')
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('dispatches as d')
              .select('d.id')
              .whereRef('d.articleId', '=', 'a.id')
              .where(sql<boolean>`'email' = any(d.channels)`)
              .where('d.status', '!=', 'cancelled')
              .where('d.startedAt', '>', periodStart)
              .where('d.startedAt', '<=', at)
              .where(({ not, exists: has, selectFrom: from }) =>
                not(has(from('digestEditions as de').select('de.dispatchId').whereRef('de.dispatchId', '=', 'd.id'))),
              ),
          ),
        )
        .orderBy('a.publishedAt', 'desc')
        .orderBy('a.id', 'desc')
        .limit(MAX_PERIOD_ARTICLES)
        .execute();
    const result: DigestRunResult = { status: 'nothing-new', periodStart, periodEnd: at, articles: period.length, editions: [] };
    if (period.length === 0) return result;

    const periodIds = period.map((a) => a.id).sort((x, y) => x - y);
    const groups = await sql<{ articleIds: number[]; subscribers: number }>`
      select m.article_ids, count(*)::int as subscribers from (
        select ${matchingArticleIds(sql`s.topics`, intArray(periodIds))} as article_ids
        from subscribers s
        where s.cadence = ${cadence} and s.status = 'confirmed' and not s.paused
      ) m
      where cardinality(m.article_ids) > 0
      group by m.article_ids
      order by count(*) desc
    `.execute(tx);

    for (const group of groups.rows) {
      const ids = group.articleIds.map(Number);
      const articles = period.filter((a) => ids.includes(a.id));
      const dispatch = await tx
        .insertInto('dispatches')
        // A dispatch needs an article: the digest's newest story stands for it.
        .values({ articleId: articles[0].id, channels: ['email'], status: 'pending', socialTexts: JSON.stringify({}), localTime: settings.localTime ?? null, updatedAt: sql<Date>`now()` })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Stored with the dispatch, in this transaction: the render step then finds the edition and leaves it alone.
      const publicId = newEditionPublicId();
      const edition = await renderDigest(articles, { cadence, ...settings, viewInBrowserUrl: editionUrl(settings.publicUrl, publicId) });
      await tx
        .insertInto('editions')
        .values({
          dispatchId: dispatch.id, publicId, markerKey: edition.markerKey,
          subject: edition.subject, preheader: edition.preheader, html: edition.html, text: edition.text,
        })
        .execute();
      await tx
        .updateTable('dispatches')
        .set({ subject: edition.subject })
        .where('id', '=', dispatch.id)
        .execute();
      await tx
        .insertInto('digestEditions')
        .values({ dispatchId: dispatch.id, runId: run.id, cadence, periodArticleIds: periodIds, articleIds: ids })
        .execute();
      await recordEvent(tx, {
        subjectType: 'dispatch', subjectId: dispatch.id, event: 'dispatch.created', toStatus: 'pending', cause: `digest:${cadence}`,
        detail: { articles: ids, subscribers: group.subscribers, periodStart: periodStart.toISOString(), periodEnd: at.toISOString() },
      });
      result.editions.push({ dispatchId: dispatch.id, articleIds: ids, subscribers: group.subscribers });
    }
    await tx
      .updateTable('digestRuns')
      .set({ articles: period.length, editions: result.editions.length })
      .where('id', '=', run.id)
      .execute();
    return { ...result, status: result.editions.length > 0 ? 'created' : 'nothing-new' };
  });
}
