// PostgreSQL stopped with `-m immediate` mid-send and started again on the same port (a private cluster of the
// test's own). Processes stay up and /healthz reports the outage; the outcomes of chunks the SMTP server accepted
// are held in memory until the database takes them, so nobody gets a second copy; batches interrupted by the
// outage are retried without counting against any reader, and the send finishes by itself.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/herald.js';
import { reportFault, startOutageSend } from '../../support/outage-send.js';
import { startPrivatePostgres, startPrivateRedis } from '../../support/private-services.js';

const SUBSCRIBERS = 2000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('PostgreSQL stopped mid-send', () => {
  it('restarted on the same port: the send finishes by itself, nobody missed or sent twice, nobody failed', async () => {
    const postgres = await startPrivatePostgres();
    cleanups.push(() => postgres.close());
    const redis = await startPrivateRedis({ appendOnly: false });
    cleanups.push(() => redis.close());
    const send = await startOutageSend({ redisUrl: redis.url, databaseUrl: postgres.url, subscribers: SUBSCRIBERS });
    cleanups.push(() => send.close());
    const api = await send.startApi();
    const workers = [send.startWorker(), send.startWorker()];
    const dispatchId = await send.publish();
    await send.waitForMessages(SUBSCRIBERS / 4);

    await postgres.stopImmediately();
    const down = await eventually(async () => {
      const response = await fetch(`${api.baseUrl}/healthz`);
      const body = (await response.json()) as { checks: Record<string, string> };
      return response.status === 503 && body.checks.database !== 'ok' && body;
    }, 10_000, '/healthz to report the database down');
    expect(down.checks.redis).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the outage lasts a few seconds
    await postgres.start();
    const restoredAt = Date.now();

    await send.finish(dispatchId, 90_000);
    const finishMs = Date.now() - restoredAt;
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
    for (const proc of [...workers, api.process]) expect(proc.child.exitCode, proc.output().slice(-3000)).toBeNull();
    // One line for the outage per process, not one per failed query or pass.
    for (const proc of workers) {
      expect(proc.output().match(/"event":"dependency.lost","dependency":"database"/g)?.length, proc.output().slice(-3000)).toBe(1);
      expect(proc.output()).not.toContain('"event":"relay.error"');
    }

    const figures = await send.figures(dispatchId);
    reportFault('postgresql stopped -m immediate, restarted', { ...figures, finishMs });
    expect(figures.missing).toBe(0);
    expect(figures.duplicates).toBe(0);
    expect(figures.statuses).toEqual({ sent: SUBSCRIBERS });
    expect(figures.notConfirmed).toBe(0);
    // The outage counted against no reader: every delivery took one attempt.
    const attempts = await send.database.db.selectFrom('deliveries').select((eb) => eb.fn.max('attempts').as('max'))
      .where('dispatchId', '=', dispatchId).executeTakeFirstOrThrow();
    expect(Number(attempts.max)).toBe(1);
  }, 150_000);
});
