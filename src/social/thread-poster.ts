// Posts a delivery's thread part by part, each a reply to the one before, recording every part's id before the next.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, PostPartRow } from '../db/schema.js';
import { DeliveryFailure, UncertainOutcome } from '../delivery/failure.js';
import type { Network, PostRef, SocialChannel, SocialPost } from './channel.js';
import { measure } from './length.js';
import { networkDefinition } from './networks.js';
import { listThreadParts, markPartPending, markPartPosted, markPartSending, planThreadParts } from './thread-parts.js';
import { splitThread } from './thread-split.js';

export type ThreadPlan =
  /** One post will do: the single-post path. */
  | { kind: 'single' }
  | { kind: 'thread'; parts: PostPartRow[] }
  | { kind: 'impossible'; reason: string };

/** Each part has its own key, so a part re-posted after a crash is answered with the first one (Mastodon). */
export const partIdempotencyKey = (deliveryKey: string, position: number) => `${deliveryKey}-part-${position}`;

/**
 * Whether this delivery is a thread, and its parts. The parts a first attempt stored win (a resume keeps its split);
 * otherwise a network that threads splits a text over its live limit. Writes the parts, so call after the claim.
 */
export async function planThread(
  db: Kysely<Database>,
  deliveryId: number,
  network: Network,
  text: string,
  limitOf: () => Promise<number>,
): Promise<ThreadPlan> {
  const stored = await listThreadParts(db, deliveryId);
  if (stored.length > 0) return { kind: 'thread', parts: stored };
  if (!networkDefinition(network).capabilities.threads) return { kind: 'single' };
  const limit = await limitOf();
  if (measure(network, text, { limit }).fits) return { kind: 'single' };
  const split = splitThread(network, text, limit);
  if (!split.ok) return { kind: 'impossible', reason: `thread_split: ${split.message}` };
  if (split.parts.length === 1) return { kind: 'single' };
  return { kind: 'thread', parts: await planThreadParts(db, deliveryId, split.parts) };
}

export type ThreadResult =
  | { ok: true; first: PostRef & { remoteUrl?: string }; imageSkipped?: string }
  /** Part `position` failed; the parts before it are posted and recorded. */
  | { ok: false; failure: DeliveryFailure; position: number };

/**
 * Sends the parts not posted yet, in order. A part left `sending` by a crash is sent again only when the settle
 * rule allowed it (the network remembers the part's key); otherwise the delivery never gets here.
 */
export async function postThread(
  db: Kysely<Database>,
  channel: SocialChannel,
  deliveryId: number,
  post: SocialPost,
  parts: PostPartRow[],
  deliveryKey: string,
  log: Logger,
): Promise<ThreadResult> {
  let root: PostRef | undefined;
  let parent: PostRef | undefined;
  let first: (PostRef & { remoteUrl?: string }) | undefined;
  let imageSkipped: string | undefined;
  for (const part of parts) {
    if (part.state === 'posted' || part.state === 'deleted') {
      const ref = { remoteId: part.remoteId!, cid: part.remoteCid ?? undefined };
      root ??= ref;
      first ??= { ...ref, remoteUrl: part.remoteUrl ?? undefined };
      parent = ref;
      continue;
    }
    await markPartSending(db, deliveryId, part.position);
    let result;
    try {
      result = await channel.post(
        // The image and the card belong to the post that starts the thread.
        part.position === 1 ? { ...post, text: part.text } : { ...post, text: part.text, image: undefined },
        {
          idempotencyKey: partIdempotencyKey(deliveryKey, part.position),
          ...(root && parent ? { replyTo: { root, parent } } : {}),
        },
      );
    } catch (error) {
      const failure = asFailure(channel.network, error);
      // Refused or never sent: nothing landed, so the part waits for the retry. Uncertain: it stays `sending`.
      if (failure.kind !== 'uncertain') await markPartPending(db, deliveryId, part.position);
      return { ok: false, failure, position: part.position };
    }
    await markPartPosted(db, deliveryId, part.position, result);
    log.info({ event: 'social.part_posted', deliveryId, network: channel.network, position: part.position, of: parts.length, remoteId: result.remoteId }, 'thread part posted');
    const ref = { remoteId: result.remoteId, cid: result.cid };
    root ??= ref;
    first ??= { ...ref, remoteUrl: result.remoteUrl };
    imageSkipped ??= result.imageSkipped;
    parent = ref;
  }
  return { ok: true, first: first!, ...(imageSkipped ? { imageSkipped } : {}) };
}

function asFailure(network: Network, error: unknown): DeliveryFailure {
  if (error instanceof DeliveryFailure) return error;
  return new UncertainOutcome(`${network} post failed unexpectedly: ${String((error as Error)?.message ?? error)}`, 'unexpected_error');
}
