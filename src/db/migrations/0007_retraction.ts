// Retraction (issue 15): an article can be withdrawn, with the editor's reason, and each social delivery keeps what
// retracting it came to on its network.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- One row per retracted article, written by the first retraction (a second one finds it and changes nothing).
    -- The web copy of the article's editions shows the reason instead of the story.
    create table retractions (
      article_id integer primary key references articles (id) on delete cascade,
      reason text not null,
      cause text,
      retracted_at timestamptz not null default now()
    );

    -- Null: not retracted. pending: the post is to be deleted (its job retries); retracted: deleted on the network
    -- (or already gone); not_posted: nothing was out there; live: still online, retraction_note says why.
    alter table deliveries add column retraction text
      check (retraction in ('pending', 'retracted', 'not_posted', 'live'));
    alter table deliveries add column retraction_note text;
    create index deliveries_retraction_pending on deliveries (id) where retraction = 'pending';
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
