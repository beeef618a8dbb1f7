// Operators' view of failure: /healthz answers non-200 while Redis or the database is down and 200 again once it is
// back (a private redis-server the test kills and restarts; a PostgreSQL database the test drops), and the quick
// start's embedded redis-server: started by Herald when nothing answers, with its data in the data dir, stopped on close.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../src/runtime/redis.js';
import { createTestDatabase } from '../support/database.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { freeServicePort, redisAnswers, startPrivateRedis, type PrivateRedis } from '../support/private-services.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const health = async (herald: TestHerald) => {
  const response = await herald.api('/healthz', { token: null });
  return { status: response.status, body: await response.json() };
};

describe('/healthz', () => {
  it('answers non-200 while Redis is down, and 200 once it is back', async () => {
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.close());
    const herald = await startTestHerald({ workers: false, env: { REDIS_URL: redis.url } });
    cleanups.push(async () => {
      if (!(await redisAnswers(redis.port))) await redis.start(); // Herald closes its queues cleanly only with Redis up
      await herald.stop();
    });
    expect(await health(herald)).toMatchObject({ status: 200, body: { checks: { redis: 'ok', database: 'ok' } } });

    await redis.kill();
    const down = await eventually(async () => {
      const current = await health(herald);
      return current.status !== 200 && current;
    }, 20_000, '/healthz to notice Redis is gone');
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(down.body.checks.redis).not.toBe('ok');
    expect(down.body.checks.database).toBe('ok');

    await redis.start();
    await eventually(async () => (await health(herald)).status === 200, 20_000, '/healthz to recover');
  });

  // PGlite lives inside Herald's process and cannot go down on its own: the outage is a PostgreSQL database's.
  it('answers non-200 when the database is gone', async () => {
    const database = await createTestDatabase('postgres');
    const herald = await startTestHerald({ workers: false, database });
    cleanups.push(() => herald.stop(), () => database.drop());
    expect((await health(herald)).status).toBe(200);

    await database.drop(); // drops it with its connections: every query now fails
    const down = await eventually(async () => {
      const current = await health(herald);
      return current.status !== 200 && current;
    }, 20_000, '/healthz to notice the database is gone');
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(down.body.checks.database).not.toBe('ok');
    expect(down.body.checks.redis).toBe('ok');
  });
});

describe('the embedded redis-server', () => {
  it('is started when REDIS_URL is unset and nothing answers, keeps its data in the data dir, and stops on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-embedded-redis-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    // Herald's own default is 6379, where this machine's shared Redis answers; the same code on a free port.
    const port = await freeServicePort();
    expect(await redisAnswers(port)).toBe(false);
    const redis = await startRedis({ dataDir, log: pino({ level: 'silent' }), defaultUrl: `redis://127.0.0.1:${port}` });
    cleanups.push(() => redis.close());

    expect(await redis.connection.ping()).toBe('PONG');
    expect(await redisAnswers(port)).toBe(true);
    await redis.connection.set('embedded-check', 'kept');
    expect(await redis.connection.config('GET', 'dir')).toEqual(['dir', join(dataDir, 'redis')]);
    expect(await redis.connection.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await eventually(async () => existsSync(join(dataDir, 'redis', 'appendonlydir')) || existsSync(join(dataDir, 'redis', 'appendonly.aof')), 10_000, 'the append-only file');

    await redis.close();
    expect(await redisAnswers(port)).toBe(false);
  });

  it('uses a Redis that already answers instead of starting one', async () => {
    const existing = await startPrivateRedis();
    cleanups.push(() => existing.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-embedded-redis-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const redis = await startRedis({ dataDir, log: pino({ level: 'silent' }), defaultUrl: existing.url });
    cleanups.push(() => redis.close());
    expect(await redis.connection.ping()).toBe('PONG');
    expect(existsSync(join(dataDir, 'redis'))).toBe(false);
    await redis.close();
    expect(await redisAnswers(existing.port)).toBe(true);
  });
});
