// Subscribers over time: how many readers became confirmed, unsubscribed, bounced or complained on each day (UTC),
// read from the event log (every status change is logged with it, src/subscribers/status-changes.ts and friends).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface SubscriberDay {
  /** YYYY-MM-DD, UTC. */
  date: string;
  confirmed: number;
  unsubscribed: number;
  bounced: number;
  complained: number;
}

export const HISTORY_STATUSES = ['confirmed', 'unsubscribed', 'bounced', 'complained'] as const;

/** The last `days` days up to today, oldest first, every day present (zeros included). */
export async function subscriberHistory(db: Kysely<Database>, options: { days: number; now?: Date }): Promise<SubscriberDay[]> {
  const today = new Date(options.now ?? Date.now());
  today.setUTCHours(0, 0, 0, 0);
  const first = new Date(today.getTime() - (options.days - 1) * 86_400_000);
  // Entering a status, not an event repeated in the same one (a second complaint from a complained reader).
  const rows = await sql<{ day: string; status: string; n: number }>`
    select to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day, to_status as status, count(*)::int as n
    from events
    where subject_type = 'subscriber' and at >= ${first}
      and to_status in (${sql.join(HISTORY_STATUSES)}) and from_status is distinct from to_status
    group by 1, 2
  `.execute(db);
  const days = new Map<string, SubscriberDay>();
  for (let i = 0; i < options.days; i++) {
    const day = new Date(first.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    days.set(day, { date: day, confirmed: 0, unsubscribed: 0, bounced: 0, complained: 0 });
  }
  for (const row of rows.rows) {
    const entry = days.get(row.day);
    if (entry) entry[row.status as (typeof HISTORY_STATUSES)[number]] += Number(row.n);
  }
  return [...days.values()];
}
