// The queue reconciler against a real Redis and the test database: every step the database says is unfinished and
// that has no live job gets one, under its deterministic id; live jobs and finished steps are left alone.
import { FlowProducer, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleInput } from '../../../src/articles/article-input.js';
import { publishArticle } from '../../../src/articles/publish.js';
import { QueueReconciler } from '../../../src/dispatch/queue-reconciler.js';
import { newEditionPublicId } from '../../../src/email/edition-service.js';
import { createQueues, jobIds, QUEUE_NAMES, type Queues } from '../../../src/queue/queues.js';
import { articlePayload } from '../../support/articles.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { clearQueuePrefix, randomPrefix, REDIS_URL } from '../../support/herald.js';

let database: TestDatabase;
let redis: Redis;
let queues: Queues;
let flows: FlowProducer;
let reconciler: QueueReconciler;
const prefix = randomPrefix();

beforeAll(async () => {
  database = await createTestDatabase();
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queues = createQueues(redis, prefix);
  flows = new FlowProducer({ connection: redis, prefix });
  reconciler = new QueueReconciler(database.db, queues, flows, redis, { intervalMs: 60_000, lockKey: `${prefix}:reconciler-lock` });
});
afterAll(async () => {
  await flows?.close();
  await queues?.close();
  await clearQueuePrefix(prefix);
  redis?.disconnect();
  await database?.drop();
});

async function publish(channels: string[], status: 'running' | 'scheduled' | 'completed') {
  const { dispatch } = await publishArticle(database.db, articleInput.parse({ ...articlePayload(), channels }));
  const id = dispatch!.id;
  await database.db.updateTable('dispatches').set({ status, enqueuedAt: new Date(), scheduledAt: status === 'scheduled' ? new Date(Date.now() + 3_600_000) : null })
    .where('id', '=', id).execute();
  return id;
}

describe('QueueReconciler', () => {
  it('re-queues what Redis lost, and nothing that is live or finished', async () => {
    // A running email send half fanned out: rendered, batch 1 done, batch 2 open, the fan-out not finished.
    const sending = await publish(['email'], 'running');
    await database.db.insertInto('editions').values({ dispatchId: sending, publicId: newEditionPublicId(), subject: 's', preheader: 'p', html: '<p>x</p>', text: 'x' }).execute();
    await database.db.insertInto('emailBatches').values([
      { dispatchId: sending, batchNo: 1, status: 'done', recipients: 1 },
      { dispatchId: sending, batchNo: 2, status: 'running', recipients: 1 },
    ]).execute();
    // A running dispatch never rendered, with a social post still pending.
    const fresh = await publish(['email', 'mastodon'], 'running');
    const [post] = await database.db.insertInto('deliveries')
      .values({ dispatchId: fresh, channel: 'mastodon', recipient: 'acct', status: 'pending' }).returning('id').execute();
    // A scheduled dispatch the relay queued once; a finished one.
    const later = await publish(['email'], 'scheduled');
    const done = await publish(['email'], 'completed');

    const first = await reconciler.reconcileOnce();
    expect(first).toEqual({ starts: 1, editions: 2, waves: 0, batches: 1, posts: 1, schedules: 0, reads: 0 });
    expect(await queues.dispatch.getJobState(jobIds.dispatchStart(later))).toBe('delayed');
    expect(await queues.dispatch.getJobState(jobIds.emailFanOut(sending))).toBe('prioritized');
    expect(await queues.dispatch.getJobState(jobIds.emailRender(sending))).toBe('unknown');
    // Not rendered: the render and its fan-out parent, as a dispatch's start queues them.
    expect(await queues.dispatch.getJobState(jobIds.emailRender(fresh))).toBe('prioritized');
    expect(await queues.dispatch.getJobState(jobIds.emailFanOut(fresh))).toBe('waiting-children');
    expect(await queues.emailBatch.getJobState(jobIds.emailBatch(sending, 2))).toBe('prioritized');
    expect(await queues.emailBatch.getJobState(jobIds.emailBatch(sending, 1))).toBe('unknown');
    expect((await queues.social.getJob(jobIds.social(fresh, 'mastodon')))?.data).toEqual({ dispatchId: fresh, deliveryId: post.id, network: 'mastodon' });
    expect(await queues.dispatch.getJobState(jobIds.dispatchStart(done))).toBe('unknown');

    // Everything has a live job now: a second pass (or another process' pass) adds nothing.
    expect(await reconciler.reconcileOnce()).toEqual({ starts: 0, editions: 0, waves: 0, batches: 0, posts: 0, schedules: 0, reads: 0 });
  });

  it('replaces a job that failed while its step is unfinished (attempts spent during an outage)', async () => {
    const id = await publish(['email'], 'running');
    await database.db.insertInto('emailBatches').values({ dispatchId: id, batchNo: 1, status: 'pending', recipients: 1 }).execute();
    await database.db.updateTable('dispatches').set({ emailFannedOutAt: new Date() }).where('id', '=', id).execute();
    const jobId = jobIds.emailBatch(id, 1);
    // A worker whose every attempt failed (here: its only one).
    const worker = new Worker(QUEUE_NAMES.emailBatch, async () => {
      throw new Error('database unavailable');
    }, { connection: redis, prefix });
    const failed = new Promise((resolve) => worker.once('failed', resolve));
    await queues.emailBatch.add('batch', { dispatchId: id, batchNo: 1 }, { jobId, attempts: 1 });
    await failed;
    await worker.close();
    expect(await queues.emailBatch.getJobState(jobId)).toBe('failed');

    const report = await reconciler.reconcileOnce();
    expect(report.batches).toBe(1);
    expect(await queues.emailBatch.getJobState(jobId)).toBe('prioritized');
  });

  it('re-queues the deletion of a retracted post whose job Redis lost, whatever the dispatch status', async () => {
    const id = await publish(['mastodon'], 'completed');
    const [post] = await database.db.insertInto('deliveries')
      .values({ dispatchId: id, channel: 'mastodon', recipient: 'acct', status: 'sent', remoteId: '42', retraction: 'pending' }).returning('id').execute();
    const settled = await database.db.insertInto('deliveries')
      .values({ dispatchId: id, channel: 'x', recipient: 'x', status: 'sent', remoteId: '43', retraction: 'retracted' }).returning('id').execute();

    expect((await reconciler.reconcileOnce()).posts).toBe(1);
    const job = await queues.social.getJob(jobIds.socialRetraction(post.id));
    expect(job).toMatchObject({ name: 'retract', data: { dispatchId: id, deliveryId: post.id, network: 'mastodon' } });
    expect(await queues.social.getJobState(jobIds.socialRetraction(settled[0]!.id))).toBe('unknown');
    expect((await reconciler.reconcileOnce()).posts).toBe(0);
  });

  it('re-queues the metric reads of a post whose jobs Redis lost: only those not read yet, and not long overdue', async () => {
    const id = await publish(['mastodon'], 'completed');
    // Posted two hours ago; its 1 h read is written, its 24 h and 7 d reads have no job any more.
    const [post] = await database.db.insertInto('deliveries')
      .values({ dispatchId: id, channel: 'mastodon', recipient: 'acct', status: 'sent', remoteId: '44', updatedAt: new Date(Date.now() - 2 * 3_600_000) })
      .returning('id').execute();
    await database.db.insertInto('socialEngagement').values({ deliveryId: post.id, read: '1h', status: 'ok', metrics: JSON.stringify({ favourites: 3 }) }).execute();
    // Posted nine days ago with no reads written: all three are long overdue and let go.
    const [old] = await database.db.insertInto('deliveries')
      .values({ dispatchId: id, channel: 'x', recipient: 'x', status: 'sent', remoteId: '45', updatedAt: new Date(Date.now() - 9 * 24 * 3_600_000) })
      .returning('id').execute();

    expect((await reconciler.reconcileOnce()).reads).toBe(2);
    const job = await queues.engagement.getJob(jobIds.engagement(post.id, '24h'));
    expect(job?.data).toEqual({ deliveryId: post.id, network: 'mastodon', read: '24h' });
    // Due 24 h after the post, not 24 h from now.
    expect(job!.opts.delay).toBeGreaterThan(21.9 * 3_600_000);
    expect(job!.opts.delay).toBeLessThanOrEqual(22 * 3_600_000);
    expect(await queues.engagement.getJobState(jobIds.engagement(post.id, '7d'))).toBe('delayed');
    expect(await queues.engagement.getJobState(jobIds.engagement(post.id, '1h'))).toBe('unknown');
    for (const read of ['1h', '24h', '7d']) expect(await queues.engagement.getJobState(jobIds.engagement(old.id, read))).toBe('unknown');
    expect((await reconciler.reconcileOnce()).reads).toBe(0);
  });

  it('does not complete a social dispatch claimed a moment ago whose post rows are not written yet', async () => {
    // The start job has claimed it (running) and is about to write one row per network: nothing is open yet.
    const id = await publish(['x', 'mastodon'], 'running');
    const status = async () => (await database.db.selectFrom('dispatches').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    await reconciler.reconcileOnce();
    expect(await status()).toBe('running');
    await database.db.insertInto('deliveries').values({ dispatchId: id, channel: 'x', recipient: 'x', status: 'sent' }).execute();
    await reconciler.reconcileOnce();
    expect(await status()).toBe('running');
    // Both rows written and settled: now it is done.
    await database.db.insertInto('deliveries').values({ dispatchId: id, channel: 'mastodon', recipient: 'acct', status: 'sent' }).execute();
    await reconciler.reconcileOnce();
    expect(await status()).toBe('completed');
  });
});
