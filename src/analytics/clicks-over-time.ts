// Clicks over time after a send, for the report's chart: the five-minute buckets (src/analytics/click-keys.ts) summed
// into buckets of the size asked for, counted from the dispatch's start.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { BUCKET_MINUTES } from './click-keys.js';

export interface ClicksOverTime {
  /** The width of each bucket. */
  bucketMinutes: number;
  /** Where minute 0 is: the dispatch's start (or its first click, for one that never started). Null: no clicks yet. */
  since: string | null;
  /** Only buckets with clicks, in order; a missing bucket had none. */
  buckets: Array<{ minutesAfterSend: number; human: number; machine: number }>;
}

export async function clicksOverTime(db: Kysely<Database>, dispatchId: number, startedAt: Date | null, bucketMinutes: number): Promise<ClicksOverTime> {
  const rows = await db.selectFrom('clickBuckets').select(['bucket', 'human', 'machine'])
    .where('dispatchId', '=', dispatchId).orderBy('bucket').execute();
  return sumBuckets(rows.map((r) => ({ bucket: Number(r.bucket), human: Number(r.human), machine: Number(r.machine) })), startedAt, bucketMinutes);
}

/** Pure: stored five-minute buckets (oldest first) summed into `bucketMinutes`-wide ones from `startedAt`. */
export function sumBuckets(rows: ReadonlyArray<{ bucket: number; human: number; machine: number }>, startedAt: Date | null, bucketMinutes: number): ClicksOverTime {
  if (rows.length === 0) return { bucketMinutes, since: startedAt?.toISOString() ?? null, buckets: [] };
  // The start rounded down to the stored buckets, so each stored bucket falls in exactly one wider one.
  const startMinute = startedAt ? Math.floor(startedAt.getTime() / 60_000 / BUCKET_MINUTES) * BUCKET_MINUTES : rows[0]!.bucket;
  const summed = new Map<number, { minutesAfterSend: number; human: number; machine: number }>();
  for (const row of rows) {
    // A click counted before the start (a test send's link) falls in the first bucket.
    const offset = Math.max(0, row.bucket - startMinute);
    const minutesAfterSend = Math.floor(offset / bucketMinutes) * bucketMinutes;
    const bucket = summed.get(minutesAfterSend) ?? { minutesAfterSend, human: 0, machine: 0 };
    bucket.human += row.human;
    bucket.machine += row.machine;
    summed.set(minutesAfterSend, bucket);
  }
  return {
    bucketMinutes,
    since: new Date(startMinute * 60_000).toISOString(),
    // A reclassified burst can leave one bucket's human count a click short across a boundary: never below zero.
    buckets: [...summed.values()].map((b) => ({ ...b, human: Math.max(0, b.human), machine: Math.max(0, b.machine) })),
  };
}
