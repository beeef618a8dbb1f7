// Threads (issue 15): each part of a social post that needed more than one, with the id the network gave it, so a
// crash mid-thread resumes at the first part not posted and a retraction deletes every part.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Written when the thread's first attempt starts (the split is fixed from then on, whatever the limit later).
    -- state: pending (not sent), sending (request under way: it may have landed), posted (remote_id known),
    -- deleted (retracted on the network).
    create table social_post_parts (
      delivery_id integer not null references deliveries (id) on delete cascade,
      position integer not null check (position >= 1),
      text text not null,
      state text not null default 'pending' check (state in ('pending', 'sending', 'posted', 'deleted')),
      remote_id text,
      remote_cid text,
      remote_url text,
      updated_at timestamptz not null default now(),
      primary key (delivery_id, position)
    );
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
