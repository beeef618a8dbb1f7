// The import's CSV reader, pure: the records and line numbers csv-parse (which the import used before) gives for the
// same text, however the text is cut into chunks, and the same refusals at the same lines.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvRecordReader } from '../../../src/subscribers/csv-records.js';

type Read = { records: [number, string[]][]; error?: { line: number; message: string } };

function readInChunks(text: string, chunkChars: number, maxRecordChars = 64 * 1024): Read {
  const reader = new CsvRecordReader(maxRecordChars);
  const records: [number, string[]][] = [];
  const chunks = Array.from({ length: Math.ceil(text.length / chunkChars) }, (_, i) => text.slice(i * chunkChars, (i + 1) * chunkChars));
  for (const chunk of [...chunks, undefined]) {
    const read = chunk === undefined ? reader.end() : reader.push(chunk);
    records.push(...read.records.map((r): [number, string[]] => [r.line, r.fields]));
    if (read.error) return { records, error: { line: read.error.line, message: read.error.message } };
  }
  return { records };
}

/** What csv-parse read, with the options the import gave it (columns left out: the reader returns plain fields). */
function csvParse(text: string, maxRecordChars = 64 * 1024): Read {
  try {
    const rows = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: maxRecordChars }) as unknown as { record: string[]; info: { lines: number } }[];
    return { records: rows.map((r) => [r.info.lines, r.record]) };
  } catch (error) {
    return { records: [], error: { line: (error as { lines: number }).lines, message: (error as Error).message } };
  }
}

const FILES = {
  'a quoted field over three lines': 'email,name\na@x.com,"one\ntwo\nthree"\nb@x.com,B\n',
  'blank and whitespace-only lines': 'email,name\n\na@x.com,A\n   \n\nb@x.com,B',
  'spaces around fields, kept inside quotes': 'email , name\n a@x.com ,  " C "  \n',
  'CRLF line ends and an escaped quote': '\uFEFFemail,name\r\na@x.com,A\r\nb@x.com,"x""y"\r\nc@x.com,"q"',
  'too many and too few fields': 'email,name\na@x.com,A,extra,more\nb@x.com\n,\n"",""\n',
  'a comma and a line break inside quotes': 'email,name\na@x.com,"Doe, Jane\nSr."\nb@x.com,"""quoted"""\n',
};

describe('the CSV reader', () => {
  for (const [name, text] of Object.entries(FILES)) {
    it(`reads ${name} as csv-parse did, in chunks of any size`, () => {
      const expected = csvParse(text);
      expect(expected.error).toBeUndefined();
      for (const size of [1, 2, 3, 5, 8, text.length]) expect(readInChunks(text, size), `chunks of ${size}`).toEqual(expected);
    });
  }

  // csv-parse counted a CRLF inside quotes as two lines, so every line number after an Excel cell with a line break was off.
  it('counts a CRLF inside a quoted field as one line', () => {
    const text = 'email,name\r\na@x.com,"Doe\r\nSr."\r\nb@x.com,B\r\n';
    for (const size of [1, 3, text.length]) {
      expect(readInChunks(text, size)).toEqual({ records: [[1, ['email', 'name']], [3, ['a@x.com', 'Doe\r\nSr.']], [4, ['b@x.com', 'B']]] });
    }
  });

  it.each([
    ['a quote inside an unquoted field', 'email,name\na@x.com,ab"c\nb@x.com,B\n', 2, /quote/i],
    ['text after a closing quote', 'email,name\na@x.com,"ab"c\nb@x.com,B\n', 2, /quote/i],
    ['a quote never closed', 'email,name\nz@x.com,fine\na@x.com,"abc\nnext,line\n', 3, /quote/i],
  ])('refuses %s at its line, keeping the records before it', (_name, text, line, message) => {
    for (const size of [1, 4, text.length]) {
      const read = readInChunks(text, size);
      expect(read.error).toMatchObject({ line, message: expect.stringMatching(message) });
      expect(read.records.map(([, fields]) => fields[0])).toEqual(text.startsWith('email,name\nz@') ? ['email', 'z@x.com'] : ['email']);
    }
  });

  it('refuses a record longer than the cap, quoted or not, without holding the rest', () => {
    for (const huge of ['x'.repeat(70_000), `"${'x'.repeat(70_000)}"`]) {
      const text = `email\na@x.com\n${huge}\nb@x.com\n`;
      for (const size of [1000, text.length]) {
        const read = readInChunks(text, size);
        expect(read.records).toEqual([[1, ['email']], [2, ['a@x.com']]]);
        expect(read.error).toMatchObject({ line: 3, message: expect.stringMatching(/maximum/) });
        expect(csvParse(text).error?.line).toBe(3);
      }
    }
  });

  it('reads what csv-parse reads in generated files mixing every case above', () => {
    const pieces = ['a@x.com', ' b ', '"q, r"', '"multi\nline"', '""', '"x""y"', '', 'plain text'];
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let file = 0; file < 200; file++) {
      const lines = Array.from({ length: 1 + random(6) }, () => Array.from({ length: 1 + random(4) }, () => pieces[random(pieces.length)]).join(','));
      const text = lines.join(random(2) ? '\r\n' : '\n') + (random(2) ? '\n' : '');
      expect(readInChunks(text, 1 + random(9)), JSON.stringify(text)).toEqual(csvParse(text));
    }
  });
});
