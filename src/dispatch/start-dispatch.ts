// The moment a dispatch fires: claim it (pending/scheduled → running) and set each of its channels going.
import type { HeraldContext } from '../context.js';
import type { FlowProducer } from 'bullmq';
import { transitionDispatch } from './dispatch-control.js';
import { TRANSITIONS } from './lifecycle.js';
import { findDispatch } from './dispatch-repository.js';
import { queueEmailEdition } from './step-jobs.js';

/** Starts the social side of a dispatch; provided by src/social once it exists. */
export type SocialStarter = (ctx: HeraldContext, dispatchId: number, channels: string[]) => Promise<void>;

export async function startDispatch(
  ctx: HeraldContext,
  dispatchId: number,
  options: { flows: FlowProducer; startSocial?: SocialStarter },
): Promise<'started' | 'not-startable'> {
  const claimed = await transitionDispatch(ctx.db, dispatchId, TRANSITIONS.start.from, TRANSITIONS.start.to, 'scheduler');
  // A start job re-run after a crash finds the dispatch already running: it queues the channel steps again, which
  // is harmless (fixed job ids, and every step re-reads its rows), and it is what keeps a crash here from losing them.
  const dispatch = claimed ?? (await findDispatch(ctx.db, dispatchId));
  if (!dispatch || dispatch.status !== 'running') return 'not-startable';
  if (claimed) ctx.log.info({ event: 'dispatch.started', dispatchId, channels: dispatch.channels }, 'dispatch started');

  if (dispatch.channels.includes('email')) {
    await queueEmailEdition(options.flows, dispatchId);
  }
  const social = dispatch.channels.filter((c) => c !== 'email');
  if (social.length > 0 && options.startSocial) await options.startSocial(ctx, dispatchId, social);
  return 'started';
}
