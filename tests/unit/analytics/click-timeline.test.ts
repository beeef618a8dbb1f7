// The clicks-over-time series' pure parts: the bucket width for a span, moving a late-found scanner's clicks back
// where they were counted, and the report page's "after sending" labels.
import { describe, expect, it } from 'vitest';
import { bucketMinutesFor, settleMoves } from '../../../src/analytics/click-timeline.js';
import { afterSend } from '../../../src/http/dashboard/pages/report-charts.js';

describe('the click timeline', () => {
  it('picks the narrowest bucket that keeps the series under 48 points', () => {
    expect(bucketMinutesFor(0)).toBe(1);
    expect(bucketMinutesFor(47)).toBe(1);
    expect(bucketMinutesFor(48)).toBe(5);
    expect(bucketMinutesFor(6 * 60)).toBe(15);
    expect(bucketMinutesFor(24 * 60)).toBe(60);
    expect(bucketMinutesFor(7 * 24 * 60)).toBe(360);
    expect(bucketMinutesFor(365 * 24 * 60)).toBe(1440);
  });

  it('takes human clicks a later flush moved to machine from the buckets before it, so no bucket is negative', () => {
    const buckets = settleMoves([
      { minutesAfterSend: 0, human: 5, machine: 0 },
      { minutesAfterSend: 1, human: 1, machine: 0 },
      { minutesAfterSend: 2, human: -3, machine: 3 },
    ]);
    expect(buckets).toEqual([
      { minutesAfterSend: 0, human: 3, machine: 0 },
      { minutesAfterSend: 1, human: 0, machine: 0 },
      { minutesAfterSend: 2, human: 0, machine: 3 },
    ]);
    // Totals are kept.
    expect(buckets.reduce((s, b) => s + b.human + b.machine, 0)).toBe(6);
  });

  it('labels buckets by the time after sending', () => {
    expect([0, 45, 60, 135, 1440, 1800].map(afterSend)).toEqual(['+0 min', '+45 min', '+1 h', '+2 h 15 min', '+1 d', '+1 d 6 h']);
  });
});
