// A dispatch as the dashboard watches it, once a second: counts per channel, the sending rate and an ETA, the
// failures grouped by reason with a few of the recipients they hit, and a local-time dispatch's waves.
import { sql, type Kysely } from 'kysely';
import type { Database, DeliveryStatus, DispatchRow } from '../db/schema.js';
import { listSocialPosts, type SocialPostView } from '../social/social-deliveries.js';
import { rolledUpCounts } from '../delivery/delivery-retention.js';
import { dispatchProgress } from './dispatch-repository.js';
import { listWaves, type WaveView } from './waves.js';

/** The rate is measured over the last this-many milliseconds of sending. */
const RATE_WINDOW_MS = 15_000;
/** The largest failure groups shown. */
const FAILURE_GROUPS_SHOWN = 20;
/** What counts as work done for the rate (a cancelled delivery is not). */
const FINISHED: DeliveryStatus[] = ['sent', 'failed', 'blocked', 'skipped', 'uncertain', 'preview'];

export interface LiveChannel {
  channel: string;
  total: number;
  sent: number;
  failed: number;
  /** Waiting or in the hands of a transport. */
  pending: number;
  /** Every status with its count (skipped, uncertain, preview, cancelled…). */
  counts: Record<string, number>;
}

export interface FailureGroup {
  channel: string;
  /** `failed`, `uncertain`, or `retrying` (a temporary failure; the delivery is tried again). */
  status: string;
  reason: string;
  count: number;
  examples: string[];
}

export interface LiveProgress {
  id: number;
  articleId: number;
  status: DispatchRow['status'];
  priority: DispatchRow['priority'];
  scheduledAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  /** Why it failed or was held, or why it paused itself (the reputation guard): shown above the progress. */
  error: string | null;
  channels: LiveChannel[];
  /** Email only: whether every recipient has a delivery row yet (until then, totals still grow). */
  emailFannedOut: boolean | null;
  /** Deliveries finished per second lately, and the seconds left at that pace; null when not sending. */
  rate: number | null;
  etaSeconds: number | null;
  failures: FailureGroup[];
  posts: SocialPostView[];
  /** "HH:MM" of a local-time dispatch, and its waves in firing order (empty otherwise). */
  localTime: string | null;
  waves: WaveView[];
  now: Date;
}

export async function liveProgress(db: Kysely<Database>, id: number, now = new Date()): Promise<LiveProgress | undefined> {
  const dispatch = await db.selectFrom('dispatches').selectAll().where('id', '=', id).executeTakeFirst();
  if (!dispatch) return undefined;
  const [progress, failures, posts, rate, waves] = await Promise.all([
    dispatchProgress(db, id),
    failureGroups(db, id),
    listSocialPosts(db, id),
    dispatch.status === 'running' ? recentRate(db, dispatch, now) : Promise.resolve(null),
    listWaves(db, id),
  ]);
  const channels = progress.map(({ channel, total, counts }) => ({
    channel,
    total,
    counts,
    sent: counts.sent ?? 0,
    failed: counts.failed ?? 0,
    pending: (counts.pending ?? 0) + (counts.sending ?? 0),
  }));
  // Channels not started yet still show, with nothing counted.
  for (const channel of dispatch.channels) {
    if (!channels.some((c) => c.channel === channel)) channels.push({ channel, total: 0, counts: {}, sent: 0, failed: 0, pending: 0 });
  }
  channels.sort((a, b) => dispatch.channels.indexOf(a.channel) - dispatch.channels.indexOf(b.channel));
  const remaining = channels.reduce((n, c) => n + c.pending, 0);
  return {
    id: dispatch.id,
    articleId: dispatch.articleId,
    status: dispatch.status,
    priority: dispatch.priority,
    scheduledAt: dispatch.scheduledAt,
    startedAt: dispatch.startedAt,
    completedAt: dispatch.completedAt,
    error: dispatch.error ?? dispatch.pauseReason,
    channels,
    emailFannedOut: dispatch.channels.includes('email') ? !!dispatch.emailFannedOutAt : null,
    rate,
    etaSeconds: rate && remaining > 0 ? Math.ceil(remaining / rate) : null,
    failures,
    posts,
    localTime: dispatch.localTime,
    waves,
    now,
  };
}

/** Deliveries that reached a final status per second, over the recent window (or since the start, if shorter). */
async function recentRate(db: Kysely<Database>, dispatch: DispatchRow, now: Date): Promise<number | null> {
  const since = new Date(Math.max(now.getTime() - RATE_WINDOW_MS, dispatch.startedAt?.getTime() ?? now.getTime()));
  const seconds = (now.getTime() - since.getTime()) / 1000;
  if (seconds < 1) return null;
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dispatchId', '=', dispatch.id)
    .where('status', 'in', FINISHED)
    .where('updatedAt', '>', since)
    .executeTakeFirst();
  const n = Number(row?.n ?? 0);
  return n > 0 ? Math.round((n / seconds) * 10) / 10 : null;
}

async function failureGroups(db: Kysely<Database>, id: number): Promise<FailureGroup[]> {
  const result = await sql<{ channel: string; status: string; reason: string; count: number; examples: string[] }>`
    select d.channel, case when d.status = 'pending' then 'retrying' else d.status end as status,
      coalesce(d.last_response, 'no reason recorded') as reason, count(*)::int as count,
      (array_agg(coalesce(s.email, d.recipient) order by d.id))[1:3] as examples
    from deliveries d left join subscribers s on s.id = d.subscriber_id
    where d.dispatch_id = ${id}
      and (d.status in ('failed', 'blocked', 'uncertain') or (d.status = 'pending' and d.last_response is not null))
    group by 1, 2, 3
    order by count desc, 1
    limit ${FAILURE_GROUPS_SHOWN}
  `.execute(db);
  // Rows the retention rollup deleted kept only their failure code: grouped by it, with no recipients to show.
  const rolledUp = (await rolledUpCounts(db, id))
    .filter((r) => r.status === 'failed' || r.status === 'blocked')
    .map((r) => ({ channel: r.channel, status: r.status, reason: `${r.failure ?? 'no reason recorded'} (rolled up)`, count: r.count, examples: [] }));
  return [...result.rows.map((r) => ({ ...r, count: Number(r.count) })), ...rolledUp]
    .sort((a, b) => b.count - a.count || a.channel.localeCompare(b.channel))
    .slice(0, FAILURE_GROUPS_SHOWN);
}
