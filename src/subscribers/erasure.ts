// Erasure on request (GDPR art. 17): the subscriber row and every copy of the address go; a keyed hash stays on the
// suppression list so the address cannot quietly come back through the form or an import.
import { type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';
import { SUPPRESSED_STATUSES } from './subscriber-input.js';
import { addSuppression, suppressionHash } from './suppression.js';

export async function eraseSubscriber(
  db: Kysely<Database>,
  secret: string,
  subscriberId: number,
  /** Who asked (the API token's name), kept in the event. */
  by: string,
): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('subscribers')
      .select(['email', 'status'])
      .where('id', '=', subscriberId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return false;
    const suppressed = (SUPPRESSED_STATUSES as readonly string[]).includes(row.status);
    await addSuppression(tx, suppressionHash(secret, row.email), suppressed ? (row.status as 'bounced') : 'erased');
    // SMTP replies and event details can quote the address ("550 <jane@…> unknown").
    await tx.updateTable('deliveries').set({ lastResponse: null }).where('subscriberId', '=', subscriberId).execute();
    await tx
      .updateTable('events')
      .set({ detail: null })
      .where('subjectType', '=', 'subscriber')
      .where('subjectId', '=', String(subscriberId))
      .execute();
    // Deliveries keep their row (subscriber_id becomes null) so dispatch counts stay right; confirmations cascade.
    await tx.deleteFrom('subscribers').where('id', '=', subscriberId).execute();
    await recordEvent(tx, {
      subjectType: 'subscriber', subjectId: subscriberId, event: 'subscriber.erased', fromStatus: row.status, cause: 'editor',
      detail: { by },
    });
    return true;
  });
}
