// What an operator's probes and Prometheus see: liveness, readiness that names no error, metrics behind a token,
// and personal data never cached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startPrivateRedis, type PrivateRedis } from '../../support/private-services.js';
import { createTestDatabase } from '../../support/database.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe('metrics behind HERALD_METRICS_TOKEN, personal data not cached', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    herald = await startTestHerald({ workers: false, env: { HERALD_METRICS_TOKEN: METRICS_TOKEN } });
  });
  afterAll(() => herald?.stop());

  it('answers /metrics only to the metrics token', async () => {
    const without = await herald.api('/metrics', { token: null });
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(await without.text()).not.toContain('herald_');
    expect((await herald.api('/metrics', { token: 'wrong-token-0123456789abcdef' })).status).toBe(401);
    // The admin token opens the API, not the metrics.
    expect((await herald.api('/metrics')).status).toBe(401);
    const allowed = await herald.api('/metrics', { token: METRICS_TOKEN });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('herald_queue_jobs');
  });

  it('keeps liveness and readiness open', async () => {
    expect((await herald.api('/livez', { token: null })).status).toBe(200);
    const ready = await herald.api('/readyz', { token: null });
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
  });

  it('sends Cache-Control: no-store with subscribers, their export, deliveries and the capture inbox', async () => {
    const created = await herald.api('/api/subscribers', { body: { email: 'cache@example.org', status: 'confirmed' } });
    expect(created.headers.get('cache-control')).toBe('no-store');
    for (const path of ['/api/subscribers', '/api/subscribers?limit=5', '/api/subscribers/export', '/api/outbox', '/api/capture-inbox', '/api/deliveries/999999/resolve']) {
      const response = await herald.api(path, path.endsWith('/resolve') ? { body: { status: 'sent' } } : {});
      expect(response.status, path).toBeLessThan(500);
      expect(response.headers.get('cache-control'), path).toBe('no-store');
    }
    // Articles are public material: caching them is the client's choice.
    expect((await herald.api('/api/articles')).headers.get('cache-control')).toBeNull();
  });
});

describe('readiness when Redis goes away', () => {
  let redis: PrivateRedis;
  let herald: TestHerald;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    herald = await startTestHerald({ workers: false, env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await herald?.stop();
    await redis?.close();
  });

  it('says only which dependency is failing, never why, and stays live', async () => {
    expect((await herald.api('/healthz', { token: null })).status).toBe(200);
    await redis.kill();
    const failing = await eventually(async () => {
      const response = await herald.api('/readyz', { token: null });
      return response.status === 503 ? response : undefined;
    }, 20_000, 'readyz 503');
    const text = await failing.text();
    expect(JSON.parse(text)).toEqual({ status: 'failing', checks: { database: 'ok', redis: 'failing' } });
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|timed out|closed/i);
    const alias = await herald.api('/healthz', { token: null });
    expect(alias.status).toBe(503);
    expect((await herald.api('/livez', { token: null })).status).toBe(200);

    // Back again: ready again, by itself.
    await redis.start();
    await eventually(async () => (await herald.api('/readyz', { token: null })).status === 200, 20_000, 'readyz 200');
  });
});

describe('herald worker on HERALD_WORKER_PORT', () => {
  let worker: TestHerald;
  beforeAll(async () => {
    // A worker needs PostgreSQL (PGlite lives inside one process).
    const database = await createTestDatabase('postgres');
    worker = await startTestHerald({ http: false, workers: true, database, env: { HERALD_WORKER_PORT: '0', HERALD_METRICS_TOKEN: METRICS_TOKEN } });
    cleanup = () => database.drop();
  });
  let cleanup = async () => {};
  afterAll(async () => {
    await worker?.stop();
    await cleanup();
  });

  it('serves /livez, /readyz and the worker\'s own metrics', async () => {
    const base = worker.opsAddress!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/herald_process_resident_memory_bytes \d+/);
    expect((await fetch(`${base}/api/articles`)).status).toBe(404);
  });
});
