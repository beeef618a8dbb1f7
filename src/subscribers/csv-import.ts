// Streams a subscriber CSV (email,name,topics,status,timezone) into the database in chunks: memory stays flat at any size.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { importColumns, ImportRowReader, type ImportRow } from './csv-import-row.js';
import { ImportLanes } from './csv-import-lanes.js';
import { upsertImportRows } from './csv-import-upsert.js';
import { CsvRecordReader, type CsvRead, type CsvSyntaxError } from './csv-records.js';

export interface ImportReport {
  imported: number;
  updated: number;
  skipped: number;
  errors: { line: number; reason: string }[];
}

export class CsvHeaderError extends Error {}

/** The longest record (and so field) read: a real subscriber row is a few hundred bytes; a 700 MB field is an attack. */
export const MAX_CSV_RECORD_CHARS = 64 * 1024;
/** Errors are reported individually up to this many; beyond that only counted, so a garbage file stays cheap. */
const MAX_REPORTED_ERRORS = 1000;

/**
 * The import as a pipeline: records are read and checked into the next chunk of their lane while each lane's previous
 * statement runs. The upload is not read further while a full chunk waits for its lane, so memory stays flat and a
 * slow database slows the upload (backpressure) rather than filling memory.
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
  const lanes = new ImportLanes(async (rows) => {
    const { inserted, updated } = await upsertImportRows(db, rows);
    report.imported += inserted;
    report.updated += updated;
    report.skipped += rows.length - inserted - updated;
  });

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
      if (!(await lanes.add(row))) report.skipped++;
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
    if (failure) {
      // The rows before the bad one are kept; the rest of the upload is read and dropped, never buffered.
      input.resume();
      report.errors.push({ line: failure.line, reason: `unreadable CSV: ${failure.message}` });
    }
    await lanes.finish();
  } catch (error) {
    await lanes.settle();
    throw error;
  }
  return report;
}
