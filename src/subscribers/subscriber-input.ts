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

export const emailAddress = z
  .string()
  .max(320)
  .transform(normaliseEmail)
  .refine((e) => EMAIL_SHAPE.test(e) && !e.includes('..'), { message: 'must be a valid email address' });

export const topicList = z
  .array(z.string().max(100))
  .max(100)
  .transform((topics) => [...new Set(topics.map((t) => cleanLine(t).toLowerCase()).filter(Boolean))]);

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
