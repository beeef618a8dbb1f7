// A sign-up from the public form or JSON: always ends in a mail to the address, never in a visible difference
// between known and unknown addresses, and never re-activates a suppressed address by itself.
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { cleanLine } from '../text/plain-text.js';
import type { Database, SubscriberRow } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';
import { openConfirmation } from './confirmation.js';
import { emailAddress, readerTimeZone, SUPPRESSED_STATUSES, topicList } from './subscriber-input.js';
import type { SubscriberMailJob } from './subscriber-mail.js';
import { isSuppressed } from './suppression.js';

/** A form sends one topic as a string and several as an array; JSON may send either. */
const oneOrMany = (value: unknown) => (value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value]);

export const publicSubscribeInput = z.object({
  email: emailAddress,
  name: z
    .string()
    .max(200)
    .optional()
    .transform((name) => (name ? cleanLine(name) || null : null)),
  topics: z.preprocess(oneOrMany, topicList),
  /** The browser's zone, filled in by the form's script (Intl); without it, the installation's. */
  timezone: readerTimeZone,
  /** A field people never see: a bot that fills it gets the usual answer and nothing happens. */
  website: z.string().max(500).optional(),
});

export type PublicSubscribeInput = z.infer<typeof publicSubscribeInput>;

export type SubscribeOutcome =
  | 'created' // a new pending subscriber
  | 'pending' // still pending: the confirmation mail goes out again
  | 'resubscribe' // unsubscribed, bounced, complained or erased before: a fresh confirmation, nothing re-activated yet
  | 'confirmed' // already confirmed: a note with the preferences link, nothing changed
  | 'ignored'; // the honeypot was filled

export interface SubscribeResult {
  outcome: SubscribeOutcome;
  mail?: SubscriberMailJob;
}

export async function requestSubscription(
  db: Kysely<Database>,
  secret: string,
  input: PublicSubscribeInput,
): Promise<SubscribeResult> {
  if (input.website) return { outcome: 'ignored' };
  const erased = await isSuppressed(db, secret, input.email);
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('subscribers')
      .values({ email: input.email, name: input.name, status: 'pending', topics: input.topics, timezone: input.timezone ?? null, source: 'form' })
      .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      await openConfirmation(tx, inserted.id, 'confirm', { fresh: true });
      await recordEvent(tx, {
        subjectType: 'subscriber', subjectId: inserted.id, event: 'subscriber.created', toStatus: 'pending', cause: 'form',
        ...(erased ? { detail: { suppressed: true } } : {}),
      });
      return { outcome: erased ? 'resubscribe' : 'created', mail: { kind: 'confirm', subscriberId: inserted.id } };
    }

    const existing = await tx
      .selectFrom('subscribers')
      .selectAll()
      .where(sql`lower(email)`, '=', input.email)
      .forUpdate()
      .executeTakeFirstOrThrow();
    return existingSubscriber(tx, existing, input);
  });
}

async function existingSubscriber(
  tx: Kysely<Database>,
  existing: SubscriberRow,
  input: PublicSubscribeInput,
): Promise<SubscribeResult> {
  const mail = (kind: SubscriberMailJob['kind']): SubscriberMailJob => ({ kind, subscriberId: existing.id });
  if (existing.status === 'confirmed') return { outcome: 'confirmed', mail: mail('already-subscribed') };

  if (existing.status === 'pending') {
    // Nobody has proven they own the address yet, so updating the unconfirmed choices costs nothing.
    await tx
      .updateTable('subscribers')
      .set({
        ...(input.name ? { name: input.name } : {}),
        ...(input.topics.length ? { topics: input.topics } : {}),
        ...(input.timezone ? { timezone: input.timezone } : {}),
        updatedAt: sql<Date>`now()`,
      })
      .where('id', '=', existing.id)
      .execute();
    await openConfirmation(tx, existing.id, 'confirm');
    return { outcome: 'pending', mail: mail('confirm') };
  }

  // Unsubscribed, bounced or complained: the row stays as it is until the owner of the mailbox clicks the link.
  const status = existing.status as (typeof SUPPRESSED_STATUSES)[number];
  await openConfirmation(tx, existing.id, 'confirm', {
    fresh: true,
    requested: { name: input.name, topics: input.topics },
  });
  await recordEvent(tx, {
    subjectType: 'subscriber', subjectId: existing.id, event: 'subscriber.resubscribe_requested',
    fromStatus: status, toStatus: status, cause: 'form',
  });
  return { outcome: 'resubscribe', mail: mail('confirm') };
}
