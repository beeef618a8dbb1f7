// At each reader's local time (issue 15): a subscriber's IANA zone, a dispatch's "HH:MM local time", and its waves —
// one row per group of zones sharing a fire instant, fired by a delayed job that re-reads the row.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Null: the installation's zone (HERALD_TIMEZONE), so changing that setting moves every reader who never chose.
    alter table subscribers add column timezone text;
    -- "07:00": the email goes out at that time in each reader's zone, in waves; null: one send at scheduled_at.
    alter table dispatches add column local_time text;
    create table dispatch_waves (
      dispatch_id integer not null references dispatches (id),
      wave_no integer not null,
      zones text[] not null,
      fire_at timestamptz not null,
      -- scheduled → fanning_out → sent (its batches queued), or cancelled before it fired.
      status text not null default 'scheduled' check (status in ('scheduled', 'fanning_out', 'sent', 'cancelled')),
      -- Keyset cursor of this wave's fan-out: the last subscriber id of its zones with a delivery row.
      cursor integer not null default 0,
      recipients integer not null default 0,
      updated_at timestamptz not null default now(),
      primary key (dispatch_id, wave_no)
    );
    -- Which wave a batch belongs to, so progress counts per wave; null for a dispatch without waves.
    alter table email_batches add column wave_no integer;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
