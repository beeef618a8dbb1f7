// A dispatch's social side: one delivery per network (composed now, stored with its text), one job per postable one.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { findArticle } from '../articles/article-repository.js';
import type { Database } from '../db/schema.js';
import { findDispatch } from '../dispatch/dispatch-repository.js';
import { queueSocialPost } from '../dispatch/step-jobs.js';
import type { Queues } from '../queue/queues.js';
import type { Network } from './channel.js';
import { isNetwork } from './networks.js';
import { deliveryText } from './delivery-post.js';
import type { SocialAccounts } from './social-accounts.js';
import { insertSocialDeliveries, type NewSocialDelivery } from './social-deliveries.js';

/** What a job on the `social` queue carries: ids only; the worker re-reads the row. */
export interface SocialJobData {
  dispatchId: number;
  deliveryId: number;
  network: Network;
}

/** What starting the social side needs: the rows, the queue for posts, and the accounts to compose for. */
export interface SocialStartDeps {
  db: Kysely<Database>;
  queues: Queues;
  social: SocialAccounts;
  log: Logger;
}

/**
 * Safe to run again (a start job re-run after a crash): existing rows are kept as they are, and a job is queued
 * only for rows still waiting, under a fixed job id.
 */
export async function startSocialDispatch(ctx: SocialStartDeps, dispatchId: number, channels: string[]): Promise<void> {
  const dispatch = await findDispatch(ctx.db, dispatchId);
  if (!dispatch) return;
  const article = await findArticle(ctx.db, dispatch.articleId);
  if (!article) throw new Error(`article ${dispatch.articleId} of dispatch ${dispatchId} is missing`);

  const rows: NewSocialDelivery[] = [];
  for (const network of channels.filter(isNetwork)) {
    const { account, channel, missing } = ctx.social.get(network);
    const override = dispatch.socialTexts[network];
    const text = deliveryText(article, network, { limit: await ctx.social.limit(network), override, threadArticles: ctx.social.threadArticles });
    const row = { dispatchId, channel: network, recipient: account };
    if (!text.ok) {
      rows.push({ ...row, status: 'failed', content: override ?? null, lastResponse: text.reason });
    } else if (!channel) {
      rows.push({ ...row, status: 'preview', content: text.text, lastResponse: `preview mode: set ${missing.join(', ')} to post` });
    } else {
      rows.push({ ...row, status: 'pending', content: text.text, lastResponse: null });
    }
  }

  const stored = await insertSocialDeliveries(ctx.db, dispatchId, rows, 'scheduler');
  for (const row of stored) {
    // `sending` too: its job must run to settle a post interrupted by a crash (src/social/social-poster.ts).
    if (row.status !== 'pending' && row.status !== 'sending') continue;
    await queueSocialPost(ctx.queues, { dispatchId, deliveryId: row.id, network: row.channel as Network }, dispatch.priority);
  }
  ctx.log.info(
    { event: 'social.started', dispatchId, posts: stored.map((r) => ({ channel: r.channel, status: r.status })) },
    'social posts composed',
  );
}
