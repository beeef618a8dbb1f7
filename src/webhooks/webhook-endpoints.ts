// Admin use cases for outbound webhook endpoints: register (secret shown once), list with health, remove,
// list recent deliveries, and redeliver one.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Queues } from '../queue/queues.js';
import type { WebhookEvent } from './webhook-events.js';
import { queueWebhookDelivery } from './webhook-relay.js';
import { newWebhookSecret } from './webhook-signature.js';

const VIEW_COLUMNS = [
  'id', 'url', 'events', 'createdAt', 'disabledAt', 'disabledReason',
  'lastStatus', 'lastError', 'lastAttemptAt', 'consecutiveFailures', 'failingSince',
] as const;

export async function registerEndpoint(db: Kysely<Database>, input: { url: string; events: WebhookEvent[] }) {
  const secret = newWebhookSecret();
  const row = await db
    .insertInto('webhookEndpoints')
    .values({ url: input.url, events: [...new Set(input.events)], secret })
    .returning(VIEW_COLUMNS)
    .executeTakeFirstOrThrow();
  return { ...row, secret };
}

/** Every endpoint with its health; never the secret. */
export function listEndpoints(db: Kysely<Database>) {
  return db.selectFrom('webhookEndpoints').select(VIEW_COLUMNS).orderBy('id').execute();
}

export async function removeEndpoint(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db.deleteFrom('webhookEndpoints').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The newest deliveries of one endpoint, or undefined when there is no such endpoint. */
export async function listDeliveries(db: Kysely<Database>, endpointId: number, limit = 50) {
  const endpoint = await db.selectFrom('webhookEndpoints').select('id').where('id', '=', endpointId).executeTakeFirst();
  if (!endpoint) return undefined;
  return db
    .selectFrom('webhookDeliveries')
    .select(['id', 'event', 'status', 'attempts', 'lastStatus', 'lastError', 'createdAt', 'deliveredAt'])
    .where('endpointId', '=', endpointId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Sends one delivery again (delivered or failed), as a new job with a fresh round of retries. Re-enables a
 * disabled endpoint: an admin asking for a redelivery has fixed it, or wants to know.
 */
export async function redeliver(
  db: Kysely<Database>,
  queues: Queues,
  endpointId: number,
  deliveryId: number,
): Promise<'queued' | 'not-found' | 'in-progress'> {
  const row = await db.transaction().execute(async (tx) => {
    // Unqueued until the job is added below: if that fails, the relay's next pass queues it.
    const updated = await tx
      .updateTable('webhookDeliveries')
      .set({ status: 'pending', sends: sql<number>`sends + 1`, enqueuedAt: null })
      .where('id', '=', deliveryId)
      .where('endpointId', '=', endpointId)
      .where('status', '!=', 'pending')
      .returning(['id', 'sends'])
      .executeTakeFirst();
    if (updated) {
      await tx.updateTable('webhookEndpoints').set({ disabledAt: null, disabledReason: null, failingSince: null }).where('id', '=', endpointId).execute();
    }
    return updated;
  });
  if (!row) {
    const exists = await db.selectFrom('webhookDeliveries').select('id').where('id', '=', deliveryId).where('endpointId', '=', endpointId).executeTakeFirst();
    return exists ? 'in-progress' : 'not-found';
  }
  await queueWebhookDelivery(queues, row.id, row.sends);
  await db.updateTable('webhookDeliveries').set({ enqueuedAt: sql<Date>`now()` }).where('id', '=', row.id).execute();
  return 'queued';
}
