// Use case: settle a delivery whose outcome is unknown (a post that timed out after sending, an email held by
// UNCERTAIN_DELIVERY_POLICY=hold) once the editor has checked the account or mailbox.
import type { Kysely } from 'kysely';
import type { Database, DeliveryRow, DeliveryStatus } from '../db/schema.js';
import { findDelivery, moveDelivery } from '../delivery/delivery-repository.js';

export interface Resolution {
  /** `sent`: it did arrive; `failed`: it did not, and will not be repeated. */
  status: 'sent' | 'failed';
  note?: string;
  /** The post's URL, when the editor found it. */
  remoteUrl?: string;
}

export type ResolveOutcome =
  | { kind: 'resolved'; delivery: DeliveryRow }
  | { kind: 'not-found' }
  /** Only an `uncertain` delivery can be resolved. */
  | { kind: 'wrong-status'; status: DeliveryStatus };

export async function resolveDelivery(
  deps: { db: Kysely<Database> },
  id: number,
  resolution: Resolution,
  cause: string,
): Promise<ResolveOutcome> {
  const resolved = await moveDelivery(deps.db, id, {
    from: ['uncertain'],
    to: resolution.status,
    cause,
    set: {
      lastResponse: `resolved by an editor${resolution.note ? `: ${resolution.note}` : ''}`,
      ...(resolution.remoteUrl ? { remoteUrl: resolution.remoteUrl } : {}),
    },
    detail: { resolution: resolution.status },
  });
  if (resolved) return { kind: 'resolved', delivery: resolved };
  const delivery = await findDelivery(deps.db, id);
  return delivery ? { kind: 'wrong-status', status: delivery.status } : { kind: 'not-found' };
}
