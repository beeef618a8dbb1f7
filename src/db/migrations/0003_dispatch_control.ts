// Editors' control over dispatches and publishing from outside: the `held` status (a dispatch too late to send
// without an editor), and the feeds Herald watches with every item it has seen.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table dispatches drop constraint dispatches_status_check;
    alter table dispatches add constraint dispatches_status_check
      check (status in ('scheduled', 'pending', 'held', 'running', 'paused', 'completed', 'cancelled', 'failed'));

    -- One row per watched feed: conditional-GET validators and the outcome of the last poll, for the dashboard.
    create table feeds (
      url text primary key,
      first_polled_at timestamptz,
      last_polled_at timestamptz,
      last_error text,
      etag text,
      last_modified text,
      created_at timestamptz not null default now()
    );

    -- Every item a feed ever showed, by its GUID (RSS) or id (Atom): the key that makes an item publish once.
    -- 'baseline' items were already in the feed when Herald first read it and are never published.
    create table feed_items (
      feed_url text not null references feeds (url) on delete cascade,
      item_id text not null,
      status text not null check (status in ('baseline', 'published', 'invalid')),
      article_id integer references articles (id),
      detail text,
      seen_at timestamptz not null default now(),
      primary key (feed_url, item_id)
    );
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
