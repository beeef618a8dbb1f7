// Subscriber self-service: the suppression list of erased addresses, pending confirmations, and digest bookkeeping.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Only a keyed hash of the normalised address survives an erasure: enough to refuse it again, nothing to read.
    create table suppressions (
      email_hash text primary key,
      reason text not null check (reason in ('erased', 'unsubscribed', 'bounced', 'complained')),
      created_at timestamptz not null default now()
    );

    -- One open confirmation per subscriber and purpose. The nonce is signed into the emailed link, so replacing
    -- or deleting the row is what makes an older or already used link stop working.
    create table subscriber_confirmations (
      subscriber_id integer not null references subscribers (id) on delete cascade,
      purpose text not null check (purpose in ('confirm', 'change-email')),
      nonce text not null,
      new_email text,
      requested jsonb,
      created_at timestamptz not null default now(),
      primary key (subscriber_id, purpose)
    );

    -- Digest periods per cadence form a chain: each run starts where the previous one ended, and the unique key
    -- makes a repeated or concurrent run of the same period a no-op.
    create table digest_runs (
      id integer generated always as identity primary key,
      cadence text not null check (cadence in ('daily', 'weekly')),
      period_start timestamptz not null,
      period_end timestamptz not null,
      articles integer not null default 0,
      editions integer not null default 0,
      created_at timestamptz not null default now(),
      unique (cadence, period_start)
    );

    -- A digest edition is an ordinary email dispatch; this row says which subscribers it is for (see digest-audience.ts).
    create table digest_editions (
      dispatch_id integer primary key references dispatches (id),
      run_id integer not null references digest_runs (id),
      cadence text not null check (cadence in ('daily', 'weekly')),
      period_article_ids integer[] not null,
      article_ids integer[] not null
    );
    create index subscribers_cadence_id on subscribers (cadence, id) where status = 'confirmed';
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
