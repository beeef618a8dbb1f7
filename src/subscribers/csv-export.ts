// Streams every subscriber out as CSV, in the same columns the import reads (plus status and dates).
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { eachSubscriber } from './subscriber-repository.js';

export const EXPORT_COLUMNS = ['email', 'name', 'topics', 'status', 'cadence', 'created_at', 'confirmed_at'];

export function exportSubscribersCsv(db: Kysely<Database>): Readable {
  const rows = Readable.from(
    (async function* () {
      for await (const s of eachSubscriber(db)) {
        yield [s.email, s.name ?? '', s.topics.join('|'), s.status, s.cadence, s.createdAt.toISOString(),
          s.confirmedAt?.toISOString() ?? ''];
      }
    })(),
  );
  // A leading =, +, - or @ would run as a formula in a spreadsheet: quote-prefix such cells.
  const safe = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
  const csv = stringify({ header: true, columns: EXPORT_COLUMNS, cast: { string: safe } });
  return rows.pipe(csv);
}
