// Subscribers entering each status per day, as the dashboard charts them, read from the event log of a real database.
// (Clicks over time are summed from stored buckets: tests/unit/analytics/clicks-over-time.test.ts and opens-report.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriberHistory } from '../../../src/subscribers/subscriber-history.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

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
      { date: '2026-11-19', confirmed: 0, unsubscribed: 0, bounced: 1, complained: 1 },
      { date: '2026-11-20', confirmed: 0, unsubscribed: 1, bounced: 0, complained: 0 },
      { date: '2026-11-21', confirmed: 2, unsubscribed: 0, bounced: 0, complained: 0 },
    ]);
  });
});
