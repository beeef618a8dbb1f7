// Reads one social post's metrics back from its network and stores them as that read (1h, 24h or 7d): re-reads the
// delivery, asks the channel, upserts the row. A repeated job overwrites its own read with newer numbers, no harm.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { findDelivery } from '../delivery/delivery-repository.js';
import { DeliveryFailure, RateLimited } from '../delivery/failure.js';
import type { Network } from './channel.js';
import type { Engagement, EngagementReadName } from './engagement.js';
import { isNetwork } from './networks.js';
import type { SocialAccounts } from './social-accounts.js';

/** What the worker does next; mapped onto BullMQ in workers/engagement-worker.ts. */
export type EngagementOutcome =
  /** Stored (`ok` or `not_available`), or nothing to read (no post, no credentials here). */
  | { kind: 'done'; stored?: 'ok' | 'not_available' }
  /** The network said "slow down": look again at its reset, no attempt spent. */
  | { kind: 'rate_limited'; resetAt: Date }
  /** A temporary failure: retry with backoff. */
  | { kind: 'retry'; reason: string };

export class EngagementReader {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly accounts: SocialAccounts,
    private readonly log: Logger,
  ) {}

  async read(deliveryId: number, read: EngagementReadName): Promise<EngagementOutcome> {
    const delivery = await findDelivery(this.db, deliveryId);
    // Only a post that went out has metrics; a retracted one is gone from the network.
    if (!delivery?.remoteId || delivery.status !== 'sent' || !isNetwork(delivery.channel) || delivery.retraction) return { kind: 'done' };
    const network = delivery.channel as Network;
    const { channel } = this.accounts.get(network);
    if (!channel?.engagement) return { kind: 'done' };
    let engagement: Engagement;
    try {
      engagement = await channel.engagement(delivery.remoteId);
    } catch (error) {
      if (error instanceof RateLimited) return { kind: 'rate_limited', resetAt: error.resetAt };
      if (!(error instanceof DeliveryFailure)) throw error;
      if (error.kind === 'transient' || error.kind === 'uncertain') return { kind: 'retry', reason: error.describe() };
      // Refused for good (the post was deleted, a permission is missing): kept as the reason there are no numbers.
      engagement = { available: false, reason: error.describe() };
    }
    await this.store(deliveryId, read, engagement);
    this.log.info({ event: 'social.engagement_read', deliveryId, network, read, available: engagement.available }, 'post metrics read');
    return { kind: 'done', stored: engagement.available ? 'ok' : 'not_available' };
  }

  private async store(deliveryId: number, read: EngagementReadName, engagement: Engagement): Promise<void> {
    const row = engagement.available
      ? { status: 'ok' as const, metrics: JSON.stringify(engagement.metrics), note: null }
      : { status: 'not_available' as const, metrics: '{}', note: engagement.reason.slice(0, 1000) };
    await this.db
      .insertInto('socialEngagement')
      .values({ deliveryId, read, ...row })
      .onConflict((oc) => oc.columns(['deliveryId', 'read']).doUpdateSet({ ...row, readAt: sql<Date>`now()` }))
      .execute();
  }
}
