// The first schema: articles, subscribers, dispatches and their deliveries, tokens, and the event log.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table articles (
      id integer generated always as identity primary key,
      external_id text not null unique,
      title text not null,
      url text not null,
      excerpt text not null default '',
      html text not null default '',
      author_name text,
      section text,
      tags text[] not null default '{}',
      image_url text,
      image_alt text,
      published_at timestamptz not null,
      created_at timestamptz not null default now()
    );

    create table subscribers (
      id integer generated always as identity primary key,
      email text not null,
      name text,
      status text not null check (status in ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
      topics text[] not null default '{}',
      cadence text not null default 'instant' check (cadence in ('instant', 'daily', 'weekly')),
      paused boolean not null default false,
      bounce_count integer not null default 0,
      source text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      confirmed_at timestamptz,
      unsubscribed_at timestamptz
    );
    create unique index subscribers_email_key on subscribers (lower(email));
    create index subscribers_status_id on subscribers (status, id);

    create table dispatches (
      id integer generated always as identity primary key,
      article_id integer not null references articles (id),
      channels text[] not null,
      status text not null check (status in ('scheduled', 'pending', 'running', 'paused', 'completed', 'cancelled', 'failed')),
      scheduled_at timestamptz,
      timezone text,
      enqueued_at timestamptz,
      started_at timestamptz,
      completed_at timestamptz,
      subject text,
      preheader text,
      social_texts jsonb not null default '{}',
      email_cursor integer not null default 0,
      email_batches integer not null default 0,
      email_fanned_out_at timestamptz,
      error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index dispatches_article on dispatches (article_id);
    create index dispatches_unqueued on dispatches (id) where enqueued_at is null;

    create table editions (
      dispatch_id integer primary key references dispatches (id),
      subject text not null,
      preheader text not null,
      html text not null,
      text text not null,
      created_at timestamptz not null default now()
    );

    create table email_batches (
      dispatch_id integer not null references dispatches (id),
      batch_no integer not null,
      status text not null check (status in ('pending', 'running', 'done')),
      recipients integer not null,
      updated_at timestamptz not null default now(),
      primary key (dispatch_id, batch_no)
    );

    create table deliveries (
      id bigint generated always as identity primary key,
      dispatch_id integer not null references dispatches (id),
      channel text not null,
      recipient text not null,
      subscriber_id integer references subscribers (id) on delete set null,
      batch_no integer,
      status text not null check (status in ('pending', 'sending', 'sent', 'failed', 'skipped', 'uncertain', 'preview', 'cancelled')),
      attempts integer not null default 0,
      last_response text,
      remote_id text,
      remote_url text,
      content text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (dispatch_id, channel, recipient)
    );
    create index deliveries_batch on deliveries (dispatch_id, batch_no);
    create index deliveries_status on deliveries (dispatch_id, channel, status);
    create index deliveries_subscriber on deliveries (subscriber_id);

    create table api_tokens (
      id integer generated always as identity primary key,
      name text not null,
      token_hash text not null unique,
      role text not null check (role in ('admin', 'editor')),
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    create table events (
      id bigint generated always as identity primary key,
      at timestamptz not null default now(),
      subject_type text not null,
      subject_id text not null,
      event text not null,
      from_status text,
      to_status text,
      cause text,
      detail jsonb
    );
    create index events_subject on events (subject_type, subject_id, id);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
