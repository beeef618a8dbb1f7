// Double opt-in: open a confirmation (a nonce signed into the mailed link), check a returning link, and confirm —
// a new subscription, a suppressed address subscribing again, or a new address for an existing subscriber.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, SubscriberRow } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';
import { newNonce } from './subscriber-links.js';
import { liftSuppression } from './suppression.js';

type Purpose = 'confirm' | 'change-email';

export interface Requested {
  name?: string | null;
  topics?: string[];
}

/**
 * Makes sure an open confirmation exists and returns its nonce. `fresh` replaces any older nonce, so links mailed
 * before stop working; otherwise an open one is kept, so the first mail still works when a second one is asked for.
 */
export async function openConfirmation(
  tx: Kysely<Database>,
  subscriberId: number,
  purpose: Purpose,
  options: { fresh?: boolean; newEmail?: string; requested?: Requested } = {},
): Promise<string> {
  const nonce = newNonce();
  const values = {
    subscriberId,
    purpose,
    nonce,
    newEmail: options.newEmail ?? null,
    requested: options.requested ? JSON.stringify(options.requested) : null,
  };
  const row = await tx
    .insertInto('subscriberConfirmations')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['subscriberId', 'purpose']).doUpdateSet({
        nonce: options.fresh ? nonce : sql<string>`subscriber_confirmations.nonce`,
        newEmail: values.newEmail,
        requested: values.requested,
      }),
    )
    .returning('nonce')
    .executeTakeFirstOrThrow();
  return row.nonce;
}

export type ConfirmationCheck =
  | { ok: true; subscriber: SubscriberRow; newEmail: string | null; requested: Requested | null }
  | { ok: false; problem: 'used' };

/** Whether the link's nonce is still the open one: a used, replaced or cancelled confirmation is "used". */
export async function checkConfirmation(
  db: Kysely<Database>,
  subscriberId: number,
  purpose: Purpose,
  nonce: string,
  options: { lock?: boolean } = {},
): Promise<ConfirmationCheck> {
  let query = db
    .selectFrom('subscriberConfirmations as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriberId')
    .selectAll('s')
    .select(['c.nonce', 'c.newEmail', 'c.requested'])
    .where('c.subscriberId', '=', subscriberId)
    .where('c.purpose', '=', purpose);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row || row.nonce !== nonce) return { ok: false, problem: 'used' };
  const { nonce: _nonce, newEmail, requested, ...subscriber } = row;
  return { ok: true, subscriber, newEmail, requested: requested as Requested | null };
}

async function closeConfirmation(tx: Transaction<Database>, subscriberId: number, purpose: Purpose): Promise<void> {
  await tx.deleteFrom('subscriberConfirmations').where('subscriberId', '=', subscriberId).where('purpose', '=', purpose).execute();
}

/** The click on a confirmation link: the only way a pending or suppressed address becomes confirmed. */
export async function confirmSubscription(
  db: Kysely<Database>,
  secret: string,
  subscriberId: number,
  nonce: string,
): Promise<ConfirmationCheck> {
  return db.transaction().execute(async (tx) => {
    const check = await checkConfirmation(tx, subscriberId, 'confirm', nonce, { lock: true });
    if (!check.ok) return check;
    const { subscriber, requested } = check;
    const updated = await tx
      .updateTable('subscribers')
      .set({
        status: 'confirmed',
        confirmedAt: sql<Date>`now()`,
        unsubscribedAt: null,
        updatedAt: sql<Date>`now()`,
        ...(requested?.name ? { name: requested.name } : {}),
        ...(requested?.topics?.length ? { topics: requested.topics } : {}),
      })
      .where('id', '=', subscriberId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await closeConfirmation(tx, subscriberId, 'confirm');
    const lifted = await liftSuppression(tx, secret, subscriber.email);
    await recordEvent(tx, {
      subjectType: 'subscriber',
      subjectId: subscriberId,
      event: 'subscriber.status',
      fromStatus: subscriber.status,
      toStatus: 'confirmed',
      cause: 'link',
      ...(lifted ? { detail: { suppressionLifted: true } } : {}),
    });
    return { ...check, subscriber: updated };
  });
}

export type EmailChangeResult = ConfirmationCheck | { ok: false; problem: 'taken' };

/** The click on a change-email link: the new address replaces the old one, unless someone else has it by now. */
export async function confirmEmailChange(
  db: Kysely<Database>,
  secret: string,
  subscriberId: number,
  nonce: string,
  newEmail: string,
): Promise<EmailChangeResult> {
  return db.transaction().execute(async (tx) => {
    const check = await checkConfirmation(tx, subscriberId, 'change-email', nonce, { lock: true });
    if (!check.ok) return check;
    if (check.newEmail !== newEmail) return { ok: false, problem: 'used' };
    const taken = await tx
      .selectFrom('subscribers')
      .select('id')
      .where(sql`lower(email)`, '=', newEmail)
      .where('id', '!=', subscriberId)
      .executeTakeFirst();
    if (taken) return { ok: false, problem: 'taken' };
    const updated = await tx
      .updateTable('subscribers')
      .set({ email: newEmail, updatedAt: sql<Date>`now()` })
      .where('id', '=', subscriberId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await closeConfirmation(tx, subscriberId, 'change-email');
    await liftSuppression(tx, secret, newEmail);
    // The addresses stay out of the log: it outlives an erasure request.
    await recordEvent(tx, { subjectType: 'subscriber', subjectId: subscriberId, event: 'subscriber.email_changed', cause: 'link' });
    return { ...check, subscriber: updated };
  });
}
