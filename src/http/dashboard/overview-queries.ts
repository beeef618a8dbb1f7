// The few reads only the dashboard needs: articles with their latest dispatch and its counts (rolled-up deliveries
// included), subscriber totals.
import { sql, type Kysely } from 'kysely';
import type { Database, DispatchStatus } from '../../db/schema.js';

export interface ArticleOverview {
  id: number;
  title: string;
  url: string;
  section: string | null;
  publishedAt: Date;
  dispatchId: number | null;
  status: DispatchStatus | null;
  channels: string[] | null;
  scheduledAt: Date | null;
  completedAt: Date | null;
  deliveries: number;
  sent: number;
  /** Failed, blocked or uncertain: did not reach the reader as it should. */
  failed: number;
  /** Why the dispatch paused itself (the reputation guard), when it did. */
  pauseReason: string | null;
}

/** Newest first; the article's own dispatch (digests, which also point at articles, are left out). */
export async function articleOverview(db: Kysely<Database>, page: { limit: number; before?: number }): Promise<ArticleOverview[]> {
  const result = await sql<ArticleOverview>`
    select a.id, a.title, a.url, a.section, a.published_at as "publishedAt",
      d.id as "dispatchId", d.status, d.channels, d.scheduled_at as "scheduledAt", d.completed_at as "completedAt", d.pause_reason as "pauseReason",
      (select count(*) from deliveries x where x.dispatch_id = d.id)::int
        + (select coalesce(sum(t.count), 0) from delivery_totals t where t.dispatch_id = d.id)::int as deliveries,
      (select count(*) from deliveries x where x.dispatch_id = d.id and x.status = 'sent')::int
        + (select coalesce(sum(t.count), 0) from delivery_totals t where t.dispatch_id = d.id and t.status = 'sent')::int as sent,
      (select count(*) from deliveries x where x.dispatch_id = d.id and x.status in ('failed', 'blocked', 'uncertain'))::int
        + (select coalesce(sum(t.count), 0) from delivery_totals t where t.dispatch_id = d.id and t.status in ('failed', 'blocked'))::int as failed
    from articles a
    left join lateral (
      select * from dispatches dd
      where dd.article_id = a.id and not exists (select 1 from digest_editions de where de.dispatch_id = dd.id)
      order by dd.id desc limit 1
    ) d on true
    where ${page.before ?? null}::int is null or a.id < ${page.before ?? null}::int
    order by a.id desc
    limit ${page.limit}
  `.execute(db);
  return result.rows.map((r) => ({ ...r, deliveries: Number(r.deliveries), sent: Number(r.sent), failed: Number(r.failed) }));
}

export async function dispatchStatusCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db.selectFrom('dispatches').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function subscriberStatusCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db.selectFrom('subscribers').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
