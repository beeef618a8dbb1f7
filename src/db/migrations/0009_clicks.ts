// Clicks (issue 14): each edition's tracked links by position, the click counts per link (human and machine, always
// kept), and per delivery only when HERALD_CLICK_ATTRIBUTION is on. Counts arrive in batches from Redis.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Written with the edition: position is the one signed into the link's token (src/analytics/click-tokens.ts).
    create table edition_links (
      dispatch_id bigint not null references dispatches(id) on delete cascade,
      position integer not null,
      url text not null,
      kind text not null check (kind in ('article', 'view_in_browser', 'body', 'canary')),
      primary key (dispatch_id, position)
    );
    create table link_clicks (
      dispatch_id bigint not null,
      position integer not null,
      human bigint not null default 0,
      machine bigint not null default 0,
      primary key (dispatch_id, position)
    );
    -- Only with HERALD_CLICK_ATTRIBUTION on: ties clicks to a delivery (and so to its reader, while one is known).
    create table delivery_clicks (
      dispatch_id bigint not null,
      delivery_id bigint not null,
      human bigint not null default 0,
      machine bigint not null default 0,
      primary key (dispatch_id, delivery_id)
    );
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
