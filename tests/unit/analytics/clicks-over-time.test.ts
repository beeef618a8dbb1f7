// Clicks over time: stored five-minute buckets summed into the width asked for, counted from the dispatch's start.
import { describe, expect, it } from 'vitest';
import { bucketOf } from '../../../src/analytics/click-keys.js';
import { sumBuckets } from '../../../src/analytics/clicks-over-time.js';

const start = new Date('2026-12-01T10:02:00Z');
const at = (minutes: number) => bucketOf(new Date(start.getTime() + minutes * 60_000));

describe('clicks over time', () => {
  it('sums five-minute buckets into hours after the start', () => {
    const rows = [
      { bucket: at(1), human: 5, machine: 9 },
      { bucket: at(40), human: 3, machine: 0 },
      { bucket: at(61), human: 2, machine: 1 },
      { bucket: at(24 * 60 + 3), human: 1, machine: 0 },
    ];
    const result = sumBuckets(rows, start, 60);
    expect(result.since).toBe('2026-12-01T10:00:00.000Z');
    expect(result.buckets).toHaveLength(25);
    expect(result.buckets[0]).toEqual({ minutesAfterSend: 0, human: 8, machine: 9 });
    expect(result.buckets[1]).toEqual({ minutesAfterSend: 60, human: 2, machine: 1 });
    expect(result.buckets.slice(2, 24).every((b) => b.human + b.machine === 0)).toBe(true);
    expect(result.buckets[24]).toEqual({ minutesAfterSend: 1440, human: 1, machine: 0 });
    const total = result.buckets.reduce((n, b) => n + b.human + b.machine, 0);
    expect(total).toBe(rows.reduce((n, r) => n + r.human + r.machine, 0));
  });

  it('keeps five-minute buckets when asked, and never shows a negative count', () => {
    const result = sumBuckets([{ bucket: at(0), human: -1, machine: 2 }, { bucket: at(7), human: 4, machine: 0 }], start, 5);
    expect(result.buckets).toEqual([{ minutesAfterSend: 0, human: 0, machine: 2 }, { minutesAfterSend: 5, human: 4, machine: 0 }]);
  });

  it('picks the narrowest width that keeps the series under 48 points when none is asked for', () => {
    expect(sumBuckets([{ bucket: at(0), human: 1, machine: 0 }, { bucket: at(70), human: 1, machine: 0 }], start).bucketMinutes).toBe(5);
    expect(sumBuckets([{ bucket: at(0), human: 1, machine: 0 }, { bucket: at(300), human: 1, machine: 0 }], start).bucketMinutes).toBe(15);
    const week = sumBuckets([{ bucket: at(0), human: 1, machine: 0 }, { bucket: at(7 * 1440), human: 2, machine: 0 }], start);
    expect(week.bucketMinutes).toBe(360);
    expect(week.buckets.reduce((n, b) => n + b.human, 0)).toBe(3);
  });

  it('says when there is nothing yet, and starts at the first click without a start', () => {
    expect(sumBuckets([], null, 60)).toEqual({ bucketMinutes: 60, since: null, buckets: [] });
    expect(sumBuckets([{ bucket: at(30), human: 1, machine: 0 }], null, 60).buckets).toEqual([{ minutesAfterSend: 0, human: 1, machine: 0 }]);
  });
});
