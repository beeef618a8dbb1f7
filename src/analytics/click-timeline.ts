// Clicks over time after sending: each click flush logs, per dispatch, the clicks it added (event `clicks.counted`,
// in the flush's own transaction, so the timeline always sums to the totals); the report buckets them from the start.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { recordEvents } from '../events/event-log.js';

export const CLICKS_COUNTED = 'clicks.counted';

export interface ClickBucket {
  /** Start of the bucket, in minutes after the dispatch started sending. */
  minutesAfterSend: number;
  human: number;
  machine: number;
}

export interface ClickTimeline {
  /** Width of every bucket in minutes: the smallest of BUCKET_MINUTES that keeps the series at MAX_BUCKETS or fewer. */
  bucketMinutes: number;
  /** From the start to the last bucket with clicks, empty buckets included (a chart must show the quiet hours too). */
  buckets: ClickBucket[];
}

const BUCKET_MINUTES = [1, 5, 15, 60, 180, 360, 1440];
const MAX_BUCKETS = 48;

/**
 * Logs what one flush added, one event per dispatch. A flush is a few seconds after the clicks it carries
 * (HERALD_CLICK_FLUSH_MS), which is the timeline's resolution; a reclassification (human → machine) logs its moves.
 */
export async function clickTimelineEvents(db: Kysely<Database>, rows: { dispatchId: number; human: number; machine: number }[]): Promise<void> {
  const perDispatch = new Map<number, { human: number; machine: number }>();
  for (const row of rows) {
    const sum = perDispatch.get(row.dispatchId) ?? { human: 0, machine: 0 };
    sum.human += row.human;
    sum.machine += row.machine;
    perDispatch.set(row.dispatchId, sum);
  }
  await recordEvents(db, [...perDispatch].map(([dispatchId, detail]) => ({ subjectType: 'dispatch', subjectId: dispatchId, event: CLICKS_COUNTED, detail })));
}

/** The bucket width for a series `spanMinutes` long. */
export function bucketMinutesFor(spanMinutes: number): number {
  return BUCKET_MINUTES.find((width) => spanMinutes / width < MAX_BUCKETS) ?? BUCKET_MINUTES.at(-1)!;
}

/** The dispatch's clicks bucketed from when it started sending; no buckets before it started or before any click. */
export async function clickTimeline(db: Kysely<Database>, dispatchId: number, startedAt: Date | null): Promise<ClickTimeline> {
  const empty = { bucketMinutes: BUCKET_MINUTES[0], buckets: [] };
  if (!startedAt) return empty;
  const counted = db
    .selectFrom('events')
    .where('subjectType', '=', 'dispatch')
    .where('subjectId', '=', String(dispatchId))
    .where('event', '=', CLICKS_COUNTED);
  const span = await counted.select(sql<Date | null>`max(at)`.as('last')).executeTakeFirstOrThrow();
  if (!span.last) return empty;
  const bucketMinutes = bucketMinutesFor(Math.max(0, (new Date(span.last).getTime() - startedAt.getTime()) / 60_000));
  // Clicks counted before the start (a test send's, say) go into the first bucket.
  const rows = await counted
    .select([
      sql<number>`greatest(0, floor(extract(epoch from (at - ${startedAt}::timestamptz)) / ${bucketMinutes * 60}))::int`.as('bucket'),
      sql<string>`sum((detail->>'human')::bigint)`.as('human'),
      sql<string>`sum((detail->>'machine')::bigint)`.as('machine'),
    ])
    .groupBy('bucket')
    .execute();
  const last = Math.max(...rows.map((r) => Number(r.bucket)));
  const buckets: ClickBucket[] = Array.from({ length: last + 1 }, (_, i) => ({ minutesAfterSend: i * bucketMinutes, human: 0, machine: 0 }));
  for (const row of rows) {
    buckets[Number(row.bucket)].human += Number(row.human);
    buckets[Number(row.bucket)].machine += Number(row.machine);
  }
  return { bucketMinutes, buckets: settleMoves(buckets) };
}

/**
 * A scanner found out in a later flush moves its earlier clicks from human to machine: that flush logs fewer human
 * clicks (a negative figure). The clicks it moved were counted earlier, so the deficit is taken from earlier buckets.
 */
export function settleMoves(buckets: ClickBucket[]): ClickBucket[] {
  for (let i = buckets.length - 1; i >= 0; i--) {
    for (const kind of ['human', 'machine'] as const) {
      if (buckets[i][kind] >= 0) continue;
      if (i > 0) buckets[i - 1][kind] += buckets[i][kind];
      buckets[i][kind] = 0;
    }
  }
  return buckets;
}
