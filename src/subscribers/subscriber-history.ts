// Subscribers over time: how many readers were confirmed, unsubscribed, bounced or complained each day (UTC), counted
// from the status changes in the event log, so the history is what happened then, not what the rows say now.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export const HISTORY_STATUSES = ['confirmed', 'unsubscribed', 'bounced', 'complained'] as const;
type HistoryStatus = (typeof HISTORY_STATUSES)[number];

export type HistoryDay = { date: string } & Record<HistoryStatus, number>;

/** The last `days` days up to and including today (UTC), oldest first, every day listed (zeros included). */
export async function subscriberHistory(db: Kysely<Database>, days: number, now = new Date()): Promise<HistoryDay[]> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const first = new Date(today - (days - 1) * 86_400_000);
  const rows = await db
    .selectFrom('events')
    .select([
      sql<string>`to_char(at at time zone 'UTC', 'YYYY-MM-DD')`.as('date'),
      'toStatus',
      sql<number>`count(distinct subject_id)`.as('n'),
    ])
    .where('subjectType', '=', 'subscriber')
    // A change of status, or a subscriber added already confirmed (by an editor, an import).
    .where('event', 'in', ['subscriber.status', 'subscriber.created'])
    .where('toStatus', 'in', [...HISTORY_STATUSES])
    .where('at', '>=', first)
    .groupBy([sql`1`, 'toStatus'])
    .execute();
  const byDate = new Map<string, HistoryDay>();
  for (let i = 0; i < days; i++) {
    const date = new Date(first.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    byDate.set(date, { date, confirmed: 0, unsubscribed: 0, bounced: 0, complained: 0 });
  }
  for (const row of rows) {
    const day = byDate.get(row.date);
    if (day && row.toStatus) day[row.toStatus as HistoryStatus] = Number(row.n);
  }
  return [...byDate.values()];
}
