// Redis killed mid-send, on a private redis-server: restarted from its append-only file, or restarted empty (no
// persistence, or a failover that lost its writes). Worker and API processes stay up, /healthz reports the outage,
// and the send resumes by itself (the queue reconciler rebuilds what the database says is unfinished): nobody is
// missed, nobody is marked bounced or failed, and only messages in flight at the fault may arrive twice.
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { DIGEST_SCHEDULER_IDS } from '../../../src/digest/digest-scheduler.js';
import { QUEUE_NAMES } from '../../../src/queue/queues.js';
import { createPostgresDatabase } from '../../support/database.js';
import { eventually } from '../../support/herald.js';
import { BATCHES_PER_WORKER, reportFault, SEND_CHUNK, startOutageSend, type OutageSend } from '../../support/outage-send.js';
import { startPrivateRedis, type PrivateRedis } from '../../support/private-services.js';

const SUBSCRIBERS = 2000;
const WORKERS = 2;
/** What can be in flight at the fault: one chunk per running batch. */
const IN_FLIGHT = WORKERS * BATCHES_PER_WORKER * SEND_CHUNK;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function setUp(appendOnly: boolean): Promise<{ redis: PrivateRedis; send: OutageSend }> {
  const redis = await startPrivateRedis({ appendOnly });
  cleanups.push(() => redis.close());
  const pg = await createPostgresDatabase();
  cleanups.push(() => pg.drop());
  const send = await startOutageSend({ redisUrl: redis.url, databaseUrl: pg.url, subscribers: SUBSCRIBERS });
  cleanups.push(() => send.close());
  return { redis, send };
}

const health = async (baseUrl: string) => {
  const response = await fetch(`${baseUrl}/healthz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
};

async function killRedisMidSend(appendOnly: boolean) {
  const { redis, send } = await setUp(appendOnly);
  const api = await send.startApi();
  const workers = Array.from({ length: WORKERS }, () => send.startWorker());
  const dispatchId = await send.publish();
  await send.waitForMessages(SUBSCRIBERS / 4);

  await redis.kill();
  // While Redis is away: the API says so (and stays up), and so do the workers.
  const down = await eventually(async () => {
    const h = await health(api.baseUrl);
    return h.status === 503 && h.body.checks.redis !== 'ok' && h;
  }, 10_000, '/healthz to report Redis down');
  expect(down.body.checks.database).toBe('ok');
  await new Promise((resolve) => setTimeout(resolve, 2000)); // the outage lasts a couple of seconds
  await redis.start();
  const restoredAt = Date.now();

  await send.finish(dispatchId, 90_000);
  const finishMs = Date.now() - restoredAt;
  expect((await health(api.baseUrl)).status).toBe(200);
  for (const worker of [...workers, api.process]) expect(worker.child.exitCode).toBeNull();
  // One line per process for the outage, not one per reconnect attempt.
  for (const worker of workers) {
    expect(worker.output().match(/"event":"dependency.lost","dependency":"redis"/g)?.length, worker.output().slice(-2000)).toBe(1);
    expect(worker.output().split('\n').filter((line) => line.includes('ECONNREFUSED')).length).toBeLessThanOrEqual(1);
  }

  const figures = await send.figures(dispatchId);
  reportFault(appendOnly ? 'redis killed, restarted from its AOF' : 'redis killed, restarted empty', { ...figures, finishMs });
  expect(figures.missing).toBe(0);
  expect(figures.duplicates).toBeLessThanOrEqual(IN_FLIGHT);
  expect(figures.statuses).toEqual({ sent: SUBSCRIBERS });
  expect(figures.notConfirmed).toBe(0);

  // The digest schedulers, which live only in Redis, are back too: tomorrow's digest still goes out.
  const digests = new Queue(QUEUE_NAMES.digest, { connection: { url: redis.url }, prefix: await send.redisPrefix() });
  try {
    const schedulers = await eventually(async () => {
      const found = await Promise.all(Object.values(DIGEST_SCHEDULER_IDS).map((id) => digests.getJobScheduler(id)));
      return found.every(Boolean) && found;
    }, 45_000, 'the digest schedulers'); // a reconciler pass (3 s apart here) under the suite's load
    expect(schedulers).toHaveLength(2);
  } finally {
    await digests.close();
  }
  return figures;
}

describe('Redis killed mid-send', () => {
  it('restarted from its append-only file: the send carries on, nobody missed', async () => {
    await killRedisMidSend(true);
  }, 150_000);

  it('restarted empty: the reconciler re-queues every unfinished step and the send finishes by itself', async () => {
    await killRedisMidSend(false);
  }, 150_000);
});
