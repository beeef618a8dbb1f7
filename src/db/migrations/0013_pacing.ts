// Warm-up of a new sending domain (issue 18): messages handed to the transport per sending domain and UTC day,
// reserved before they are sent, so every process and batch shares one daily cap (src/email/pacing/warmup-counter.ts).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table warmup_days (
      sending_domain text not null,
      day date not null,
      sent integer not null default 0,
      primary key (sending_domain, day)
    );
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
