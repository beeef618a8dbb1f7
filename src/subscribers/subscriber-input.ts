// What may be said about a subscriber: the address, normalised, and the choices that go with it.
import { z } from 'zod';
import { cleanLine } from '../text/plain-text.js';
import { timeZoneInput } from '../dispatch/local-time.js';

// Deliberately practical rather than RFC 5322-complete: one @, a dotted domain, no spaces or brackets.
const EMAIL_SHAPE = /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\]]+\.[^\s@<>()",;:\\[\].]{2,}$/;

/** Lower-cased and trimmed: addresses are unique case-insensitively. */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Whether a normalised address has the shape Herald accepts. */
export function isEmailShape(email: string): boolean {
  return EMAIL_SHAPE.test(email) && !email.includes('..');
}

const MAX_EMAIL_CHARS = 320;

export const emailAddress = z
  .string()
  .max(MAX_EMAIL_CHARS)
  .transform(normaliseEmail)
  .refine(isEmailShape, { message: 'must be a valid email address' });

/**
 * What emailAddress yields, without zod's per-call cost: the import's hot path. Undefined where emailAddress fails;
 * ask emailAddress then for the message.
 */
export function acceptedEmail(raw: string): string | undefined {
  if (raw.length > MAX_EMAIL_CHARS) return undefined;
  const email = normaliseEmail(raw);
  return isEmailShape(email) ? email : undefined;
}

const MAX_TOPICS = 100;
const MAX_TOPIC_CHARS = 100;

/** A topic cleanLine would leave as it is: most are, and an import normalises one per row. */
const PLAIN_TOPIC = /^[\w-]*$/;

/** Cleaned, lower-cased, without blanks or repeats, in the order given. */
function normaliseTopics(topics: string[]): string[] {
  return [...new Set(topics.map((t) => (PLAIN_TOPIC.test(t) ? t : cleanLine(t)).toLowerCase()).filter(Boolean))];
}

export const topicList = z
  .array(z.string().max(MAX_TOPIC_CHARS))
  .max(MAX_TOPICS)
  .transform(normaliseTopics);

/** What topicList yields, without zod's per-call cost; undefined where topicList fails (ask it for the message). */
export function acceptedTopics(topics: string[]): string[] | undefined {
  if (topics.length > MAX_TOPICS || topics.some((t) => t.length > MAX_TOPIC_CHARS)) return undefined;
  return normaliseTopics(topics);
}

export const subscriberStatus = z.enum(['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained']);
export const cadence = z.enum(['instant', 'daily', 'weekly']);

/**
 * A reader's IANA zone: a known zone, canonically spelled; empty or null means the installation's (HERALD_TIMEZONE).
 * Left out, nothing changes.
 */
export const readerTimeZone = z.preprocess((v) => (v === '' ? null : v), timeZoneInput.nullable()).optional();

export const editorSubscriberInput = z.object({
  email: emailAddress,
  name: z.string().max(200).transform(cleanLine).nullish(),
  topics: topicList.default([]),
  cadence: cadence.default('instant'),
  status: z.enum(['pending', 'confirmed']).default('confirmed'),
  timezone: readerTimeZone,
});

export type EditorSubscriberInput = z.infer<typeof editorSubscriberInput>;

/** Statuses that keep an address from receiving mail until it is confirmed again. */
export const SUPPRESSED_STATUSES = ['unsubscribed', 'bounced', 'complained'] as const;
