// What one dispatch did: delivered, failed by kind, complaints, unsubscribes it caused, clicks (human and machine) in
// total, per link and over time, unique clickers when attribution is on, opens when tracked, and each social post's
// engagement. Read from the database, so at most one click flush behind.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { rolledUpCounts, type RolledUpCount } from '../delivery/delivery-retention.js';
import { clicksOverTime, type ClicksOverTime } from './clicks-over-time.js';
import { editionFeedback } from './edition-feedback.js';
import { engagementReport, type PostEngagementReport } from './engagement-report.js';

/** Said wherever opens are shown: what the figure can and cannot tell. */
export const OPENS_CAVEAT =
  'Opens are approximate. They are counted from an image in the email: mail apps that block images never count, ' +
  'and Apple Mail Privacy Protection, Gmail\'s image proxy and security scanners fetch it without anyone reading. ' +
  'Those fetches are counted apart as machine opens; the human figure is a rough lower bound, not a readership.';

export interface OpensReport {
  human: number;
  machine: number;
  /** Readers with a human open; null unless HERALD_CLICK_ATTRIBUTION is on. */
  uniqueOpeners: number | null;
  note: string;
}

export interface ReportOptions {
  /** HERALD_CLICK_ATTRIBUTION is on: unique clickers and openers are counted. */
  attribution: boolean;
  /** HERALD_TRACK_OPENS is on (opens are also shown for an edition that has counts from when it was). */
  trackOpens: boolean;
  /** Width of the clicks-over-time buckets; by default the narrowest that keeps the series under 48 points. */
  bucketMinutes?: number;
}
import { correctionProgress, listCorrections } from '../articles/corrections.js';

export interface LinkReport {
  position: number;
  url: string;
  kind: string;
  human: number;
  machine: number;
}

export interface DispatchReport {
  dispatchId: number;
  delivered: number;
  failed: { hardBounce: number; blocked: number; other: number };
  /** Readers whose complaint (marked as spam) was about this edition. */
  complaints: number;
  /** Readers who left through this edition: the mail app's one-click button, or the footer link. */
  unsubscribes: { total: number; oneClick: number; link: number };
  /** Over every link and reader (the canary's clicks are all machine ones). */
  clicks: { human: number; machine: number };
  /** Readers with at least one human click; null when HERALD_CLICK_ATTRIBUTION is off (nothing to count them by). */
  uniqueClickers: number | null;
  attribution: boolean;
  /** Every link of the edition but the canary, most human clicks first. */
  links: LinkReport[];
  clicksOverTime: ClicksOverTime;
  /** Null: opens are not tracked (HERALD_TRACK_OPENS off, and no counts from an edition that had the pixel). */
  opens: OpensReport | null;
  /** One entry per social post of the dispatch. */
  engagement: PostEngagementReport[];
  /** The story's corrections, linked to this send: readers emailed by status, and each post's outcome. */
  corrections: CorrectionReport[];
}

export interface CorrectionReport {
  id: number;
  note: string;
  createdAt: Date;
  email: Record<string, number>;
  posts: { channel: string; status: string; outcome: string | null; remoteUrl: string | null; note: string | null }[];
}

/** The report's options as the configuration sets them. */
export const reportOptionsFrom = (config: { HERALD_CLICK_ATTRIBUTION: 'on' | 'off'; HERALD_TRACK_OPENS: 'on' | 'off' }): ReportOptions => ({
  attribution: config.HERALD_CLICK_ATTRIBUTION === 'on',
  trackOpens: config.HERALD_TRACK_OPENS === 'on',
});

/** Undefined when the dispatch does not exist. */
export async function dispatchReport(db: Kysely<Database>, dispatchId: number, options: ReportOptions): Promise<DispatchReport | undefined> {
  const { attribution } = options;
  const dispatch = await db.selectFrom('dispatches').select(['id', 'startedAt', 'articleId']).where('id', '=', dispatchId).executeTakeFirst();
  if (!dispatch) return undefined;
  const outcomes = await db
    .selectFrom('deliveries')
    .select([
      sql<number>`count(*) filter (where status = 'sent')`.as('delivered'),
      sql<number>`count(*) filter (where status = 'failed' and failure = 'permanent_address')`.as('hardBounce'),
      sql<number>`count(*) filter (where status = 'blocked')`.as('blocked'),
      sql<number>`count(*) filter (where status = 'failed' and failure is distinct from 'permanent_address')`.as('other'),
    ])
    .where('dispatchId', '=', dispatchId)
    .where('channel', '=', 'email')
    .executeTakeFirstOrThrow();
  const rolledUp = addRolledUp(outcomes, (await rolledUpCounts(db, dispatchId)).filter((r) => r.channel === 'email'));
  const rows = await db.selectFrom('linkClicks').select(['position', 'human', 'machine']).where('dispatchId', '=', dispatchId).execute();
  const links = await db.selectFrom('editionLinks').select(['position', 'url', 'kind']).where('dispatchId', '=', dispatchId).execute();
  const counted = new Map(rows.map((r) => [r.position, r]));
  const perLink: LinkReport[] = links
    .filter((link) => link.kind !== 'canary')
    .map((link) => ({ ...link, human: Number(counted.get(link.position)?.human ?? 0), machine: Number(counted.get(link.position)?.machine ?? 0) }))
    .sort((a, b) => b.human - a.human || b.machine - a.machine || a.position - b.position);
  const clicks = rows.reduce((sum, r) => ({ human: sum.human + Number(r.human), machine: sum.machine + Number(r.machine) }), { human: 0, machine: 0 });
  let uniqueClickers: number | null = null;
  if (attribution) {
    const row = await db.selectFrom('deliveryClicks').select(sql<number>`count(*)`.as('n'))
      .where('dispatchId', '=', dispatchId).where('human', '>', 0).executeTakeFirstOrThrow();
    uniqueClickers = Number(row.n);
  }
  const feedback = await editionFeedback(db, dispatchId);
  return {
    dispatchId,
    delivered: rolledUp.delivered,
    failed: { hardBounce: rolledUp.hardBounce, blocked: rolledUp.blocked, other: rolledUp.other },
    complaints: feedback.complaints,
    unsubscribes: feedback.unsubscribes,
    clicks,
    uniqueClickers,
    attribution,
    links: perLink,
    clicksOverTime: await clicksOverTime(db, dispatchId, dispatch.startedAt, options.bucketMinutes),
    opens: await opensReport(db, dispatchId, options),
    engagement: await engagementReport(db, dispatchId),
    corrections: await Promise.all(
      (await listCorrections(db, dispatch.articleId)).map(async (c) => {
        const { posts, email } = await correctionProgress(db, c.id);
        return {
          id: c.id, note: c.note, createdAt: c.createdAt, email,
          posts: posts.map((p) => ({ channel: p.channel, status: p.status, outcome: p.outcome, remoteUrl: p.remoteUrl, note: p.note })),
        };
      }),
    ),
  };
}

async function opensReport(db: Kysely<Database>, dispatchId: number, options: ReportOptions): Promise<OpensReport | null> {
  const row = await db.selectFrom('editionOpens').select(['human', 'machine']).where('dispatchId', '=', dispatchId).executeTakeFirst();
  if (!row && !options.trackOpens) return null;
  let uniqueOpeners: number | null = null;
  if (options.attribution) {
    const openers = await db.selectFrom('deliveryOpens').select(sql<number>`count(*)`.as('n'))
      .where('dispatchId', '=', dispatchId).where('human', '>', 0).executeTakeFirstOrThrow();
    uniqueOpeners = Number(openers.n);
  }
  return { human: Number(row?.human ?? 0), machine: Number(row?.machine ?? 0), uniqueOpeners, note: OPENS_CAVEAT };
}

type Outcomes = Record<'delivered' | 'hardBounce' | 'blocked' | 'other', number>;

/** The live rows' outcomes plus those of rows the retention rollup deleted, sorted the same way. */
function addRolledUp(live: Outcomes, totals: RolledUpCount[]): Outcomes {
  const sum: Outcomes = { delivered: Number(live.delivered), hardBounce: Number(live.hardBounce), blocked: Number(live.blocked), other: Number(live.other) };
  for (const { status, failure, count } of totals) {
    if (status === 'sent') sum.delivered += count;
    else if (status === 'blocked') sum.blocked += count;
    else if (status === 'failed') sum[failure === 'permanent_address' ? 'hardBounce' : 'other'] += count;
  }
  return sum;
}

/**
 * The report as CSV: one row per figure, then one per link, per clicks-over-time bucket and per social metric.
 * `human`/`machine` hold the split where a figure has one (clicks, opens); `value` holds the rest.
 */
export function dispatchReportCsvRows(report: DispatchReport): string[][] {
  const figure = (name: string, value: number | null) => ['summary', name, '', value === null ? '' : String(value), '', ''];
  const opens = report.opens;
  return [
    ['section', 'name', 'url', 'value', 'human_clicks', 'machine_clicks'],
    figure('delivered', report.delivered),
    figure('failed_hard_bounce', report.failed.hardBounce),
    figure('failed_blocked', report.failed.blocked),
    figure('failed_other', report.failed.other),
    figure('complaints', report.complaints),
    figure('unsubscribes', report.unsubscribes.total),
    figure('unsubscribes_one_click', report.unsubscribes.oneClick),
    figure('unsubscribes_link', report.unsubscribes.link),
    ['summary', 'clicks', '', '', String(report.clicks.human), String(report.clicks.machine)],
    figure('unique_clickers', report.uniqueClickers),
    ...(opens
      ? [['summary', 'opens (approximate)', '', '', String(opens.human), String(opens.machine)], figure('unique_openers', opens.uniqueOpeners)]
      : []),
    ...report.links.map((link) => ['link', link.kind, link.url, String(link.position), String(link.human), String(link.machine)]),
    ...report.clicksOverTime.buckets.map((b) => ['clicks_over_time', `${b.minutesAfterSend}-${b.minutesAfterSend + report.clicksOverTime.bucketMinutes} min`, '', String(b.minutesAfterSend), String(b.human), String(b.machine)]),
    ...report.engagement.flatMap((post) => post.reads.flatMap((read) =>
      read.status === 'ok'
        ? Object.entries(read.metrics).map(([metric, n]) => [`engagement_${read.read}`, `${post.network} ${metric}`, post.url ?? '', String(n), '', ''])
        : [[`engagement_${read.read}`, `${post.network} not available`, post.url ?? '', '', '', '']])),
    ...report.corrections.flatMap((c) => [
      ...Object.entries(c.email).map(([status, n]) => ['correction', `${c.id} email ${status}`, c.note, String(n), '', '']),
      ...c.posts.map((p) => ['correction', `${c.id} ${p.channel} ${p.outcome ?? p.status}`, p.remoteUrl ?? '', '', '', '']),
    ]),
  ];
}
