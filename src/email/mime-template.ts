// An edition compiled once into a 7-bit MIME message, so each recipient costs a few tiny encodes and a Buffer.concat.
import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import { encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { encode as encodeQuotedPrintable, wrap as wrapQuotedPrintable } from 'nodemailer/lib/qp';
import { cleanLine } from '../text/plain-text.js';
import { PermanentFailure } from '../delivery/failure.js';
import { escapeHtml } from '../runtime/escape-html.js';
import { ANONYMOUS_CLICK_SLOT } from '../analytics/click-tokens.js';
import { clickSlotMarker, recipientMarkers, type RecipientField, type RenderedEdition } from './edition-renderer.js';

export interface MessageHeaders {
  /** Sender in MAIL_FROM style: `"Herald Daily" <news@herald.example>`. */
  from: string;
  /** List-Id identifier (RFC 2919), e.g. `daily.herald.example`. */
  listId: string;
  /** The list's name, the List-Id phrase. */
  listName: string;
  /** Mailbox for unsubscribing by mail, e.g. `unsubscribe@herald.example`. Default: none, HTTPS only. */
  unsubscribeMailto?: string;
  /** Greeting name for a subscriber who gave none ("Hi there,"). Default: "there". */
  anonymousName?: string;
}

/** What fills one message's recipient markers (RECIPIENT_MARKERS): the reader's address, name and links. */
export interface RecipientSlots {
  address: string;
  name?: string | null;
  /** Unique per message, with or without angle brackets. */
  messageId: string;
  /** One-click endpoint (RFC 8058: POST unsubscribes, GET may confirm); also the footer link. */
  unsubscribeUrl: string;
  preferencesUrl: string;
  /** The reader slot of the tracked links (src/analytics/click-tokens.ts). Default: nobody's. */
  clickSlot?: string;
}

/** A per-recipient value in the body: the recipient markers, and the reader slot of tracked links. */
type SlotField = RecipientField | 'clickSlot';
type BodySlot = { field: SlotField; context: 'text' | 'html' };

/** A message ready for any number of recipients; build with `compileMimeMessage`, treat as opaque. */
export interface CompiledMimeMessage {
  /** From and Subject, already encoded and folded. */
  readonly leadingHeaders: Buffer;
  /** Static headers, then both parts: quoted-printable segments with the recipient's values in between. */
  readonly chunks: ReadonlyArray<Buffer | BodySlot>;
  readonly unsubscribeMailto: string | null;
  readonly anonymousName: string;
}

const CRLF = '\r\n';
// A soft line break: decoders drop it, so separately encoded pieces join into one unbroken text.
const SOFT_BREAK = '=\r\n';
// Encoded lines stay ≤ 76 characters (RFC 2045) even with the soft break a segment may end with.
const QP_LINE_LENGTH = 75;
const HEADER_LINE_LENGTH = 76;

/** The edition's own markers: keyed per edition, so content cannot write one (see recipientMarkers). */
interface MarkerSet {
  pattern: RegExp;
  fieldOf: Map<string, SlotField>;
}

// Markers are plain ASCII, so splitting the strings never cuts through a UTF-8 sequence or a CRLF.
function markerSet(markerKey: string | null | undefined): MarkerSet {
  const markers = { ...recipientMarkers(markerKey), clickSlot: clickSlotMarker(markerKey) };
  return {
    pattern: new RegExp(Object.values(markers).map((marker) => marker.replace(/[.%]/g, '\\$&')).join('|'), 'g'),
    fieldOf: new Map(Object.entries(markers).map(([field, marker]) => [marker, field as SlotField])),
  };
}

/** Encodes everything that is the same for every recipient, once per edition. */
export function compileMimeMessage(
  edition: Pick<RenderedEdition, 'subject' | 'html' | 'text'> & { markerKey?: string | null },
  headers: MessageHeaders,
): CompiledMimeMessage {
  const markers = markerSet(edition.markerKey);
  // "=_" never occurs in quoted-printable output, so no encoded line can ever look like the boundary.
  const boundary = `----=_Herald_${randomBytes(12).toString('hex')}`;
  const from = parseSender(headers.from);
  const listId = cleanLine(headers.listId).replace(/[<>\s]/g, '');
  const staticHeaders = [
    'MIME-Version: 1.0',
    headerLine('List-Id', `${encodePhrase(cleanLine(headers.listName))} <${listId}>`),
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
  ];
  const partHeaders = (type: string): string =>
    [`--${boundary}`, `Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: quoted-printable', '', '']
      .join(CRLF);

  const leadingHeaders = [
    headerLine('From', formatAddress(from.name, from.address)),
    headerLine('Subject', encodeText(cleanLine(edition.subject))),
  ];
  const unsubscribeMailto = cleanLine(headers.unsubscribeMailto ?? '').replace(/[<>\s]/g, '');
  return {
    leadingHeaders: Buffer.from(leadingHeaders.join(CRLF) + CRLF),
    chunks: [
      Buffer.from(staticHeaders.join(CRLF) + CRLF + CRLF + partHeaders('text/plain')),
      ...encodeBodyPart(edition.text, 'text', markers),
      Buffer.from(CRLF + partHeaders('text/html')),
      ...encodeBodyPart(edition.html, 'html', markers),
      Buffer.from(`${CRLF}--${boundary}--${CRLF}`),
    ],
    unsubscribeMailto: unsubscribeMailto ? `mailto:${unsubscribeMailto}?subject=unsubscribe` : null,
    anonymousName: cleanLine(headers.anonymousName ?? '') || 'there',
  };
}

/** The complete RFC 5322 message for one recipient (hand it to nodemailer as `raw`). */
export function personalise(compiled: CompiledMimeMessage, recipient: RecipientSlots, now: Date = new Date()): Buffer {
  const values: Record<SlotField, string> = {
    name: cleanLine(recipient.name ?? '') || compiled.anonymousName,
    unsubscribeUrl: recipientUrl(recipient.unsubscribeUrl),
    preferencesUrl: recipientUrl(recipient.preferencesUrl),
    clickSlot: /^[\w.-]+$/.test(recipient.clickSlot ?? '') ? recipient.clickSlot! : ANONYMOUS_CLICK_SLOT,
  };
  const listUnsubscribe = [`<${values.unsubscribeUrl}>`];
  if (compiled.unsubscribeMailto) listUnsubscribe.push(`<${compiled.unsubscribeMailto}>`);
  const recipientHeaders = [
    headerLine('To', formatAddress(cleanLine(recipient.name ?? ''), recipientAddress(recipient.address))),
    `Date: ${formatDate(now)}`,
    `Message-ID: ${formatMessageId(recipient.messageId)}`,
    // Folded between the two URIs only, never inside one.
    `List-Unsubscribe: ${listUnsubscribe.join(`,${CRLF} `)}`,
  ];

  const encoded = new Map<string, Buffer>();
  const pieces: Buffer[] = [compiled.leadingHeaders, Buffer.from(recipientHeaders.join(CRLF) + CRLF)];
  for (const chunk of compiled.chunks) {
    if (Buffer.isBuffer(chunk)) {
      pieces.push(chunk);
      continue;
    }
    const key = `${chunk.context}:${chunk.field}`;
    let piece = encoded.get(key);
    if (!piece) {
      // Escaped for where it lands: the name is text in the HTML part, the URLs sit in href="…".
      const value = chunk.context === 'html' ? escapeHtml(values[chunk.field]) : values[chunk.field];
      piece = Buffer.from(encodeSegment(value) + SOFT_BREAK);
      encoded.set(key, piece);
    }
    pieces.push(piece);
  }
  return Buffer.concat(pieces);
}

/** A body part as static quoted-printable segments joined by soft line breaks, with recipient slots between. */
function encodeBodyPart(content: string, context: BodySlot['context'], markers: MarkerSet): Array<Buffer | BodySlot> {
  const normalised = content.replace(/\r\n|\r|\n/g, CRLF);
  const chunks: Array<Buffer | BodySlot> = [];
  let start = 0;
  for (const match of normalised.matchAll(markers.pattern)) {
    chunks.push(Buffer.from(encodeSegment(normalised.slice(start, match.index)) + SOFT_BREAK));
    chunks.push({ field: markers.fieldOf.get(match[0])!, context });
    start = match.index + match[0].length;
  }
  chunks.push(Buffer.from(encodeSegment(normalised.slice(start))));
  return chunks;
}

function encodeSegment(text: string): string {
  return wrapQuotedPrintable(encodeQuotedPrintable(text), QP_LINE_LENGTH);
}

/** `Name: value` folded to 76 columns; value must already be 7-bit. */
function headerLine(name: string, value: string): string {
  return foldLines(`${name}: ${value}`, HEADER_LINE_LENGTH);
}

/** Unstructured text (Subject): as is when printable ASCII, RFC 2047 encoded-words otherwise. */
function encodeText(text: string): string {
  return encodeWords(text, mimeWordEncoding(text), 52, true);
}

/** A display name: a quoted string when ASCII, encoded-words otherwise, nothing when empty. */
function encodePhrase(name: string): string {
  if (!name) return '';
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, '\\$&')}"`;
  return encodeWords(name, mimeWordEncoding(name), 52, true);
}

// Base64 is shorter once a third of the text is non-ASCII (CJK, Arabic); Q stays readable for mostly Latin text.
function mimeWordEncoding(text: string): 'Q' | 'B' {
  const nonAscii = text.replace(/[\x00-\x7f]/g, '').length;
  return nonAscii > text.length / 3 ? 'B' : 'Q';
}

function formatAddress(name: string, address: string): string {
  return name ? `${encodePhrase(name)} <${address}>` : `<${address}>`;
}

function parseSender(from: string): { name: string; address: string } {
  const [sender] = addressparser(cleanLine(from), { flatten: true });
  if (!sender?.address) throw new TypeError(`The sender is not an address: ${JSON.stringify(from)}`);
  return { name: cleanLine(sender.name ?? ''), address: asciiAddress(sender.address) ?? sender.address };
}

/** The address in 7-bit form (domain in punycode); a mailbox we cannot write is a permanent failure. */
function recipientAddress(address: string): string {
  const ascii = asciiAddress(address);
  if (!ascii) throw new PermanentFailure(`Cannot address ${JSON.stringify(address)}`, 'recipient_address_invalid');
  return ascii;
}

function asciiAddress(address: string): string | null {
  const match = /^([^\s@<>()[\]\\,;:"]+)@([^\s@<>()[\]\\,;:"]+)$/.exec(address.trim());
  // A non-ASCII local part needs SMTPUTF8, which this 7-bit message does not use.
  if (!match || !/^[\x21-\x7e]+$/.test(match[1])) return null;
  const domain = domainToASCII(match[2]);
  return domain ? `${match[1]}@${domain}` : null;
}

function formatMessageId(messageId: string): string {
  const id = cleanLine(messageId).replace(/^<|>$/g, '');
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(id)) throw new TypeError(`Not a Message-ID: ${JSON.stringify(messageId)}`);
  return `<${id}>`;
}

/** WHATWG-normalised http(s) URL: quotes, spaces and angle brackets percent-encoded, safe in `<…>` and `href`. */
function recipientUrl(url: string): string {
  const parsed = new URL(url.trim());
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(`Recipient links must be http(s): ${JSON.stringify(url)}`);
  }
  return parsed.href;
}

let lastDate: { epochSecond: number; header: string } | undefined;

/** RFC 5322 date in UTC, formatted at most once per second however many messages go out in it. */
function formatDate(now: Date): string {
  const epochSecond = Math.floor(now.getTime() / 1000);
  if (lastDate?.epochSecond !== epochSecond) {
    lastDate = { epochSecond, header: now.toUTCString().replace(/GMT$/, '+0000') };
  }
  return lastDate.header;
}
