// A finished message as fields, for a transport whose API takes subject, bodies and headers instead of MIME
// (Postmark): read back from the very bytes a raw transport would send, so every transport sends the same edition.
import type { MimeMail } from './email-transport.js';

export interface StructuredMail {
  from: string;
  to: string;
  subject: string;
  htmlBody?: string;
  textBody?: string;
  /** Every other header as written (List-Unsubscribe, List-Id, Message-ID, …), unfolded. */
  headers: { name: string; value: string }[];
}

/** Headers the fields above carry, or that describe the MIME structure the provider rebuilds itself. */
const CARRIED = new Set(['from', 'to', 'subject', 'date', 'mime-version', 'content-type', 'content-transfer-encoding']);

export async function structuredFromMime({ raw, envelope }: MimeMail): Promise<StructuredMail> {
  // Loaded on first use: its charset tables cost every other worker ~9 MB.
  const { simpleParser } = await import('mailparser');
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  const headers = parsed.headerLines
    .filter(({ key }) => !CARRIED.has(key))
    .map(({ line }) => {
      const unfolded = line.replace(/\r?\n[ \t]+/g, ' ');
      const colon = unfolded.indexOf(':');
      return { name: unfolded.slice(0, colon).trim(), value: unfolded.slice(colon + 1).trim() };
    });
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  return {
    from: parsed.from?.text ?? envelope.from,
    // The header names the reader (with their name); the envelope is who it goes to, and they must agree.
    to: to?.value.some((a) => a.address?.toLowerCase() === envelope.to.toLowerCase()) ? to.text : envelope.to,
    subject: parsed.subject ?? '',
    ...(typeof parsed.html === 'string' ? { htmlBody: parsed.html } : {}),
    ...(parsed.text ? { textBody: parsed.text } : {}),
    headers,
  };
}
