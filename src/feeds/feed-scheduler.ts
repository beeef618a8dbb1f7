// One BullMQ job scheduler per feed in HERALD_FEEDS, firing every HERALD_FEED_INTERVAL_SECONDS; schedulers of
// feeds no longer configured are removed. Every worker process may run this: the last write wins, nothing doubles.
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';

export const FEED_JOB = 'poll';
const SCHEDULER_PREFIX = 'feed-';

export interface FeedJobData {
  url: string;
}

export const feedSchedulerId = (url: string) => `${SCHEDULER_PREFIX}${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;

export async function scheduleFeeds(queue: Queue, urls: string[], intervalSeconds: number): Promise<void> {
  const wanted = new Set(urls.map(feedSchedulerId));
  for (const url of urls) {
    const data: FeedJobData = { url };
    await queue.upsertJobScheduler(
      feedSchedulerId(url),
      { every: intervalSeconds * 1000 },
      // No retries: the next poll is the retry.
      { name: FEED_JOB, data, opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } } },
    );
  }
  for (const scheduler of await queue.getJobSchedulers()) {
    const id = scheduler.id ?? scheduler.key;
    if (id.startsWith(SCHEDULER_PREFIX) && !wanted.has(id)) await queue.removeJobScheduler(id);
  }
}
