// What readers told Herald about one edition: unsubscribes it caused (footer link, one-click header) and complaints
// about it, read from the event log, whose detail names the edition (src/subscribers/status-changes.ts).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface EditionFeedback {
  /** Readers who left through this edition's links: `oneClick` from the mail app's button, `link` from the footer. */
  unsubscribes: { total: number; oneClick: number; link: number };
  /** Readers whose complaint (marked as spam) was about this edition. */
  complaints: number;
}

export async function editionFeedback(db: Kysely<Database>, dispatchId: number): Promise<EditionFeedback> {
  const row = await db
    .selectFrom('events')
    .select([
      sql<number>`count(distinct subject_id) filter (where to_status = 'unsubscribed' and event = 'subscriber.status')`.as('unsubscribed'),
      sql<number>`count(distinct subject_id) filter (where to_status = 'unsubscribed' and event = 'subscriber.status' and cause = 'one-click')`.as('oneClick'),
      sql<number>`count(distinct subject_id) filter (where to_status = 'unsubscribed' and event = 'subscriber.status' and cause = 'link')`.as('link'),
      sql<number>`count(distinct subject_id) filter (where cause = 'complaint')`.as('complaints'),
    ])
    .where('subjectType', '=', 'subscriber')
    .where(sql`detail->>'dispatchId'`, '=', String(dispatchId))
    .executeTakeFirstOrThrow();
  return {
    unsubscribes: { total: Number(row.unsubscribed), oneClick: Number(row.oneClick), link: Number(row.link) },
    complaints: Number(row.complaints),
  };
}
