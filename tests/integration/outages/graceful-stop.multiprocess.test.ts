// SIGTERM to a worker mid-send: it claims nothing more, lets the chunks in flight finish and be recorded, hands the
// rest of its batches back and exits (code 0) within HERALD_SHUTDOWN_GRACE_MS; another worker finishes the send.
// A rolling restart of every worker sends nobody a second copy.
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../support/database.js';
import { eventually } from '../../support/herald.js';
import type { HeraldProcess } from '../../support/processes.js';
import { BATCHES_PER_WORKER, reportFault, SEND_CHUNK, startOutageSend, type OutageSend } from '../../support/outage-send.js';
import { startPrivateRedis } from '../../support/private-services.js';

const SUBSCRIBERS = 2000;
const GRACE_MS = 20_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function setUp(): Promise<OutageSend> {
  const redis = await startPrivateRedis({ appendOnly: false });
  cleanups.push(() => redis.close());
  const pg = await createPostgresDatabase();
  cleanups.push(() => pg.drop());
  const send = await startOutageSend({
    redisUrl: redis.url,
    databaseUrl: pg.url,
    subscribers: SUBSCRIBERS,
    env: { HERALD_SHUTDOWN_GRACE_MS: String(GRACE_MS), LOG_LEVEL: 'info' },
  });
  cleanups.push(() => send.close());
  return send;
}

/** Sends SIGTERM; resolves with the exit code once the process is gone (the test's timeout bounds the wait). */
function terminate(proc: HeraldProcess): Promise<number | null> {
  return new Promise((resolve) => {
    proc.child.once('exit', (code) => resolve(code));
    proc.child.kill('SIGTERM');
  });
}

describe('a worker stopped with SIGTERM', () => {
  it('finishes its chunks in flight, hands the rest back and exits; nobody missed, nobody twice', async () => {
    const send = await setUp();
    const first = send.startWorker();
    const dispatchId = await send.publish();
    await send.waitForMessages(SUBSCRIBERS / 4);

    const atSignal = send.smtp.messages.length;
    const code = await terminate(first);
    expect(code, first.output().slice(-2000)).toBe(0);
    expect(first.output()).toContain('"event":"shutdown.done"');
    expect(first.output()).not.toContain('shutdown.grace_exceeded');
    const atStop = send.smtp.messages.length;
    expect(atStop).toBeLessThan(SUBSCRIBERS);
    // It claimed nothing after the signal: at most the chunk in flight of each running batch went out meanwhile.
    expect(atStop - atSignal).toBeLessThanOrEqual(BATCHES_PER_WORKER * SEND_CHUNK);
    // Nothing was left in flight: every row the stopped worker claimed has its outcome.
    const sending = await send.database.db.selectFrom('deliveries').select('id').where('dispatchId', '=', dispatchId)
      .where('status', '=', 'sending').execute();
    expect(sending).toEqual([]);

    const restartedAt = Date.now();
    send.startWorker();
    await send.finish(dispatchId, 90_000);
    const figures = await send.figures(dispatchId);
    reportFault('SIGTERM to the only worker, then a new one', { ...figures, finishMs: Date.now() - restartedAt });
    expect(figures.missing).toBe(0);
    expect(figures.duplicates).toBe(0);
    expect(figures.statuses).toEqual({ sent: SUBSCRIBERS });
    expect(figures.notConfirmed).toBe(0);
  }, 150_000);

  it('a rolling restart of every worker sends nobody a second copy', async () => {
    const send = await setUp();
    const old = [send.startWorker(), send.startWorker()];
    const dispatchId = await send.publish();
    await send.waitForMessages(SUBSCRIBERS / 5);

    // One at a time, as an orchestrator rolls a deployment: a new worker up, an old one stopped.
    const startedAt = Date.now();
    let sent = send.smtp.messages.length;
    for (const proc of old) {
      send.startWorker();
      expect(await terminate(proc), proc.output().slice(-2000)).toBe(0);
      await send.waitForMessages(sent + 100); // the new generation is sending before the next old worker stops
      sent = send.smtp.messages.length;
    }
    await send.finish(dispatchId, 90_000);
    const figures = await send.figures(dispatchId);
    reportFault('rolling restart of both workers', { ...figures, finishMs: Date.now() - startedAt });
    expect(figures.missing).toBe(0);
    expect(figures.duplicates).toBe(0);
    expect(figures.statuses).toEqual({ sent: SUBSCRIBERS });
  }, 150_000);

  it('exits within HERALD_SHUTDOWN_GRACE_MS even when the SMTP server never answers', async () => {
    const redis = await startPrivateRedis({ appendOnly: false });
    cleanups.push(() => redis.close());
    const pg = await createPostgresDatabase();
    cleanups.push(() => pg.drop());
    // A server that takes every message and answers none within the test.
    const send = await startOutageSend({
      redisUrl: redis.url,
      databaseUrl: pg.url,
      subscribers: 100,
      smtpDelayMs: 120_000,
      env: { HERALD_SHUTDOWN_GRACE_MS: '1500', LOG_LEVEL: 'info' },
    });
    cleanups.push(() => send.close());
    const worker = send.startWorker();
    const dispatchId = await send.publish();
    await eventually(async () => {
      const row = await send.database.db.selectFrom('deliveries').select('id').where('dispatchId', '=', dispatchId)
        .where('status', '=', 'sending').executeTakeFirst();
      return !!row;
    }, 60_000, 'a chunk in flight');

    expect(await terminate(worker)).toBe(1);
    expect(worker.output()).toContain('"event":"shutdown.grace_exceeded"');
    // What it held stays `sending`, to be settled by UNCERTAIN_DELIVERY_POLICY when the batch resumes.
    const sent = await send.database.db.selectFrom('deliveries').select('id').where('dispatchId', '=', dispatchId)
      .where('status', '=', 'sent').execute();
    expect(sent).toEqual([]);
  }, 120_000);
});
