// One CSV record of an import, checked and normalised into the row the upsert writes, or the reason it is refused.
import { timeZoneInput } from '../dispatch/local-time.js';
import { acceptedEmail, acceptedTopics, emailAddress, topicList } from './subscriber-input.js';
import { suppressionHash } from './suppression.js';

export interface ImportRow {
  email: string;
  /** The suppression-list key of the address: an erased address is skipped, never re-added. */
  emailHash: string;
  name: string | null;
  status: 'pending' | 'confirmed';
  topics: string[];
  /** The reader's IANA zone; null: the column was empty or absent (a known reader keeps theirs). */
  timezone: string | null;
}

/** Where each column sits in a record; -1: the file has no such column. */
export interface ImportColumns {
  email: number;
  name: number;
  topics: number;
  status: number;
  timezone: number;
}

/** The header's columns, trimmed and lower-cased; a repeated name means its last column (as csv-parse read it). */
export function importColumns(header: string[]): ImportColumns | undefined {
  const names = header.map((h) => h.trim().toLowerCase());
  if (!names.includes('email')) return undefined;
  const at = (name: string) => names.lastIndexOf(name);
  return { email: at('email'), name: at('name'), topics: at('topics'), status: at('status'), timezone: at('timezone') };
}

/** A file names few zones: each distinct spelling is checked (Intl, costly) once per import, up to this many. */
const MAX_CACHED_ZONES = 1000;

/** Turns records into rows; holds the secret, the default status and the zones already checked, for one import. */
export class ImportRowReader {
  private readonly zones = new Map<string, { zone: string } | { error: string }>();

  constructor(private readonly columns: ImportColumns, private readonly defaultStatus: ImportRow['status'], private readonly secret: string) {}

  read(fields: string[]): ImportRow | string {
    const field = (index: number) => (index >= 0 && index < fields.length ? fields[index] : '');
    const rawEmail = field(this.columns.email);
    const email = acceptedEmail(rawEmail);
    if (email === undefined) return `email: ${emailAddress.safeParse(rawEmail).error?.issues[0].message}`;
    const status = field(this.columns.status).trim().toLowerCase() || this.defaultStatus;
    if (status !== 'pending' && status !== 'confirmed') return `status: must be pending or confirmed, got "${status}"`;
    const rawTopics = field(this.columns.topics).split('|');
    const topics = acceptedTopics(rawTopics);
    if (topics === undefined) return `topics: ${topicList.safeParse(rawTopics).error?.issues[0].message}`;
    const rawZone = field(this.columns.timezone).trim();
    const zone = rawZone ? this.zone(rawZone) : undefined;
    if (zone && 'error' in zone) return zone.error;
    const name = field(this.columns.name).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200);
    return {
      email, emailHash: suppressionHash(this.secret, email), name: name || null, status, topics, timezone: zone?.zone ?? null,
    };
  }

  private zone(raw: string): { zone: string } | { error: string } {
    const known = this.zones.get(raw);
    if (known) return known;
    const parsed = timeZoneInput.safeParse(raw);
    const result = parsed.success ? { zone: parsed.data } : { error: `timezone: ${parsed.error.issues[0].message}, got "${raw.slice(0, 64)}"` };
    if (this.zones.size < MAX_CACHED_ZONES) this.zones.set(raw, result);
    return result;
  }
}
