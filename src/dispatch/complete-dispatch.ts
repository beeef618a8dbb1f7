// A running dispatch is finished once every channel has: the email edition fanned out, every batch done, each social
// network's delivery row written (the start job writes them after the dispatch is claimed), and no delivery still
// waiting or in flight. It finishes `completed`, or `completed_with_failures` when any delivery
// failed, was blocked or is uncertain: "completed" never hides readers who did not get it.
// Only the worker layer calls this (workers/*.ts): a dispatch completes as the consequence of a job's work.
import type { Kysely } from 'kysely';
import type { Database, DispatchStatus } from '../db/schema.js';
import { transitionDispatch } from './dispatch-control.js';
import { isNetwork } from '../social/networks.js';
import { FAILED_DELIVERY_STATUSES, TRANSITIONS } from './lifecycle.js';

export async function completeDispatchIfDone(db: Kysely<Database>, dispatchId: number): Promise<DispatchStatus | undefined> {
  const dispatch = await db
    .selectFrom('dispatches')
    .select(['status', 'channels', 'emailFannedOutAt'])
    .where('id', '=', dispatchId)
    .executeTakeFirst();
  if (!dispatch || !(TRANSITIONS.complete.from as readonly string[]).includes(dispatch.status)) return undefined;
  if (dispatch.channels.includes('email')) {
    if (!dispatch.emailFannedOutAt) return undefined;
    const openBatch = await db
      .selectFrom('emailBatches')
      .select('batchNo')
      .where('dispatchId', '=', dispatchId)
      .where('status', '!=', 'done')
      .limit(1)
      .executeTakeFirst();
    if (openBatch) return undefined;
  }
  // Between the start job's claim and its social rows, a social-only dispatch has no open delivery: not done yet.
  const networks = dispatch.channels.filter(isNetwork);
  if (networks.length > 0) {
    const written = await db
      .selectFrom('deliveries')
      .select(({ fn }) => fn.count<string>('channel').distinct().as('n'))
      .where('dispatchId', '=', dispatchId)
      .where('channel', 'in', networks)
      .executeTakeFirstOrThrow();
    if (Number(written.n) < networks.length) return undefined;
  }
  const openDelivery = await db
    .selectFrom('deliveries')
    .select('id')
    .where('dispatchId', '=', dispatchId)
    .where('status', 'in', ['pending', 'sending'])
    .limit(1)
    .executeTakeFirst();
  if (openDelivery) return undefined;
  const failed = await db
    .selectFrom('deliveries')
    .select('id')
    .where('dispatchId', '=', dispatchId)
    .where('status', 'in', [...FAILED_DELIVERY_STATUSES])
    .limit(1)
    .executeTakeFirst();
  const to: DispatchStatus = failed ? 'completed_with_failures' : 'completed';
  return (await transitionDispatch(db, dispatchId, TRANSITIONS.complete.from, to, 'worker')) ? to : undefined;
}
