// What one dispatch's email did: delivered, failed by kind, clicks (human and machine) in total and per link, and
// unique clickers when attribution is on. Read from the database, so at most one click flush behind.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { rolledUpCounts, type RolledUpCount } from '../delivery/delivery-retention.js';
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
  /** Over every link and reader (the canary's clicks are all machine ones). */
  clicks: { human: number; machine: number };
  /** Readers with at least one human click; null when HERALD_CLICK_ATTRIBUTION is off (nothing to count them by). */
  uniqueClickers: number | null;
  attribution: boolean;
  /** Every link of the edition but the canary, most human clicks first. */
  links: LinkReport[];
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

/** Undefined when the dispatch does not exist. */
export async function dispatchReport(db: Kysely<Database>, dispatchId: number, attribution: boolean): Promise<DispatchReport | undefined> {
  const dispatch = await db.selectFrom('dispatches').select(['id', 'articleId']).where('id', '=', dispatchId).executeTakeFirst();
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
  return {
    dispatchId,
    delivered: rolledUp.delivered,
    failed: { hardBounce: rolledUp.hardBounce, blocked: rolledUp.blocked, other: rolledUp.other },
    clicks,
    uniqueClickers,
    attribution,
    links: perLink,
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

/** The report as CSV: one row per figure, then one per link. */
export function dispatchReportCsvRows(report: DispatchReport): string[][] {
  const figure = (name: string, value: number | null) => ['summary', name, '', value === null ? '' : String(value), '', ''];
  return [
    ['section', 'name', 'url', 'value', 'human_clicks', 'machine_clicks'],
    figure('delivered', report.delivered),
    figure('failed_hard_bounce', report.failed.hardBounce),
    figure('failed_blocked', report.failed.blocked),
    figure('failed_other', report.failed.other),
    ['summary', 'clicks', '', '', String(report.clicks.human), String(report.clicks.machine)],
    figure('unique_clickers', report.uniqueClickers),
    ...report.links.map((link) => ['link', link.kind, link.url, String(link.position), String(link.human), String(link.machine)]),
    ...report.corrections.flatMap((c) => [
      ...Object.entries(c.email).map(([status, n]) => ['correction', `${c.id} email ${status}`, c.note, String(n), '', '']),
      ...c.posts.map((p) => ['correction', `${c.id} ${p.channel} ${p.outcome ?? p.status}`, p.remoteUrl ?? '', '', '', '']),
    ]),
  ];
}
