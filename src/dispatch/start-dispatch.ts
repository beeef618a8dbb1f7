// The moment a dispatch fires, after the start gate claimed it (pending/scheduled → running): set each channel going.
import type { FlowProducer } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { findDispatch } from './dispatch-repository.js';
import { queueEmailEdition } from './step-jobs.js';

/** Starts the social side of a dispatch (src/social/start-social.ts, bound to its accounts by the worker). */
export type SocialStarter = (dispatchId: number, channels: string[]) => Promise<void>;

/**
 * Only the start gate (src/dispatch/start-gate.ts) claims the row; this reads it as the gate left it. A start job
 * re-run after a crash finds the dispatch already running too: it queues the channel steps again, which is harmless
 * (fixed job ids, and every step re-reads its rows), and it is what keeps a crash here from losing them.
 */
export async function startDispatch(
  db: Kysely<Database>,
  dispatchId: number,
  options: { flows: FlowProducer; startSocial?: SocialStarter },
): Promise<'started' | 'not-startable'> {
  const dispatch = await findDispatch(db, dispatchId);
  if (!dispatch || dispatch.status !== 'running') return 'not-startable';

  if (dispatch.channels.includes('email')) {
    await queueEmailEdition(options.flows, dispatchId, dispatch.priority);
  }
  const social = dispatch.channels.filter((c) => c !== 'email');
  if (social.length > 0 && options.startSocial) await options.startSocial(dispatchId, social);
  return 'started';
}
