// Streams a subscriber CSV (email,name,topics,status,timezone) into the database in chunks: memory stays flat at any size.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { importColumns, ImportRowReader, type ImportRow } from './csv-import-row.js';
import { upsertImportRows } from './csv-import-upsert.js';
import { CsvRecordReader, type CsvRead, type CsvSyntaxError } from './csv-records.js';

export interface ImportReport {
  imported: number;
  updated: number;
  skipped: number;
  errors: { line: number; reason: string }[];
}

export class CsvHeaderError extends Error {}

/**
 * Rows per statement. Small enough that a stalled upload's first rows are already in the database and that two
 * chunks (one being written, one being read) stay a few hundred KB; large enough that the statement's fixed cost fades.
 */
const CHUNK = 2000;
/** The longest record (and so field) read: a real subscriber row is a few hundred bytes; a 700 MB field is an attack. */
export const MAX_CSV_RECORD_CHARS = 64 * 1024;
/** Errors are reported individually up to this many; beyond that only counted, so a garbage file stays cheap. */
const MAX_REPORTED_ERRORS = 1000;

/**
 * The import as a two-stage pipeline: records are read and checked into the next chunk while the previous chunk's
 * statement runs. At most one statement is in flight; the upload is not read further until the chunk after it is
 * written, so memory stays flat and a slow database slows the upload (backpressure) rather than filling memory.
 */
export async function importSubscribersCsv(
  db: Kysely<Database>,
  input: Readable,
  options: { secret: string; defaultStatus?: ImportRow['status'] },
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, updated: 0, skipped: 0, errors: [] };
  const addError = (line: number, reason: string) => {
    if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push({ line, reason });
    report.skipped++;
  };
  let chunk: ImportRow[] = [];
  const seenInChunk = new Set<string>();
  let writing: Promise<void> | undefined;
  const write = async (rows: ImportRow[]) => {
    const { inserted, updated } = await upsertImportRows(db, rows);
    report.imported += inserted;
    report.updated += updated;
    report.skipped += rows.length - inserted - updated;
  };
  /** Hands the chunk to the database once the previous one is written (so statements never overlap). */
  const flush = async () => {
    await writing;
    writing = undefined;
    if (chunk.length === 0) return;
    writing = write(chunk);
    // Awaited before the next statement or at the end; until then a failure must not count as unhandled.
    writing.catch(() => {});
    chunk = [];
    seenInChunk.clear();
  };

  const records = new CsvRecordReader(MAX_CSV_RECORD_CHARS);
  let rows: ImportRowReader | undefined;
  /** Checks each record into the chunk (the first is the header); returns the error the text stopped at, if any. */
  const take = async ({ records: read, error }: CsvRead): Promise<CsvSyntaxError | undefined> => {
    for (const { fields, line } of read) {
      if (!rows) {
        const columns = importColumns(fields);
        if (!columns) throw new CsvHeaderError('the first row must be a header with an "email" column');
        rows = new ImportRowReader(columns, options.defaultStatus ?? 'confirmed', options.secret);
        continue;
      }
      const row = rows.read(fields);
      if (typeof row === 'string') {
        addError(line, row);
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
    return error;
  };

  const decoder = new StringDecoder('utf8');
  let failure: CsvSyntaxError | undefined;
  try {
    // Not destroyed on an early stop: the rest of an unreadable upload is read and dropped, so the reply still goes out.
    for await (const data of input.iterator({ destroyOnReturn: false })) {
      failure = await take(records.push(typeof data === 'string' ? data : decoder.write(data)));
      if (failure) break;
    }
    if (!failure) failure = await take(records.push(decoder.end()));
    if (!failure) failure = await take(records.end());
  } catch (error) {
    await writing?.catch(() => {});
    throw error;
  }
  if (failure) {
    // The rows before the bad one are kept; the rest of the upload is read and dropped, never buffered.
    input.resume();
    report.errors.push({ line: failure.line, reason: `unreadable CSV: ${failure.message}` });
  }
  await flush();
  await writing;
  return report;
}
