// Splits CSV text, fed chunk by chunk, into records with the line each ends on (RFC 4180 quoting, fields trimmed
// outside quotes, blank lines skipped, \n or \r\n). Written for the import's hot path: a line without a quote is cut
// with indexOf and split, never walked character by character; only quoted records take the slow path.

/** A record the import cannot read past: its line, and a message naming what is wrong (as csv-parse words them). */
export class CsvSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

/** The records read; `error` set means the text cannot be read past the last of them (nothing after it is). */
export interface CsvRead {
  records: CsvRecord[];
  error?: CsvSyntaxError;
}

export interface CsvRecord {
  fields: string[];
  /** The line the record ends on (a quoted field may span lines), counting from 1 as an editor's text editor does. */
  line: number;
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;
const isBlank = (code: number) => code === 32 || code === 9;

/** What the slow path found: a record and where the next one starts, or that the text ends inside a quoted field. */
type QuotedRecord = { fields: string[]; next: number; newlines: number } | 'incomplete';

export class CsvRecordReader {
  private text = '';
  private line = 1;
  private first = true;
  /** An unfinished record is read again only once the text has doubled: tiny chunks cannot make reading quadratic. */
  private readAgainAt = 0;

  /** @param maxRecordChars the longest record read; a longer one is a CsvSyntaxError, so a huge field is never held. */
  constructor(private readonly maxRecordChars: number) {}

  /** The complete records in the text seen so far; the unfinished last one is kept for the next call. */
  push(chunk: string): CsvRead {
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.text = this.text.length ? this.text + chunk : chunk;
    if (this.text.length < this.readAgainAt) return { records: [] };
    const read = this.read(false);
    this.readAgainAt = 2 * this.text.length;
    return read;
  }

  /** The last record, which may lack its line break; throws if the text ends inside a quoted field. */
  end(): CsvRead {
    return this.read(true);
  }

  private read(atEnd: boolean): CsvRead {
    const records: CsvRecord[] = [];
    try {
      this.readInto(records, atEnd);
      return { records };
    } catch (error) {
      if (!(error instanceof CsvSyntaxError)) throw error;
      return { records, error };
    }
  }

  private readInto(records: CsvRecord[], atEnd: boolean): void {
    const text = this.text;
    let pos = 0;
    // The next quote at or after `pos` (text.length: none; never at a line end, which holds the line break). Searched
    // again only once passed, so a chunk without quotes is scanned for one once, not once per line.
    let quote = -1;
    while (pos < text.length) {
      let lineEnd = text.indexOf('\n', pos);
      if (lineEnd === -1) {
        if (!atEnd) break;
        lineEnd = text.length;
      }
      if (quote < pos) {
        quote = text.indexOf('"', pos);
        if (quote === -1) quote = text.length;
      }
      if (quote >= lineEnd) {
        if (lineEnd - pos > this.maxRecordChars) throw this.tooLong();
        const end = lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
        const fields = text.slice(pos, end).split(',');
        for (let i = 0; i < fields.length; i++) fields[i] = fields[i].trim();
        if (fields.length > 1 || fields[0] !== '') records.push({ fields, line: this.line });
        this.line++;
        pos = lineEnd + 1;
        continue;
      }
      const quoted = this.readQuoted(text, pos, atEnd);
      if (quoted === 'incomplete') {
        if (atEnd) throw new CsvSyntaxError(`Quote Not Closed: the parsing is finished with an opening quote at line ${this.line}`, this.line);
        break;
      }
      this.line += quoted.newlines;
      records.push({ fields: quoted.fields, line: this.line });
      if (quoted.next <= text.length && text.charCodeAt(quoted.next - 1) === LF) this.line++;
      pos = quoted.next;
    }
    this.text = pos >= text.length ? '' : text.slice(pos);
    if (!atEnd && this.text.length > this.maxRecordChars) throw this.tooLong();
  }

  private tooLong(): CsvSyntaxError {
    return new CsvSyntaxError(`Max Record Size: record exceed the maximum number of tolerated characters of ${this.maxRecordChars} at line ${this.line}`, this.line);
  }

  /** Walks one record that holds a quote, from `start`; `next` is past its line break. */
  private readQuoted(text: string, start: number, atEnd: boolean): QuotedRecord {
    const fields: string[] = [];
    let pos = start;
    let newlines = 0;
    const limit = start + this.maxRecordChars;
    for (;;) {
      while (pos < text.length && isBlank(text.charCodeAt(pos))) pos++;
      if (pos > limit) throw this.tooLong();
      let value: string;
      if (text.charCodeAt(pos) === QUOTE) {
        value = '';
        let from = pos + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close === -1 || close > limit) {
            if (close > limit || text.length > limit) throw this.tooLong();
            return 'incomplete';
          }
          if (close + 1 >= text.length && !atEnd) return 'incomplete';
          value += text.slice(from, close);
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += '"';
            from = close + 2;
            continue;
          }
          pos = close + 1;
          break;
        }
        for (let i = value.indexOf('\n'); i !== -1; i = value.indexOf('\n', i + 1)) newlines++;
        while (pos < text.length && isBlank(text.charCodeAt(pos))) pos++;
        const after = text.charCodeAt(pos);
        if (pos < text.length && after !== COMMA && after !== LF && !(after === CR && text.charCodeAt(pos + 1) === LF)) {
          if (after === CR && pos + 1 >= text.length && !atEnd) return 'incomplete';
          throw new CsvSyntaxError(`Invalid Closing Quote: got "${text[pos]}" at line ${this.line + newlines} instead of delimiter or record delimiter`, this.line + newlines);
        }
      } else {
        let end = pos;
        while (end < text.length) {
          const code = text.charCodeAt(end);
          if (code === COMMA || code === LF) break;
          if (code === QUOTE) {
            throw new CsvSyntaxError(`Invalid Opening Quote: a quote is found in field ${fields.length + 1} at line ${this.line + newlines}`, this.line + newlines);
          }
          end++;
        }
        if (end >= text.length && !atEnd) return 'incomplete';
        value = text.slice(pos, end).trim();
        pos = end;
      }
      fields.push(value);
      if (pos >= text.length) return { fields, next: pos, newlines };
      if (text.charCodeAt(pos) === COMMA) {
        pos++;
        continue;
      }
      if (text.charCodeAt(pos) === CR) pos++;
      return { fields, next: pos + 1, newlines };
    }
  }
}
