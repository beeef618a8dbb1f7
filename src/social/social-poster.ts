// Posts one social delivery: re-reads its row, settles a post a crash interrupted, claims it, posts, records the outcome.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { findArticle } from '../articles/article-repository.js';
import type { Database, DeliveryRow, DeliveryStatus } from '../db/schema.js';
import { findDelivery, moveDelivery } from '../delivery/delivery-repository.js';
import { DeliveryFailure, RateLimited, UncertainOutcome } from '../delivery/failure.js';
import { findDispatch } from '../dispatch/dispatch-repository.js';
import type { Metrics } from '../runtime/metrics.js';
import type { PostPartRow } from '../db/schema.js';
import type { Network, PostResult, SocialChannel, SocialPost } from './channel.js';
import { PostCompositionError } from './compose.js';
import { socialPostFor } from './delivery-post.js';
import { isNetwork, networkDefinition } from './networks.js';
import type { SocialAccounts } from './social-accounts.js';
import { listThreadParts } from './thread-parts.js';
import { planThread, postThread } from './thread-poster.js';

/** What the worker does next; mapped onto BullMQ in workers/social-worker.ts. */
export type PostOutcome =
  /** Nothing (more) to do: the row is final, or another worker holds it. */
  | { kind: 'done'; status: DeliveryStatus | 'missing' }
  | { kind: 'sent'; remoteId: string; remoteUrl?: string }
  /** Final without a post (permanent refusal, attempts used up): fail the job without retrying. */
  | { kind: 'failed'; reason: string }
  /** May have been published: held for an editor, never re-posted. */
  | { kind: 'uncertain'; reason: string }
  /** Back to pending: retry with backoff. */
  | { kind: 'retry'; reason: string }
  /** Back to pending, attempt refunded: try again at `resetAt`. */
  | { kind: 'rate_limited'; resetAt: Date; reason: string }
  /** The dispatch is paused: look again later. */
  | { kind: 'paused' };

/** Deterministic per delivery: the same delivery always sends the same key. */
export const idempotencyKeyFor = (deliveryId: number) => `herald-delivery-${deliveryId}`;

export class SocialPoster {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly accounts: SocialAccounts,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** `finalAttempt`: a transient failure now fails the delivery instead of asking for a retry. */
  async post(deliveryId: number, { finalAttempt }: { finalAttempt: boolean }): Promise<PostOutcome> {
    let delivery = await findDelivery(this.db, deliveryId);
    if (!delivery) return { kind: 'done', status: 'missing' };
    if (delivery.status === 'sending') delivery = await this.settleInterrupted(delivery);
    if (delivery.status !== 'pending') return { kind: 'done', status: delivery.status };

    const dispatch = await findDispatch(this.db, delivery.dispatchId);
    if (dispatch?.status === 'paused') return { kind: 'paused' };
    if (dispatch?.status === 'cancelled') {
      // Cancelled (or retracted) after this row was written: it must not go out.
      await moveDelivery(this.db, deliveryId, { from: ['pending'], to: 'cancelled', cause: 'dispatch-cancelled' });
      return { kind: 'done', status: 'cancelled' };
    }
    const network = delivery.channel as Network;
    const { channel } = this.accounts.get(network);
    if (!channel) {
      // A worker configured differently from the one that started the dispatch: another one may post it.
      const reason = `not_configured: this worker has no ${network} credentials`;
      return finalAttempt ? this.finish(delivery, 'pending', 'failed', reason) : { kind: 'retry', reason };
    }
    const article = dispatch && (await findArticle(this.db, dispatch.articleId));
    if (!article) return this.finish(delivery, 'pending', 'failed', 'the article of this dispatch is missing');
    let post;
    try {
      post = socialPostFor(article, network, delivery.content ?? '');
    } catch (error) {
      if (!(error instanceof PostCompositionError)) throw error;
      return this.finish(delivery, 'pending', 'failed', `${error.code}: ${error.message}`);
    }

    // A text over the network's limit goes out as a thread; its parts are fixed by the first attempt (thread-poster.ts).
    const plan = await planThread(this.db, deliveryId, network, post.text, () => this.accounts.limit(network));
    if (plan.kind === 'impossible') return this.finish(delivery, 'pending', 'failed', plan.reason);

    // The claim: of two workers holding the same job (a stalled one came back), only one moves the row.
    const claimed = await moveDelivery(this.db, deliveryId, {
      from: ['pending'],
      to: 'sending',
      cause: 'worker',
      set: { attempts: sql<number>`attempts + 1` },
    });
    if (!claimed) return { kind: 'done', status: (await findDelivery(this.db, deliveryId))?.status ?? 'missing' };

    if (plan.kind === 'thread') return this.postParts(claimed, channel, post, plan.parts, finalAttempt);
    let result;
    try {
      result = await channel.post(post, { idempotencyKey: idempotencyKeyFor(deliveryId) });
    } catch (error) {
      return this.onFailure(claimed, asDeliveryFailure(network, error), finalAttempt);
    }
    return this.recordSent(claimed, result);
  }

  /** A thread: every part not posted yet, then the delivery `sent` under the first part's id (the thread's start). */
  private async postParts(
    delivery: DeliveryRow,
    channel: SocialChannel,
    post: SocialPost,
    parts: PostPartRow[],
    finalAttempt: boolean,
  ): Promise<PostOutcome> {
    const result = await postThread(this.db, channel, delivery.id, post, parts, idempotencyKeyFor(delivery.id), this.log);
    if (!result.ok) {
      const posted = result.position === 2 ? '; part 1 is posted' : result.position > 2 ? `; parts 1–${result.position - 1} are posted` : '';
      return this.onFailure(delivery, result.failure, finalAttempt, `part ${result.position} of ${parts.length}${posted}`);
    }
    return this.recordSent(delivery, { remoteId: result.first.remoteId, remoteUrl: result.first.remoteUrl, imageSkipped: result.imageSkipped });
  }

  private async recordSent(delivery: DeliveryRow, result: PostResult): Promise<PostOutcome> {
    const deliveryId = delivery.id;
    const network = delivery.channel;
    this.log.info({ event: 'social.posted', deliveryId, network, remoteId: result.remoteId }, 'posted');
    try {
      // From `uncertain` too: a worker the crash rule gave up on may still finish, and then the post is known.
      await moveDelivery(this.db, deliveryId, {
        from: ['sending', 'uncertain'],
        to: 'sent',
        cause: 'worker',
        set: {
          remoteId: result.remoteId,
          remoteUrl: result.remoteUrl ?? null,
          lastResponse: result.imageSkipped ? `posted without the image: ${result.imageSkipped}`.slice(0, 1000) : null,
        },
      });
    } catch (error) {
      // The post is out; if this record is lost the row stays `sending` and the crash rule applies. Log what we know.
      this.log.error({ event: 'social.record_failed', deliveryId, network, remoteId: result.remoteId, remoteUrl: result.remoteUrl, err: error },
        'posted, but the result could not be stored');
      throw error;
    }
    this.metrics?.deliveries.inc({ channel: network, status: 'sent' });
    return { kind: 'sent', remoteId: result.remoteId, remoteUrl: result.remoteUrl };
  }

  /** The job gave up (attempts used up, or an unexpected error on its last try): nothing is left waiting. */
  async giveUp(deliveryId: number, reason: string): Promise<void> {
    const delivery = await findDelivery(this.db, deliveryId);
    if (delivery?.status === 'pending') await this.finish(delivery, 'pending', 'failed', `gave up: ${reason}`);
    if (delivery?.status === 'sending') await this.finish(delivery, 'sending', 'uncertain', `gave up mid-post: ${reason}`);
  }

  /**
   * A row still `sending` when its job starts: the worker that claimed it died mid-post (its job lock expired and
   * BullMQ handed the job on). Whether the post went out is unknown. A network that remembers Idempotency-Keys
   * (Mastodon, for an hour): back to pending and post again, since the same key makes it answer with the first post
   * instead of a second one (while it remembers the key). Every other network: `uncertain`, for an editor to check
   * the account and resolve.
   */
  private async settleInterrupted(delivery: DeliveryRow): Promise<DeliveryRow> {
    const keyMemoryMs = isNetwork(delivery.channel) ? networkDefinition(delivery.channel).capabilities.idempotencyKeyMemoryMs : undefined;
    const remembers = (since: Date) => keyMemoryMs !== undefined && Date.now() - since.getTime() < keyMemoryMs;
    const parts = await listThreadParts(this.db, delivery.id);
    let repost = remembers(delivery.updatedAt);
    let reason = repost
      ? 'interrupted mid-post: posting again with the same Idempotency-Key'
      : 'interrupted mid-post: the worker stopped while posting, so it may have been published; check the account';
    if (parts.length > 0) {
      // A thread: every part before the one in flight is recorded. No part in flight (the crash fell between parts):
      // nothing is in doubt, resume. One in flight: as a single post, by whether the network remembers its key.
      const inFlight = parts.find((p) => p.state === 'sending');
      const next = parts.find((p) => p.state === 'pending');
      const of = `of ${parts.length}`;
      repost = !inFlight || remembers(inFlight.updatedAt);
      reason = !inFlight
        ? next
          ? `interrupted mid-thread: resuming at part ${next.position} ${of}`
          : `interrupted mid-thread: all ${parts.length} parts are posted, recording the thread`
        : repost
          ? `interrupted mid-thread: posting part ${inFlight.position} ${of} again with the same Idempotency-Key`
          : `interrupted mid-thread: part ${inFlight.position} ${of} may have been published (the parts before it are recorded); check the account`;
    }
    const to = repost ? 'pending' : 'uncertain';
    this.log.warn({ event: 'social.interrupted', deliveryId: delivery.id, network: delivery.channel, to }, reason);
    const moved = await moveDelivery(this.db, delivery.id, {
      from: ['sending'],
      to,
      cause: 'crash-recovery',
      set: { lastResponse: reason },
    });
    if (moved && to === 'uncertain') {
      this.metrics?.deliveries.inc({ channel: delivery.channel, status: 'uncertain' });
    }
    return moved ?? (await findDelivery(this.db, delivery.id)) ?? delivery;
  }

  /** `where`: which part of a thread failed, said before the reason. */
  private async onFailure(delivery: DeliveryRow, failure: DeliveryFailure, finalAttempt: boolean, where?: string): Promise<PostOutcome> {
    const reason = `${where ? `${where}: ` : ''}${failure.code}: ${failure.message}`.slice(0, 1000);
    const log = { deliveryId: delivery.id, network: delivery.channel, code: failure.code, reason };
    switch (failure.kind) {
      case 'rate_limited': {
        const { resetAt } = failure as RateLimited;
        this.log.warn({ event: 'social.rate_limited', ...log, resetAt }, 'rate limited; waiting until the reset');
        // Back in line without spending an attempt: the network refused to look at the post at all.
        await moveDelivery(this.db, delivery.id, {
          from: ['sending'],
          to: 'pending',
          cause: failure.code,
          set: { lastResponse: reason, failure: failure.kind, attempts: sql<number>`greatest(attempts - 1, 0)` },
          detail: { resetAt: resetAt.toISOString() },
        });
        return { kind: 'rate_limited', resetAt, reason };
      }
      case 'transient':
        if (finalAttempt) return this.finish(delivery, 'sending', 'failed', `gave up after ${delivery.attempts} attempts: ${reason}`);
        this.log.warn({ event: 'social.retry', ...log }, 'temporary failure; retrying with backoff');
        await moveDelivery(this.db, delivery.id, { from: ['sending'], to: 'pending', cause: failure.code, set: { lastResponse: reason, failure: failure.kind } });
        return { kind: 'retry', reason };
      case 'permanent_address':
      case 'permanent_policy':
        return this.finish(delivery, 'sending', 'failed', reason, failure.code);
      case 'uncertain':
        return this.finish(delivery, 'sending', 'uncertain', reason, failure.code);
    }
  }

  /** A final status: recorded, counted, and the dispatch completed if this was its last open delivery. */
  private async finish(
    delivery: DeliveryRow,
    from: DeliveryStatus,
    to: 'failed' | 'uncertain',
    reason: string,
    cause = 'worker',
  ): Promise<PostOutcome> {
    this.log.warn({ event: `social.${to}`, deliveryId: delivery.id, network: delivery.channel, reason }, `post ${to}`);
    const moved = await moveDelivery(this.db, delivery.id, { from: [from], to, cause, set: { lastResponse: reason } });
    if (moved) this.metrics?.deliveries.inc({ channel: delivery.channel, status: to });
    return to === 'failed' ? { kind: 'failed', reason } : { kind: 'uncertain', reason };
  }
}

/** Adapters throw DeliveryFailures only; anything else came from after the request may have left: assume it landed. */
function asDeliveryFailure(network: Network, error: unknown): DeliveryFailure {
  if (error instanceof DeliveryFailure) return error;
  return new UncertainOutcome(`${network} post failed unexpectedly: ${String((error as Error)?.message ?? error)}`, 'unexpected_error');
}
