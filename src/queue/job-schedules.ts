// The job schedulers Herald keeps in Redis (two digest runs, one poll per watched feed). They live only in Redis, so a
// Redis that came back empty would never fire a digest again: the queue reconciler calls this on every pass, in every
// process (an API-only process may be the one that wins the pass lock), and it writes the schedulers back only when one
// is missing (rewriting a present one could move its next run).
import type { Queue } from 'bullmq';
import type { HeraldContext } from '../context.js';
import { DIGEST_SCHEDULER_IDS, scheduleDigests } from '../digest/digest-scheduler.js';
import { feedSchedulerId, scheduleFeeds } from '../feeds/feed-scheduler.js';

async function anyMissing(queue: Queue, ids: string[]): Promise<boolean> {
  for (const id of ids) if (!(await queue.getJobScheduler(id))) return true;
  return false;
}

/** Restores the schedulers Redis lost; resolves with how many groups (digests, feeds) were written back. */
export async function restoreMissingSchedules(ctx: HeraldContext): Promise<number> {
  const { config, queues } = ctx;
  let restored = 0;
  if (await anyMissing(queues.digest, Object.values(DIGEST_SCHEDULER_IDS))) {
    await scheduleDigests(queues.digest, config);
    restored++;
  }
  if (await anyMissing(queues.feed, config.HERALD_FEEDS.map(feedSchedulerId))) {
    await scheduleFeeds(queues.feed, config.HERALD_FEEDS, config.HERALD_FEED_INTERVAL_SECONDS);
    restored++;
  }
  return restored;
}
