// Pause, resume and cancel while two real `herald worker` processes share one send: a pause stops both within the
// chunk in flight, a resume lets both finish it with nobody mailed twice, and a cancel leaves the rest unsent in both.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleInput } from '../../../src/articles/article-input.js';
import { publishArticle } from '../../../src/articles/publish.js';
import { migrate, openDatabase, type DatabaseHandle } from '../../../src/db/database.js';
import { readInstallationId, redisNamespace } from '../../../src/db/installation.js';
import { cancelDispatch } from '../../../src/dispatch/dispatch-repository.js';
import { pauseDispatch, resumeDispatch } from '../../../src/dispatch/pause-resume.js';
import { createQueues, jobIds, type Queues } from '../../../src/queue/queues.js';
import { articlePayload } from '../../support/articles.js';
import { createPostgresDatabase } from '../../support/database.js';
import { clearQueuePrefix, eventually, randomPrefix, REDIS_URL } from '../../support/herald.js';
import { spawnHerald, type HeraldProcess } from '../../support/processes.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const SUBSCRIBERS = 400;
const cleanups: (() => Promise<unknown>)[] = [];
let database: DatabaseHandle;
let queues: Queues;
let sinks: SmtpSink[];

beforeAll(async () => {
  const pg = await createPostgresDatabase();
  database = await openDatabase({ url: pg.url, poolSize: 4 });
  await migrate(database.db);
  const prefix = randomPrefix();
  cleanups.push(() => pg.drop(), () => database.db.destroy(), () => clearQueuePrefix(prefix));
  await sql`
    insert into subscribers (email, status, confirmed_at)
    select 'reader' || n || '@example.com', 'confirmed', now() from generate_series(1, ${SUBSCRIBERS}) as n
  `.execute(database.db);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queues = createQueues(redis, redisNamespace(prefix, await readInstallationId(database.db)));
  cleanups.push(async () => { await queues.close(); redis.disconnect(); });
  // Each worker sends to its own sink, slowly enough (20 ms a message) to be caught mid-send.
  sinks = [await startSmtpSink({ delayMs: 20 }), await startSmtpSink({ delayMs: 20 })];
  cleanups.push(...sinks.map((sink) => () => sink.close()));
  for (const sink of sinks) {
    const worker: HeraldProcess = spawnHerald(['worker'], {
      DATABASE_URL: pg.url,
      REDIS_URL,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-worker-')),
      HERALD_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
      HERALD_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
      SMTP_URL: sink.url,
      SMTP_POOL_SIZE: '2',
      EMAIL_SEND_CHUNK: '4',
      EMAIL_BATCH_SIZE: '25',
      HERALD_RELAY_INTERVAL_MS: '300',
      DIGEST_SCHEDULERS: 'off',
      LOG_LEVEL: 'warn',
    });
    cleanups.push(() => worker.kill('SIGKILL'));
  }
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const messagesOf = (dispatchId: number) => sinks.flatMap((sink) => sink.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`)));
const statusCounts = async (dispatchId: number) =>
  Object.fromEntries((await database.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('dispatchId', '=', dispatchId).groupBy('status').execute()).map((r) => [r.status, Number(r.n)]));
const dispatchStatus = async (id: number) => (await database.db.selectFrom('dispatches').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

async function publish(): Promise<number> {
  const { dispatch } = await publishArticle(database.db, articleInput.parse({ ...articlePayload(), channels: ['email'] }));
  return dispatch!.id;
}

/** Both workers mid-send: each sink has received some of this dispatch. */
async function bothSending(dispatchId: number): Promise<void> {
  await eventually(async () => sinks.every((sink) => sink.messages.some((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`))),
    40_000, 'both workers to be sending');
}

/** Nothing with a transport, and every batch job finished or waiting (it saw the row and stopped). */
async function atRest(dispatchId: number): Promise<void> {
  await eventually(async () => {
    if ((await statusCounts(dispatchId)).sending) return false;
    const batches = await database.db.selectFrom('emailBatches').select('batchNo').where('dispatchId', '=', dispatchId).execute();
    const states = await Promise.all(batches.map(async (b) => (await queues.emailBatch.getJob(jobIds.emailBatch(dispatchId, b.batchNo)))?.getState()));
    return states.length > 0 && states.every((state) => state === 'delayed' || state === 'completed');
  }, 40_000, `dispatch ${dispatchId} to come to rest`);
}

describe('two worker processes', () => {
  it('both stop on a pause and finish on resume, each reader mailed once', async () => {
    const id = await publish();
    await bothSending(id);
    expect((await pauseDispatch(database.db, id, 'test')).kind).toBe('done');
    await atRest(id);
    const atPause = await statusCounts(id);
    expect(await dispatchStatus(id)).toBe('paused');
    expect(atPause.sent).toBeLessThan(SUBSCRIBERS);
    expect(messagesOf(id)).toHaveLength(atPause.sent);

    expect((await resumeDispatch(database.db, queues, id, 'test')).kind).toBe('done');
    await eventually(async () => (await dispatchStatus(id)) === 'completed', 90_000, 'the dispatch to complete');
    const recipients = messagesOf(id).flatMap((m) => m.envelopeTo);
    expect(recipients).toHaveLength(SUBSCRIBERS);
    expect(new Set(recipients).size).toBe(SUBSCRIBERS);
    expect(await statusCounts(id)).toEqual({ sent: SUBSCRIBERS });
  }, 180_000);

  it('both stop on a cancel and leave the rest unsent', async () => {
    const id = await publish();
    await bothSending(id);
    expect(await cancelDispatch(database.db, id, 'test')).toBeDefined();
    await eventually(async () => {
      const batches = await database.db.selectFrom('emailBatches').select('status').where('dispatchId', '=', id).execute();
      return !(await statusCounts(id)).sending && batches.length > 0 && batches.every((b) => b.status === 'done');
    }, 40_000, 'every batch to close');
    const counts = await statusCounts(id);
    expect(await dispatchStatus(id)).toBe('cancelled');
    expect(counts.sent).toBeLessThan(SUBSCRIBERS);
    // Sent or cancelled, nothing else (the fan-out may not have reached every reader before the cancel).
    expect(Object.keys(counts).sort()).toEqual(['cancelled', 'sent']);
    expect(messagesOf(id)).toHaveLength(counts.sent);
  }, 120_000);
});
