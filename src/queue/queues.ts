// The BullMQ queues Herald uses, all under one prefix (default `{herald}`: one hash slot on Redis Cluster).
import { Queue, type ConnectionOptions, type DefaultJobOptions, type RepeatStrategy } from 'bullmq';

export const QUEUE_NAMES = {
  /**
   * One `start` job per dispatch (delayed until its scheduled time); render and fan-out of its email edition; one
   * `wave` job per wave of a local-time dispatch (delayed until the wave's instant).
   */
  dispatch: 'dispatch',
  /** Batches of a few hundred email deliveries; rate-limited as a whole when the SMTP server pushes back. */
  emailBatch: 'email-batch',
  /** One job per (dispatch, social account). */
  social: 'social',
  /** Daily and weekly digest runs, fired by two job schedulers (src/digest/digest-scheduler.ts). */
  digest: 'digest',
  /** One job scheduler per watched RSS/Atom feed (src/feeds/feed-scheduler.ts). */
  feed: 'feed',
  /** One job per outbound webhook delivery (src/webhooks/webhook-relay.ts). */
  webhook: 'webhook',
  /** Three delayed jobs per social post: its metrics read back at about 1 h, 24 h and 7 days (src/social/engagement-schedule.ts). */
  engagement: 'engagement',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000 },
  // Completed jobs stay a while so a repeated add with the same job id is a no-op, then go, so Redis stays small.
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export interface Queues {
  dispatch: Queue;
  emailBatch: Queue;
  social: Queue;
  digest: Queue;
  feed: Queue;
  webhook: Queue;
  engagement: Queue;
  all(): Queue[];
  close(): Promise<void>;
}

export function createQueues(connection: ConnectionOptions, prefix: string, options: { digestRepeatStrategy?: RepeatStrategy } = {}): Queues {
  const make = (name: QueueName, repeatStrategy?: RepeatStrategy) =>
    new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS, ...(repeatStrategy ? { settings: { repeatStrategy } } : {}) });
  const queues = {
    dispatch: make(QUEUE_NAMES.dispatch),
    emailBatch: make(QUEUE_NAMES.emailBatch),
    social: make(QUEUE_NAMES.social),
    digest: make(QUEUE_NAMES.digest, options.digestRepeatStrategy),
    feed: make(QUEUE_NAMES.feed),
    webhook: make(QUEUE_NAMES.webhook),
    engagement: make(QUEUE_NAMES.engagement),
  };
  return {
    ...queues,
    all: () => Object.values(queues),
    close: async () => {
      await Promise.allSettled(Object.values(queues).map((q) => q.close()));
    },
  };
}

/** Deterministic job ids: adding the same step twice is a no-op while the first job is kept. */
export const jobIds = {
  dispatchStart: (dispatchId: number) => `dispatch-${dispatchId}`,
  emailRender: (dispatchId: number) => `render-${dispatchId}`,
  emailFanOut: (dispatchId: number) => `fanout-${dispatchId}`,
  emailBatch: (dispatchId: number, batchNo: number) => `batch-${dispatchId}-${batchNo}`,
  /** One per wave of a local-time dispatch, delayed until the wave's fire instant. */
  wave: (dispatchId: number, waveNo: number) => `wave-${dispatchId}-${waveNo}`,
  /** One per resume (the row's update time): a worker completes the dispatch if nothing is left to send. */
  dispatchComplete: (dispatchId: number, resumedAt: Date) => `complete-${dispatchId}-${resumedAt.getTime()}`,
  social: (dispatchId: number, channel: string) => `social-${dispatchId}-${channel}`,
  /** One per social delivery: deleting a retracted post (a repeated retraction adds nothing). */
  socialRetraction: (deliveryId: number) => `retract-${deliveryId}`,
  /** One per post a correction replies under or edits. */
  socialCorrection: (correctionDeliveryId: number) => `correct-${correctionDeliveryId}`,
  /** One per correction: its email to every reader who got the edition. */
  correctionMail: (correctionId: number) => `correction-mail-${correctionId}`,
  /** One per webhook delivery and send (a redelivery is a new send). */
  webhook: (deliveryId: number, send: number) => `webhook-${deliveryId}-${send}`,
  /** One per social post and read (1h, 24h, 7d). */
  engagement: (deliveryId: number, read: string) => `engagement-${deliveryId}-${read}`,
};
