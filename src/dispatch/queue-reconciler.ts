// The database is the truth; the queue can be rebuilt. At start and every HERALD_RECONCILE_INTERVAL_MS this compares
// what the database says is unfinished (a dispatch's start, its edition's render and fan-out, its waves, its open batches, its
// pending social posts and retractions) with the jobs Redis holds, and queues every step that has no live job, under the same
// deterministic job id. So a Redis that comes back empty, or a job that failed while PostgreSQL was away, delays a
// send and does not stop it. Safe in several processes at once: a Redis lock lets one pass run per interval, and
// even two passes at once only add jobs whose ids already exist (a no-op), and every step re-reads its rows.
import { EventEmitter } from 'node:events';
import type { FlowProducer, JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { jobIds, type Queues } from '../queue/queues.js';
import type { Network } from '../social/channel.js';
import { completeDispatchIfDone } from './complete-dispatch.js';
import { queueCorrectionMail, queueEmailBatch, queueEmailEdition, queueFanOut, queueSocialCorrection, queueSocialPost, queueSocialRetraction, queueStart, queueWave } from './step-jobs.js';
import { openCorrectionDeliveries } from '../articles/corrections.js';
import { OPEN_WAVES } from './waves.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { pendingRetractions } from '../social/social-retractions.js';
import { PeriodicPass } from '../runtime/periodic-pass.js';
import { ENGAGEMENT_READS } from '../social/engagement.js';
import { scheduleEngagementReads } from '../social/engagement-schedule.js';

/** How late a lost metric read is still worth taking (a Redis outage of hours); older ones are let go. */
const READ_GRACE_MS = 24 * 3_600_000;

/** States in which a job will still run (or is running): anything else means the step has no job. */
const LIVE_STATES = new Set<JobState | 'unknown'>(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** Dispatches whose steps must have jobs: running ones, and paused ones (their jobs wait and re-check). */
const IN_PROGRESS = ['running', 'paused'] as const;

export interface QueueReconcilerOptions {
  intervalMs: number;
  /** The Redis key of the lock that lets one process reconcile per interval. */
  lockKey: string;
  /** Puts back the job schedulers (digests, feeds) Redis lost; resolves with how many it restored. */
  restoreSchedules?: () => Promise<number>;
  /** The clock waves are timed on (a wave's job is delayed until its instant on it); the system clock by default. */
  clock?: Clock;
}

/** What one pass re-queued, by step. */
export interface ReconcileReport {
  starts: number;
  editions: number;
  batches: number;
  /** Waves of local-time dispatches not yet fanned out. */
  waves: number;
  /** Social jobs (posts, deletions of retracted posts, corrections) and correction emails. */
  posts: number;
  /** Groups of job schedulers written back. */
  schedules: number;
  /** Metric reads of social posts (1 h, 24 h, 7 days) whose job Redis lost. */
  reads: number;
}

/** Emits `error` (a pass failed, e.g. Redis or the database down; the next pass retries) and `requeued` (report). */
export class QueueReconciler extends EventEmitter {
  private readonly loop: PeriodicPass;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly queues: Queues,
    private readonly flows: FlowProducer,
    redis: Redis,
    private readonly options: QueueReconcilerOptions,
  ) {
    super();
    this.loop = new PeriodicPass(() => this.passAndReport(), {
      intervalMs: options.intervalMs,
      oncePerInterval: { redis, lockKey: options.lockKey },
      onError: (error) => this.emit('error', error),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Runs a pass now unless one is in progress. Never throws; failures are emitted. */
  kick(): void {
    this.loop.kick();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async passAndReport(): Promise<void> {
    const report = await this.reconcileOnce();
    if (Object.values(report).some((n) => n > 0)) this.emit('requeued', report);
  }

  /** One full comparison of the database with the queues; returns what it re-queued. */
  async reconcileOnce(): Promise<ReconcileReport> {
    const report: ReconcileReport = { starts: 0, editions: 0, waves: 0, batches: 0, posts: 0, schedules: 0, reads: 0 };
    await this.reconcileStarts(report);
    await this.reconcileEmail(report);
    await this.reconcileSocial(report);
    await this.reconcileEngagementReads(report);
    report.schedules = (await this.options.restoreSchedules?.()) ?? 0;
    // A dispatch whose last step finished while its completion could not be written (the database was away).
    const running = await this.db.selectFrom('dispatches').select('id').where('status', '=', 'running').execute();
    for (const { id } of running) await completeDispatchIfDone(this.db, id);
    return report;
  }

  /** Relayed dispatches (the outbox relay queued them once) still waiting to start. */
  private async reconcileStarts(report: ReconcileReport): Promise<void> {
    const rows = await this.db
      .selectFrom('dispatches')
      .select(['id', 'scheduledAt', 'priority'])
      .where('status', 'in', ['pending', 'scheduled'])
      .where('enqueuedAt', 'is not', null)
      .execute();
    for (const row of rows) {
      if (await this.requeue(this.queues.dispatch, jobIds.dispatchStart(row.id), () => queueStart(this.queues, row.id, row.scheduledAt, row.priority))) {
        report.starts++;
      }
    }
  }

  private async reconcileEmail(report: ReconcileReport): Promise<void> {
    const unfanned = await this.db
      .selectFrom('dispatches')
      .leftJoin('editions', 'editions.dispatchId', 'dispatches.id')
      .select(['dispatches.id', 'dispatches.priority', 'editions.dispatchId as rendered'])
      .where('dispatches.status', 'in', IN_PROGRESS)
      .where('dispatches.emailFannedOutAt', 'is', null)
      .where((eb) => eb(eb.val('email'), '=', eb.fn.any('dispatches.channels')))
      // A local-time dispatch whose waves are planned is fanned out by its wave jobs (below), not its fan-out job.
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('dispatchWaves').select('waveNo').whereRef('dispatchWaves.dispatchId', '=', 'dispatches.id'))))
      .execute();
    for (const { id, priority, rendered } of unfanned) {
      const renderId = jobIds.emailRender(id);
      // A render still to run (or running) will release its fan-out parent: nothing is missing.
      if (!rendered && LIVE_STATES.has(await this.queues.dispatch.getJobState(renderId))) continue;
      const queued = await this.requeue(this.queues.dispatch, jobIds.emailFanOut(id), async () => {
        if (rendered) return queueFanOut(this.queues, id, priority);
        await this.removeStale(this.queues.dispatch, renderId);
        return queueEmailEdition(this.flows, id, priority);
      });
      if (queued) report.editions++;
    }

    // Every wave still to fire (or interrupted mid-way) has its delayed job: a lost one would be a zone never mailed.
    const waves = await this.db
      .selectFrom('dispatchWaves')
      .innerJoin('dispatches', 'dispatches.id', 'dispatchWaves.dispatchId')
      .select(['dispatchWaves.dispatchId', 'dispatchWaves.waveNo', 'dispatchWaves.fireAt', 'dispatches.priority'])
      .where('dispatches.status', 'in', IN_PROGRESS)
      .where('dispatchWaves.status', 'in', OPEN_WAVES)
      .execute();
    for (const wave of waves) {
      const jobId = jobIds.wave(wave.dispatchId, wave.waveNo);
      if (await this.requeue(this.queues.dispatch, jobId, () => queueWave(this.queues, wave, wave.priority, this.options.clock ?? systemClock))) report.waves++;
    }

    const batches = await this.db
      .selectFrom('emailBatches')
      .innerJoin('dispatches', 'dispatches.id', 'emailBatches.dispatchId')
      .select(['emailBatches.dispatchId', 'emailBatches.batchNo', 'dispatches.priority'])
      .where('dispatches.status', 'in', IN_PROGRESS)
      .where('emailBatches.status', '!=', 'done')
      .orderBy('emailBatches.dispatchId')
      .orderBy('emailBatches.batchNo')
      .execute();
    for (const { dispatchId, batchNo, priority } of batches) {
      const jobId = jobIds.emailBatch(dispatchId, batchNo);
      if (await this.requeue(this.queues.emailBatch, jobId, () => queueEmailBatch(this.queues, dispatchId, batchNo, priority))) report.batches++;
    }
  }

  private async reconcileSocial(report: ReconcileReport): Promise<void> {
    const posts = await this.db
      .selectFrom('deliveries')
      .innerJoin('dispatches', 'dispatches.id', 'deliveries.dispatchId')
      .select(['deliveries.id', 'deliveries.dispatchId', 'deliveries.channel', 'dispatches.priority'])
      .where('dispatches.status', 'in', IN_PROGRESS)
      .where('deliveries.channel', '!=', 'email')
      // `sending` too: its job settles a post interrupted mid-request (src/social/social-poster.ts).
      .where('deliveries.status', 'in', ['pending', 'sending'])
      .execute();
    for (const post of posts) {
      const data = { dispatchId: post.dispatchId, deliveryId: post.id, network: post.channel as Network };
      if (await this.requeue(this.queues.social, jobIds.social(post.dispatchId, post.channel), () => queueSocialPost(this.queues, data, post.priority))) {
        report.posts++;
      }
    }
    // Retracted posts still to delete, whatever their dispatch's status (a retraction outlives the send).
    for (const post of await pendingRetractions(this.db)) {
      const data = { dispatchId: post.dispatchId, deliveryId: post.id, network: post.channel as Network };
      if (await this.requeue(this.queues.social, jobIds.socialRetraction(post.id), () => queueSocialRetraction(this.queues, data))) {
        report.posts++;
      }
    }
    // Corrections still to make: one email job per correction, one social job per post.
    const open = await openCorrectionDeliveries(this.db);
    for (const correctionId of new Set(open.filter((r) => r.channel === 'email').map((r) => r.correctionId))) {
      if (await this.requeue(this.queues.emailBatch, jobIds.correctionMail(correctionId), () => queueCorrectionMail(this.queues, correctionId))) report.posts++;
    }
    for (const row of open.filter((r) => r.channel !== 'email')) {
      const data = { correctionDeliveryId: row.id, network: row.channel };
      if (await this.requeue(this.queues.social, jobIds.socialCorrection(row.id), () => queueSocialCorrection(this.queues, data))) report.posts++;
    }
  }

  /**
   * A posted delivery's metric reads whose job is gone (Redis lost it, or queuing it failed after the post) and whose
   * row is not written, while the read is due within a day or later. Only a missing job: a read that failed its
   * attempts was given up on (a read is worth less than a post), and its failed job stays for a week to say so.
   */
  private async reconcileEngagementReads(report: ReconcileReport): Promise<void> {
    const now = Date.now(); // real time, as the rows' updated_at and the social worker's scheduling are
    const latest = ENGAGEMENT_READS[ENGAGEMENT_READS.length - 1].afterMs;
    const posts = await this.db
      .selectFrom('deliveries')
      .leftJoin('socialEngagement', 'socialEngagement.deliveryId', 'deliveries.id')
      .select(['deliveries.id', 'deliveries.channel', 'deliveries.updatedAt'])
      // As text[]: an array of the read column's own type would reach JavaScript unparsed.
      .select(sql<string[]>`coalesce(array_agg(social_engagement.read::text) filter (where social_engagement.read is not null), '{}')`.as('done'))
      .where('deliveries.channel', '!=', 'email')
      .where('deliveries.status', '=', 'sent')
      .where('deliveries.retraction', 'is', null)
      .where('deliveries.updatedAt', '>', new Date(now - latest - READ_GRACE_MS))
      .groupBy(['deliveries.id', 'deliveries.channel', 'deliveries.updatedAt'])
      .execute();
    for (const post of posts) {
      const missing = [];
      for (const read of ENGAGEMENT_READS) {
        if (post.done.includes(read.read) || post.updatedAt.getTime() + read.afterMs < now - READ_GRACE_MS) continue;
        if ((await this.queues.engagement.getJobState(jobIds.engagement(post.id, read.read))) === 'unknown') missing.push(read);
      }
      if (!missing.length) continue;
      await scheduleEngagementReads(this.queues, post.id, post.channel as Network, post.updatedAt, now, missing);
      report.reads += missing.length;
    }
  }

  /**
   * Queues a step again when its job is missing, or finished (completed, failed) while the database says the step
   * is not done: a finished job's id would otherwise make the add a no-op.
   */
  private async requeue(queue: Queue, jobId: string, add: () => Promise<void>): Promise<boolean> {
    if (LIVE_STATES.has(await queue.getJobState(jobId))) return false;
    await this.removeStale(queue, jobId);
    await add();
    return true;
  }

  private async removeStale(queue: Queue, jobId: string): Promise<void> {
    const job = await queue.getJob(jobId);
    // It may have started meanwhile (locked): then it is live again, and the add below is a no-op.
    if (job) await job.remove().catch(() => undefined);
  }
}
