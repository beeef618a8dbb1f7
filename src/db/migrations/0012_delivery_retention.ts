// Delivery retention (issue 16): email delivery rows of long-finished dispatches are rolled into these per-dispatch
// totals and deleted (src/delivery/delivery-retention.ts), so counts stay right while the deliveries table stops growing.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table delivery_totals (
      dispatch_id integer not null references dispatches (id),
      channel text not null,
      status text not null,
      failure text,
      count bigint not null
    );
    -- One row per outcome; a null failure is one outcome too (the expression keeps it unique on every version).
    create unique index delivery_totals_outcome on delivery_totals (dispatch_id, channel, status, coalesce(failure, ''));
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
