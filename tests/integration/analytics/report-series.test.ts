// The two time series the dashboard charts, read from the event log of a real database: a dispatch's clicks bucketed
// after it started (as click flushes log them) and subscribers entering each status per day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICKS_COUNTED, clickTimeline } from '../../../src/analytics/click-timeline.js';
import { subscriberHistory } from '../../../src/subscribers/subscriber-history.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

const minutes = (start: Date, n: number) => new Date(start.getTime() + n * 60_000);

describe('clicks over time', () => {
  it('buckets each flush\'s clicks by when it was counted after the start, empty buckets included', async () => {
    const startedAt = new Date('2026-11-20T08:00:00Z');
    const flush = (dispatchId: number, at: Date, human: number, machine: number) =>
      ({ subjectType: 'dispatch' as const, subjectId: String(dispatchId), event: CLICKS_COUNTED, at, detail: JSON.stringify({ human, machine }) });
    await database.db.insertInto('events').values([
      flush(7, minutes(startedAt, -2), 1, 0), // a test send's click, before the start: first bucket
      flush(7, minutes(startedAt, 1), 10, 2),
      flush(7, minutes(startedAt, 4), 5, 0),
      flush(7, minutes(startedAt, 22), 3, 1),
      flush(7, minutes(startedAt, 71), 1, 0),
      flush(8, minutes(startedAt, 3), 100, 100), // another dispatch's
      { subjectType: 'dispatch', subjectId: '7', event: 'dispatch.status', at: minutes(startedAt, 5), toStatus: 'completed' },
    ]).execute();
    const timeline = await clickTimeline(database.db, 7, startedAt);
    expect(timeline.bucketMinutes).toBe(5);
    expect(timeline.buckets).toHaveLength(15);
    expect(timeline.buckets[0]).toEqual({ minutesAfterSend: 0, human: 16, machine: 2 });
    expect(timeline.buckets[4]).toEqual({ minutesAfterSend: 20, human: 3, machine: 1 });
    expect(timeline.buckets[14]).toEqual({ minutesAfterSend: 70, human: 1, machine: 0 });
    expect(timeline.buckets.reduce((s, b) => s + b.human + b.machine, 0)).toBe(23);
    expect(await clickTimeline(database.db, 7, null)).toEqual({ bucketMinutes: 1, buckets: [] });
    expect(await clickTimeline(database.db, 9, startedAt)).toEqual({ bucketMinutes: 1, buckets: [] });
  });
});

describe('subscribers over time', () => {
  it('counts readers entering each status per UTC day, every day present, repeats and other events left out', async () => {
    const now = new Date('2026-11-21T10:00:00Z');
    const change = (id: number, at: string, from: string | null, to: string, event = 'subscriber.status') =>
      ({ subjectType: 'subscriber' as const, subjectId: String(id), event, at: new Date(at), fromStatus: from, toStatus: to });
    await database.db.insertInto('events').values([
      change(1, '2026-11-21T00:10:00Z', null, 'confirmed', 'subscriber.created'),
      change(2, '2026-11-21T09:00:00Z', 'pending', 'confirmed'),
      change(3, '2026-11-20T23:59:00Z', 'confirmed', 'unsubscribed'),
      change(4, '2026-11-19T12:00:00Z', 'confirmed', 'bounced'),
      change(5, '2026-11-19T13:00:00Z', 'confirmed', 'complained'),
      change(5, '2026-11-19T14:00:00Z', 'complained', 'complained', 'subscriber.complaint'), // a second complaint
      change(6, '2026-11-18T12:00:00Z', null, 'pending', 'subscriber.created'),
      change(7, '2026-11-10T12:00:00Z', 'pending', 'confirmed'), // before the window
    ]).execute();
    const history = await subscriberHistory(database.db, { days: 3, now });
    expect(history).toEqual([
      { day: '2026-11-19', confirmed: 0, unsubscribed: 0, bounced: 1, complained: 1 },
      { day: '2026-11-20', confirmed: 0, unsubscribed: 1, bounced: 0, complained: 0 },
      { day: '2026-11-21', confirmed: 2, unsubscribed: 0, bounced: 0, complained: 0 },
    ]);
  });
});
