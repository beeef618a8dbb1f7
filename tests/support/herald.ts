// Starts a whole Herald for a test: its own database, its own queue prefix on the real Redis, its own data dir.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { startHerald, type Herald } from '../../src/herald.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { MxResolver } from '../../src/email/pacing/mx-directory.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** A fetch Response whose JSON body tests may read without declaring its type first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface TestHerald extends Herald {
  baseUrl: string;
  database?: TestDatabase;
  env: Record<string, string>;
  /** fetch against the API with the admin token. */
  api(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export const randomPrefix = () => `{herald-test-${randomBytes(5).toString('hex')}}`;

/** Deletes every key under a queue prefix, so a test leaves Redis as it found it. */
export async function clearQueuePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface TestHeraldOptions {
  env?: Record<string, string>;
  workers?: boolean;
  http?: boolean;
  database?: TestDatabase;
  /** Let Herald open its own embedded PGlite in the data dir, as `npm start` does (no injected database). */
  embedded?: boolean;
  /** Reuse a data dir (restart tests); it is then left in place. */
  dataDir?: string;
  /** Leave this Herald's Redis keys in place on stop (the test clears its prefix itself). */
  keepQueues?: boolean;
  /** The logger Herald writes to (tests that read the logs); default silent unless HERALD_TEST_LOG is set. */
  log?: Logger;
  /** The calendar the digest schedulers follow (set DIGEST_SCHEDULERS: 'on' too), and the warm-up's days. */
  clock?: Clock;
  /** Answers MX lookups (provider grouping) instead of DNS. */
  mxResolver?: MxResolver;
}

export async function startTestHerald(options: TestHeraldOptions = {}): Promise<TestHerald> {
  const database = options.embedded ? undefined : (options.database ?? (await createTestDatabase()));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'herald-test-'));
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    // Any free port, bound by Herald and read back from it below.
    PORT: '0',
    HERALD_DATA_DIR: dataDir,
    REDIS_URL,
    HERALD_QUEUE_PREFIX: randomPrefix(),
    HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
    HERALD_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    HERALD_RELAY_INTERVAL_MS: '500',
    LOG_LEVEL: 'silent',
    // No digest runs by the clock: a real DIGEST_TIME must never land in the middle of a test.
    DIGEST_SCHEDULERS: 'off',
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const herald = await startHerald(config, {
    http: options.http ?? true,
    workers: options.workers ?? true,
    database,
    log: options.log ?? pino({ level: process.env.HERALD_TEST_LOG ?? 'silent' }),
    clock: options.clock,
    mxResolver: options.mxResolver,
  });
  const baseUrl = herald.address ?? 'http://127.0.0.1:0';
  return {
    ...herald,
    baseUrl,
    database,
    env,
    api(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token !== null) headers.authorization = `Bearer ${init.token ?? ADMIN_TOKEN}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${baseUrl}${path}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
    },
    async stop() {
      await herald.close();
      if (database && !options.database) await database.drop();
      if (!options.keepQueues) await clearQueuePrefix(env.HERALD_QUEUE_PREFIX);
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a truthy value. */
export async function eventually<T>(check: () => Promise<T | undefined | false | null>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
