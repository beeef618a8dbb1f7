// Deletes one retracted social post on its network: re-reads the row, deletes by the id Herald recorded, records the outcome.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, DeliveryRow, PostPartRow, Retraction } from '../db/schema.js';
import { findDelivery } from '../delivery/delivery-repository.js';
import { DeliveryFailure, type RateLimited, UncertainOutcome } from '../delivery/failure.js';
import type { Network } from './channel.js';
import { isNetwork, networkDefinition } from './networks.js';
import type { SocialAccounts } from './social-accounts.js';
import { settleRetraction } from './social-retractions.js';
import { listThreadParts, markPartDeleted } from './thread-parts.js';

/** What the worker does next; mapped onto BullMQ in workers/social-worker.ts. */
export type RetractOutcome =
  /** Settled (retracted, not posted, still live for good) or not this job's to do any more. */
  | { kind: 'done'; retraction: Retraction | null | 'missing' }
  /** The post is still being posted: look again shortly, then delete it. */
  | { kind: 'wait' }
  /** Still live for now (a transient failure): retry with backoff. */
  | { kind: 'retry'; reason: string }
  /** Still live: try again at the network's reset. */
  | { kind: 'rate_limited'; resetAt: Date; reason: string };

export class SocialRetractor {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly accounts: SocialAccounts,
    private readonly log: Logger,
  ) {}

  /** `finalAttempt`: a transient failure now leaves the post live for good instead of asking for a retry. */
  async retract(deliveryId: number, { finalAttempt }: { finalAttempt: boolean }): Promise<RetractOutcome> {
    const delivery = await findDelivery(this.db, deliveryId);
    if (!delivery) return { kind: 'done', retraction: 'missing' };
    if (delivery.retraction !== 'pending') return { kind: 'done', retraction: delivery.retraction };
    // The post's own job is finishing it (or settling a crash): its outcome, not a guess, decides.
    if (delivery.status === 'sending') return { kind: 'wait' };
    const parts = await listThreadParts(this.db, deliveryId);
    if (parts.length > 0) return this.retractThread(delivery, parts, finalAttempt);
    if (delivery.status === 'uncertain' && !delivery.remoteId) {
      return this.settle(delivery, 'live', 'the post may have gone out, but Herald has no id to delete it by: check the account');
    }
    if (delivery.status !== 'sent' || !delivery.remoteId) return this.settle(delivery, 'not_posted', null);

    const network = delivery.channel as Network;
    const channel = await this.deletingChannel(delivery, finalAttempt);
    if (!('delete' in channel)) return channel;
    try {
      await channel.delete(delivery.remoteId);
    } catch (error) {
      return this.onFailure(delivery, asFailure(network, error), finalAttempt);
    }
    this.log.info({ event: 'social.retracted', deliveryId, network, remoteId: delivery.remoteId }, 'post deleted');
    return this.settle(delivery, 'retracted', null);
  }

  /** The channel that deletes this delivery's post, or the outcome when there is none (the network cannot, or no credentials). */
  private async deletingChannel(delivery: DeliveryRow, finalAttempt: boolean): Promise<{ delete: (remoteId: string) => Promise<void> } | RetractOutcome> {
    const network = delivery.channel as Network;
    if (!isNetwork(network) || !networkDefinition(network).capabilities.delete) {
      return this.settle(delivery, 'live', `${delivery.channel} lets no app delete a post: delete it by hand`);
    }
    const { channel } = this.accounts.get(network);
    if (!channel?.delete) {
      const reason = `not_configured: this worker has no ${network} credentials`;
      return finalAttempt ? this.settle(delivery, 'live', reason) : this.waitWith(delivery, { kind: 'retry', reason });
    }
    return { delete: (remoteId) => channel.delete!(remoteId) };
  }

  /**
   * A thread: every part with an id is deleted, the last first (no reply is left hanging under a deleted post while
   * this runs), each recorded as deleted so a retried job carries on where it stopped. Whatever its delivery's status:
   * a thread that failed at part 3 still has parts 1 and 2 out there.
   */
  private async retractThread(delivery: DeliveryRow, parts: PostPartRow[], finalAttempt: boolean): Promise<RetractOutcome> {
    const network = delivery.channel as Network;
    const posted = parts.filter((p) => p.state === 'posted').reverse();
    // Sent without an answer (a crash, a timeout): it may be out there, and Herald has no id to delete it by.
    const unknown = parts.find((p) => p.state === 'sending');
    const unknownNote = unknown && `part ${unknown.position} of ${parts.length} may have gone out, but Herald has no id to delete it by: check the account`;
    if (posted.length === 0) {
      if (unknown) return this.settle(delivery, 'live', unknownNote!);
      const anyDeleted = parts.some((p) => p.state === 'deleted');
      return this.settle(delivery, anyDeleted ? 'retracted' : 'not_posted', null);
    }
    const channel = await this.deletingChannel(delivery, finalAttempt);
    if (!('delete' in channel)) return channel;
    for (const part of posted) {
      try {
        await channel.delete(part.remoteId!);
      } catch (error) {
        const failure = asFailure(network, error);
        // Gone already (deleted by hand): what the retraction wanted; on to the next part.
        if (!failure.code.endsWith('_404')) return this.onFailure(delivery, failure, finalAttempt);
      }
      await markPartDeleted(this.db, delivery.id, part.position);
      this.log.info({ event: 'social.retracted', deliveryId: delivery.id, network, remoteId: part.remoteId, position: part.position }, 'thread part deleted');
    }
    if (unknown) return this.settle(delivery, 'live', `the other parts are deleted; ${unknownNote}`);
    return this.settle(delivery, 'retracted', null);
  }

  /** The job gave up (attempts used up, an unexpected error): the post stays live, and the row says why. */
  async giveUp(deliveryId: number, reason: string): Promise<void> {
    const delivery = await findDelivery(this.db, deliveryId);
    if (delivery?.retraction === 'pending') await this.settle(delivery, 'live', `gave up: ${delivery.retractionNote ?? reason}`);
  }

  private async onFailure(delivery: DeliveryRow, failure: DeliveryFailure, finalAttempt: boolean): Promise<RetractOutcome> {
    const reason = `${failure.code}: ${failure.response ?? failure.message}`;
    // Gone already (deleted by hand on the network, say): what the retraction wanted.
    if (failure.code.endsWith('_404')) return this.settle(delivery, 'retracted', `already gone (${reason})`);
    this.log.warn({ event: 'social.retract_failed', deliveryId: delivery.id, network: delivery.channel, code: failure.code, reason }, 'post not deleted');
    switch (failure.kind) {
      case 'rate_limited':
        return this.waitWith(delivery, { kind: 'rate_limited', resetAt: (failure as RateLimited).resetAt, reason });
      case 'transient':
      case 'uncertain': // a delete repeated does no harm
        return finalAttempt ? this.settle(delivery, 'live', reason) : this.waitWith(delivery, { kind: 'retry', reason });
      case 'permanent_address':
      case 'permanent_policy':
        return this.settle(delivery, 'live', reason);
    }
  }

  /** Still pending, with why it is still live, so the editor sees it while it waits. */
  private async waitWith(delivery: DeliveryRow, outcome: Extract<RetractOutcome, { reason: string }>): Promise<RetractOutcome> {
    await settleRetraction(this.db, delivery.id, 'pending', outcome.reason, 'worker');
    return outcome;
  }

  private async settle(delivery: DeliveryRow, to: Retraction, note: string | null): Promise<RetractOutcome> {
    if (to === 'live') this.log.warn({ event: 'social.still_live', deliveryId: delivery.id, network: delivery.channel, note }, 'retracted post still live');
    await settleRetraction(this.db, delivery.id, to, note, 'worker');
    return { kind: 'done', retraction: to };
  }
}

/** Adapters throw DeliveryFailures only; anything else is unexpected, and a delete can safely be tried again. */
function asFailure(network: Network, error: unknown): DeliveryFailure {
  if (error instanceof DeliveryFailure) return error;
  return new UncertainOutcome(`${network} delete failed unexpectedly: ${String((error as Error)?.message ?? error)}`, 'unexpected_error');
}
