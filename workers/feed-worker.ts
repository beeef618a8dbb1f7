// Worker for the feed queue: keeps one scheduler per configured feed and polls a feed when its scheduler fires.
import { Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { scheduleFeeds, type FeedJobData } from '../src/feeds/feed-scheduler.js';
import { pollFeed } from '../src/feeds/feed-watcher.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import { reportWorkerErrors, workerOptions } from './worker-options.js';

const FEED_TIMEOUT_MS = 20_000;
const FEED_MAX_BYTES = 10 * 1024 * 1024;

export async function startFeedWorker(ctx: HeraldContext): Promise<Worker> {
  const { config } = ctx;
  const log = ctx.log.child({ component: 'feed-worker' });
  // Also run with no feeds configured: it removes the schedulers of feeds taken out of HERALD_FEEDS.
  await scheduleFeeds(ctx.queues.feed, config.HERALD_FEEDS, config.HERALD_FEED_INTERVAL_SECONDS);

  const processor = async (job: Job<FeedJobData>) => {
    const result = await pollFeed(ctx.db, job.data.url, {
      timeoutMs: FEED_TIMEOUT_MS,
      maxBytes: FEED_MAX_BYTES,
      log,
      fetcher: ctx.fetcher,
      publish: async (input, cause) => {
        const outcome = await ctx.editorial.publish(input, cause);
        return { articleId: outcome.article.id, created: outcome.kind === 'published' };
      },
    });
    log.debug({ event: 'feed.polled', feed: job.data.url, ...result }, 'feed polled');
    return result;
  };

  const worker = new Worker<FeedJobData>(QUEUE_NAMES.feed, processor, workerOptions(ctx, 2));
  worker.on('failed', (job, error) =>
    log.warn({ event: 'feed.poll_failed', feed: job?.data.url, err: error }, 'feed poll failed; the next poll tries again'),
  );
  reportWorkerErrors(worker, log, 'feed');
  return worker;
}
