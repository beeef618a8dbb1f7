// The suppression list: addresses that must never be mailed or re-added without a fresh confirmation, kept as a
// keyed hash only, so an erased subscriber leaves nothing readable behind.
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, SuppressionsTable } from '../db/schema.js';
import { normaliseEmail } from './subscriber-input.js';

/**
 * HMAC-SHA256 of the normalised address, keyed with HERALD_SECRET (a plain SHA-256 of an address can be reversed
 * by hashing a list of known addresses). Rotating the secret therefore forgets the list: keep the secret.
 */
export function suppressionHash(secret: string, email: string): string {
  return createHmac('sha256', secret).update(`suppression:${normaliseEmail(email)}`).digest('hex');
}

export async function isSuppressed(db: Kysely<Database>, secret: string, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('suppressions')
    .select('emailHash')
    .where('emailHash', '=', suppressionHash(secret, email))
    .executeTakeFirst();
  return !!row;
}

export async function addSuppression(
  db: Kysely<Database>,
  emailHash: string,
  reason: SuppressionsTable['reason'],
): Promise<void> {
  await db
    .insertInto('suppressions')
    .values({ emailHash, reason })
    .onConflict((oc) => oc.column('emailHash').doUpdateSet({ reason }))
    .execute();
}

/** Only the owner of the mailbox may lift a suppression: called when they click a confirmation link. */
export async function liftSuppression(db: Kysely<Database>, secret: string, email: string): Promise<boolean> {
  const result = await db.deleteFrom('suppressions').where('emailHash', '=', suppressionHash(secret, email)).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
