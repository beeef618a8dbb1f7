// A running dispatch is completed once every channel has finished: the email edition fanned out, every batch done,
// and no delivery still waiting or in flight.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { transitionDispatch } from './dispatch-control.js';

export async function completeDispatchIfDone(db: Kysely<Database>, dispatchId: number): Promise<boolean> {
  const dispatch = await db
    .selectFrom('dispatches')
    .select(['status', 'channels', 'emailFannedOutAt'])
    .where('id', '=', dispatchId)
    .executeTakeFirst();
  if (!dispatch || dispatch.status !== 'running') return false;
  if (dispatch.channels.includes('email')) {
    if (!dispatch.emailFannedOutAt) return false;
    const openBatch = await db
      .selectFrom('emailBatches')
      .select('batchNo')
      .where('dispatchId', '=', dispatchId)
      .where('status', '!=', 'done')
      .limit(1)
      .executeTakeFirst();
    if (openBatch) return false;
  }
  const openDelivery = await db
    .selectFrom('deliveries')
    .select('id')
    .where('dispatchId', '=', dispatchId)
    .where('status', 'in', ['pending', 'sending'])
    .limit(1)
    .executeTakeFirst();
  if (openDelivery) return false;
  return !!(await transitionDispatch(db, dispatchId, ['running'], 'completed', 'worker'));
}
