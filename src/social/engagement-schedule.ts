// Queues a posted delivery's three metric reads (about 1 h, 24 h and 7 days after posting) as delayed jobs under
// fixed ids: queuing them again (a repeated post job) adds nothing.
import type { Queues } from '../queue/queues.js';
import { jobIds } from '../queue/queues.js';
import type { Network } from './channel.js';
import { ENGAGEMENT_READS, type EngagementRead, type EngagementReadName } from './engagement.js';

/** What a job on the `engagement` queue carries: ids only; the worker re-reads the delivery. */
export interface EngagementJobData {
  deliveryId: number;
  network: Network;
  read: EngagementReadName;
}

export const ENGAGEMENT_JOB = 'read';

export async function scheduleEngagementReads(
  queues: Pick<Queues, 'engagement'>,
  deliveryId: number,
  network: Network,
  postedAt: Date,
  now = Date.now(),
  reads: readonly EngagementRead[] = ENGAGEMENT_READS,
): Promise<void> {
  await queues.engagement.addBulk(reads.map(({ read, afterMs }) => ({
    name: ENGAGEMENT_JOB,
    data: { deliveryId, network, read } satisfies EngagementJobData,
    opts: {
      jobId: jobIds.engagement(deliveryId, read),
      delay: Math.max(0, postedAt.getTime() + afterMs - now),
      // A read is worth less than a post: a network that keeps failing is given up on sooner.
      attempts: 5,
      backoff: { type: 'exponential', delay: 60_000 },
    },
  })));
}
