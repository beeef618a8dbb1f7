// Outbound webhooks: the endpoints admins register, one row per (endpoint, event) to deliver, and the relay's cursor.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_endpoints (
      id serial primary key,
      url text not null,
      events text[] not null,
      secret text not null,
      created_at timestamptz not null default now(),
      disabled_at timestamptz,
      disabled_reason text,
      last_status integer,
      last_error text,
      last_attempt_at timestamptz,
      consecutive_failures integer not null default 0,
      failing_since timestamptz
    );
  `.execute(db);
  await sql`
    create table webhook_deliveries (
      id serial primary key,
      endpoint_id integer not null references webhook_endpoints(id) on delete cascade,
      event_id integer not null,
      event text not null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0,
      sends integer not null default 0,
      last_status integer,
      last_error text,
      created_at timestamptz not null default now(),
      enqueued_at timestamptz,
      delivered_at timestamptz,
      unique (endpoint_id, event_id)
    );
  `.execute(db);
  await sql`create index webhook_deliveries_unqueued on webhook_deliveries (id) where enqueued_at is null`.execute(db);
  await sql`
    create table webhook_relay_cursor (
      id integer primary key check (id = 1),
      last_event_id integer not null
    );
  `.execute(db);
  // Start after what the log already holds: an upgrade does not replay history to the first endpoint registered.
  await sql`insert into webhook_relay_cursor (id, last_event_id) select 1, coalesce(max(id), 0) from events`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
