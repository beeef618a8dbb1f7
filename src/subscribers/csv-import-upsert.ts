// One set-based statement per chunk of import rows: insert the new, update the known, log each change, count them.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ImportRow } from './csv-import-row.js';

/**
 * Inserts new addresses and updates known ones; an unsubscribed, bounced or complained address is never
 * re-activated by an import (it is counted as skipped), nor is an erased one on the suppression list re-added,
 * and neither is a row that changes nothing.
 */
export async function upsertImportRows(db: Kysely<Database>, rows: ImportRow[]): Promise<{ inserted: number; updated: number }> {
  const result = await sql<{ inserted: boolean }>`
    with input as (
      -- A JSON array read straight into text[]: cheaper than unnesting it per row.
      select r.email, r.name, r.status, r.topics, r.timezone
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(email text, "emailHash" text, name text, status text, topics text[], timezone text)
      where not exists (select 1 from suppressions x where x.email_hash = r."emailHash")
    ), upserted as (
      insert into subscribers (email, name, status, topics, timezone, source, confirmed_at)
      select email, name, status, topics, timezone, 'import', case when status = 'confirmed' then now() end from input
      on conflict (lower(email)) do update set
        name = coalesce(excluded.name, subscribers.name),
        topics = case when cardinality(excluded.topics) > 0 then excluded.topics else subscribers.topics end,
        timezone = coalesce(excluded.timezone, subscribers.timezone),
        status = case when excluded.status = 'confirmed' then 'confirmed' else subscribers.status end,
        confirmed_at = coalesce(subscribers.confirmed_at, excluded.confirmed_at),
        updated_at = now()
      where subscribers.status in ('pending', 'confirmed')
        and (excluded.name is distinct from subscribers.name and excluded.name is not null
          or cardinality(excluded.topics) > 0 and excluded.topics is distinct from subscribers.topics
          or excluded.status = 'confirmed' and subscribers.status = 'pending'
          or excluded.timezone is not null and excluded.timezone is distinct from subscribers.timezone)
      returning id, status, (xmax = 0) as inserted
    ), logged as (
      insert into events (subject_type, subject_id, event, to_status, cause)
      select 'subscriber', id::text, case when inserted then 'subscriber.created' else 'subscriber.updated' end, status, 'import'
      from upserted
    )
    select inserted from upserted
  `.execute(db);
  const inserted = result.rows.filter((r) => r.inserted).length;
  return { inserted, updated: result.rows.length - inserted };
}
