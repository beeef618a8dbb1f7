// The installation: one random id per database, so Redis keys of a reset or restored database never meet old jobs.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table installation (
      id text primary key,
      created_at timestamptz not null default now()
    );
    insert into installation (id) values (substr(replace(gen_random_uuid()::text, '-', ''), 1, 12));
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Herald migrations only move forward; restore a backup to go back.');
}
