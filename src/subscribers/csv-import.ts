// Streams a subscriber CSV (email,name,topics,status,timezone) into the database in chunks: memory stays flat at any size.
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { timeZoneInput } from '../dispatch/local-time.js';
import { emailAddress, topicList } from './subscriber-input.js';
import { suppressionHash } from './suppression.js';

export interface ImportReport {
  imported: number;
  updated: number;
  skipped: number;
  errors: { line: number; reason: string }[];
}

export class CsvHeaderError extends Error {}

interface ImportRow {
  email: string;
  /** The suppression-list key of the address: an erased address is skipped, never re-added. */
  emailHash: string;
  name: string | null;
  status: 'pending' | 'confirmed';
  topics: string[];
  /** The reader's IANA zone; null: the column was empty or absent (a known reader keeps theirs). */
  timezone: string | null;
}

const CHUNK = 1000;
/** The longest record (and so field) read: a real subscriber row is a few hundred bytes; a 700 MB field is an attack. */
export const MAX_CSV_RECORD_CHARS = 64 * 1024;
/** Errors are reported individually up to this many; beyond that only counted, so a garbage file stays cheap. */
const MAX_REPORTED_ERRORS = 1000;

function parseRow(record: Record<string, string>, defaultStatus: ImportRow['status'], secret: string): ImportRow | string {
  const email = emailAddress.safeParse(record.email ?? '');
  if (!email.success) return `email: ${email.error.issues[0].message}`;
  const status = (record.status ?? '').trim().toLowerCase() || defaultStatus;
  if (status !== 'pending' && status !== 'confirmed') return `status: must be pending or confirmed, got "${status}"`;
  const topics = topicList.safeParse((record.topics ?? '').split('|'));
  if (!topics.success) return `topics: ${topics.error.issues[0].message}`;
  const rawZone = (record.timezone ?? '').trim();
  const timezone = rawZone ? timeZoneInput.safeParse(rawZone) : undefined;
  if (timezone && !timezone.success) return `timezone: ${timezone.error.issues[0].message}, got "${rawZone.slice(0, 64)}"`;
  const name = (record.name ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200);
  return {
    email: email.data, emailHash: suppressionHash(secret, email.data), name: name || null, status, topics: topics.data,
    timezone: timezone?.data ?? null,
  };
}

/**
 * Inserts new addresses and updates known ones; an unsubscribed, bounced or complained address is never
 * re-activated by an import (it is counted as skipped), nor is an erased one on the suppression list re-added,
 * and neither is a row that changes nothing.
 */
async function upsertChunk(db: Kysely<Database>, rows: ImportRow[]): Promise<{ inserted: number; updated: number }> {
  const result = await sql<{ inserted: boolean }>`
    with input as (
      select r.email, r.name, r.status, array(select jsonb_array_elements_text(r.topics)) as topics, r.timezone
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(email text, "emailHash" text, name text, status text, topics jsonb, timezone text)
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

export async function importSubscribersCsv(
  db: Kysely<Database>,
  input: Readable,
  options: { secret: string; defaultStatus?: ImportRow['status'] },
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, updated: 0, skipped: 0, errors: [] };
  const parser = input.pipe(
    parse({ columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), bom: true, trim: true,
      skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: MAX_CSV_RECORD_CHARS }),
  );
  const addError = (line: number, reason: string) => {
    if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push({ line, reason });
    report.skipped++;
  };
  let chunk: ImportRow[] = [];
  const seenInChunk = new Set<string>();
  const flush = async () => {
    if (chunk.length === 0) return;
    const { inserted, updated } = await upsertChunk(db, chunk);
    report.imported += inserted;
    report.updated += updated;
    report.skipped += chunk.length - inserted - updated;
    chunk = [];
    seenInChunk.clear();
  };
  let sawHeader = false;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (!sawHeader) {
        sawHeader = true;
        if (!('email' in record)) throw new CsvHeaderError('the first row must be a header with an "email" column');
      }
      const row = parseRow(record, options.defaultStatus ?? 'confirmed', options.secret);
      if (typeof row === 'string') {
        addError(info.lines, row);
        continue;
      }
      // One statement cannot touch the same row twice, so a repeat inside a chunk counts as skipped.
      if (seenInChunk.has(row.email)) {
        report.skipped++;
        continue;
      }
      seenInChunk.add(row.email);
      chunk.push(row);
      if (chunk.length >= CHUNK) await flush();
    }
  } catch (error) {
    if (error instanceof CsvHeaderError) throw error;
    const line = (error as { lines?: number }).lines;
    if (!(error as { code?: string }).code?.startsWith('CSV_')) throw error;
    // The rows before the bad one are kept; the rest of the upload is read and dropped, never buffered.
    input.unpipe(parser);
    input.resume();
    await flush();
    report.errors.push({ line: line ?? 0, reason: `unreadable CSV: ${(error as Error).message}` });
    return report;
  }
  await flush();
  return report;
}
