// Breaking news first: a dispatch's priority, which every job of its steps carries (src/dispatch/priority.ts).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table dispatches add column priority text not null default 'normal' check (priority in ('normal', 'breaking'));
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
