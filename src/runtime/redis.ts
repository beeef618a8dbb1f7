// Connects to Redis; in embedded mode (no REDIS_URL, nothing on 6379) starts a redis-server of its own.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isConnectionError, OutageLog } from './outage-log.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export class RedisUnavailableError extends Error {}

export interface RedisRuntime {
  url: string;
  /** Shared connection for queues and health checks (BullMQ duplicates it for blocking worker connections). */
  connection: Redis;
  close(): Promise<void>;
}

export function createRedisConnection(url: string): Redis {
  // BullMQ requires maxRetriesPerRequest: null so blocking commands survive reconnects.
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: true });
}

/** Whether a Redis answers PING at `url` (one short try, no retries). */
export async function redisAnswersAt(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function startEmbeddedRedis(dataDir: string, port: number, log: Logger): ChildProcess {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new RedisUnavailableError(
      'No Redis answers on 127.0.0.1:6379 and redis-server is not installed. Install it (Debian/Ubuntu: ' +
        '`apt-get install redis-server`, macOS: `brew install redis`), run `docker compose up -d redis`, ' +
        'or set REDIS_URL. In a container (the Herald image has no redis-server): use `docker compose up`, or ' +
        '`docker run -e REDIS_URL=redis://your-redis:6379 …`.',
    );
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  log.info({ event: 'redis.embedded.start', dir, port }, `starting embedded redis-server on 127.0.0.1:${port}`);
  // Append-only with fsync every second: queued jobs survive a restart, like the docker-compose service.
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '',
      '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  return child;
}

export async function startRedis(options: {
  url?: string;
  dataDir: string;
  log: Logger;
  /** Where Herald looks for Redis, and starts its own, when REDIS_URL is unset (tests use another port than 6379). */
  defaultUrl?: string;
}): Promise<RedisRuntime> {
  let child: ChildProcess | undefined;
  const url = options.url ?? options.defaultUrl ?? DEFAULT_REDIS_URL;
  if (!options.url && !(await redisAnswersAt(url))) {
    child = startEmbeddedRedis(options.dataDir, Number(new URL(url).port || 6379), options.log);
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswersAt(url))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill();
        throw new RedisUnavailableError('The embedded redis-server did not start; see HERALD_DATA_DIR/redis.');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const connection = createRedisConnection(url);
  // ioredis reconnects on its own (and BullMQ's commands wait for it): one line when Redis goes, one when it is back.
  const outages = new OutageLog(options.log);
  let connected = false;
  connection.on('error', (error) => {
    if (isConnectionError(error) || connected) outages.lost('redis', error);
    else options.log.warn({ event: 'redis.error', err: error }, 'redis connection error');
  });
  connection.on('close', () => connected && outages.lost('redis'));
  connection.on('ready', () => {
    connected = true;
    outages.restored('redis');
  });
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    child?.kill();
    throw new RedisUnavailableError(`Cannot connect to Redis at ${url}: ${(error as Error).message}`);
  }
  return {
    url,
    connection,
    close: async () => {
      await connection.quit().catch(() => connection.disconnect());
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child!.once('exit', r));
      }
    },
  };
}
