// Clicks over time after a send, for the report's chart: the five-minute buckets (src/analytics/click-keys.ts) summed
// into buckets of the size asked for (or one that keeps the series short), counted from the dispatch's start.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { BUCKET_MINUTES } from './click-keys.js';

export interface ClicksOverTime {
  /** The width of each bucket. */
  bucketMinutes: number;
  /** Where minute 0 is: the dispatch's start (or its first click, for one that never started). Null: no clicks yet. */
  since: string | null;
  /** From minute 0 to the last bucket with clicks, in order, empty ones included (a chart shows the quiet hours too). */
  buckets: Array<{ minutesAfterSend: number; human: number; machine: number }>;
}

/** Widths a series may take when none is asked for: the narrowest that keeps it under MAX_BUCKETS points. */
const AUTO_WIDTHS = [BUCKET_MINUTES, 15, 60, 180, 360, 1440];
const MAX_BUCKETS = 48;

export function widthFor(spanMinutes: number): number {
  return AUTO_WIDTHS.find((width) => spanMinutes / width < MAX_BUCKETS) ?? AUTO_WIDTHS.at(-1)!;
}

export async function clicksOverTime(db: Kysely<Database>, dispatchId: number, startedAt: Date | null, bucketMinutes?: number): Promise<ClicksOverTime> {
  const rows = await db.selectFrom('clickBuckets').select(['bucket', 'human', 'machine'])
    .where('dispatchId', '=', dispatchId).orderBy('bucket').execute();
  return sumBuckets(rows.map((r) => ({ bucket: Number(r.bucket), human: Number(r.human), machine: Number(r.machine) })), startedAt, bucketMinutes);
}

/** Pure: stored five-minute buckets (oldest first) summed into `bucketMinutes`-wide ones from `startedAt`. */
export function sumBuckets(rows: ReadonlyArray<{ bucket: number; human: number; machine: number }>, startedAt: Date | null, asked?: number): ClicksOverTime {
  if (rows.length === 0) return { bucketMinutes: asked ?? BUCKET_MINUTES, since: startedAt?.toISOString() ?? null, buckets: [] };
  // The start rounded down to the stored buckets, so each stored bucket falls in exactly one wider one.
  const startMinute = startedAt ? Math.floor(startedAt.getTime() / 60_000 / BUCKET_MINUTES) * BUCKET_MINUTES : rows[0]!.bucket;
  // A click counted before the start (a test send's link) falls in the first bucket.
  const offsets = rows.map((row) => Math.max(0, row.bucket - startMinute));
  const bucketMinutes = asked ?? widthFor(Math.max(...offsets) + BUCKET_MINUTES);
  const count = Math.floor(Math.max(...offsets) / bucketMinutes) + 1;
  const buckets = Array.from({ length: count }, (_, i) => ({ minutesAfterSend: i * bucketMinutes, human: 0, machine: 0 }));
  rows.forEach((row, i) => {
    const bucket = buckets[Math.floor(offsets[i]! / bucketMinutes)]!;
    bucket.human += row.human;
    bucket.machine += row.machine;
  });
  return {
    bucketMinutes,
    since: new Date(startMinute * 60_000).toISOString(),
    // A reclassified burst can leave one bucket's human count a click short across a boundary: never below zero.
    buckets: buckets.map((b) => ({ ...b, human: Math.max(0, b.human), machine: Math.max(0, b.machine) })),
  };
}
