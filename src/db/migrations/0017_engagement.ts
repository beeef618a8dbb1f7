// Opens, clicks over time and social engagement (issue 14): open counts per edition (and per delivery only with
// HERALD_CLICK_ATTRIBUTION on), clicks in five-minute buckets for the report's chart, and each post's metrics as read
// back from its network at about 1 h, 24 h and 7 days.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Pixel fetches, flushed from Redis in batches like clicks (src/analytics/click-flush.ts).
    create table edition_opens (
      dispatch_id bigint primary key,
      human bigint not null default 0,
      machine bigint not null default 0
    );
    -- Only with HERALD_CLICK_ATTRIBUTION on: ties opens to a delivery.
    create table delivery_opens (
      dispatch_id bigint not null,
      delivery_id bigint not null,
      human bigint not null default 0,
      machine bigint not null default 0,
      primary key (dispatch_id, delivery_id)
    );
    -- Clicks per five minutes (bucket: minutes since the epoch, a multiple of 5), for "clicks over time".
    create table click_buckets (
      dispatch_id bigint not null,
      bucket bigint not null,
      human bigint not null default 0,
      machine bigint not null default 0,
      primary key (dispatch_id, bucket)
    );
    -- One row per social post and read: 'ok' with the network's numbers, or 'not_available' (the access tier
    -- does not give them) with why.
    create table social_engagement (
      delivery_id bigint not null references deliveries (id) on delete cascade,
      read text not null check (read in ('1h', '24h', '7d')),
      status text not null check (status in ('ok', 'not_available')),
      metrics jsonb not null default '{}',
      note text,
      read_at timestamptz not null default now(),
      primary key (delivery_id, read)
    );
    -- The report counts unsubscribes and complaints per edition (events' detail names the dispatch).
    create index events_subscriber_edition on events ((detail->>'dispatchId')) where subject_type = 'subscriber';
    -- A complaint names the provider's message id (SES): the edition it was about.
    create index deliveries_provider_message on deliveries (provider_message_id) where provider_message_id is not null;
    create index events_subscriber_day on events (at) where subject_type = 'subscriber';
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
