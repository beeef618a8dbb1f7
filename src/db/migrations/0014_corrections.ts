// Corrections (issue 15): an editor's correction note for an article that went out, and what sending it came to for
// each reader who got the edition (a short email) and each post (a reply under it, or an edit).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- One row per correction. The same note for the same article is the same correction: a repeated request finds
    -- the row, so nobody is sent it twice.
    create table corrections (
      id serial primary key,
      article_id integer not null references articles (id) on delete cascade,
      note text not null,
      email boolean not null,
      social text not null check (social in ('reply', 'edit', 'none')),
      cause text,
      created_at timestamptz not null default now(),
      unique (article_id, note)
    );

    -- One row per reader (channel email) or per post (channel = the network) the correction goes to. The original
    -- delivery is named without a foreign key: delivery retention may roll old email deliveries up and delete them.
    -- pending: to do; sending: handed over (found so after a crash: the outcome is unknown); sent: outcome says how
    -- (emailed, replied, edited); failed, uncertain, skipped: note says why.
    create table correction_deliveries (
      id serial primary key,
      correction_id integer not null references corrections (id) on delete cascade,
      original_delivery_id integer not null,
      channel text not null,
      subscriber_id integer references subscribers (id) on delete cascade,
      recipient text not null,
      status text not null default 'pending'
        check (status in ('pending', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
      outcome text check (outcome in ('emailed', 'replied', 'edited')),
      remote_id text,
      remote_url text,
      note text,
      attempts integer not null default 0,
      updated_at timestamptz not null default now(),
      unique (correction_id, original_delivery_id)
    );
    create index correction_deliveries_open on correction_deliveries (correction_id, channel) where status in ('pending', 'sending');
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
