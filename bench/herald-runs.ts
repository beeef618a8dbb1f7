// Herald itself, end to end, as it is deployed: a compiled `herald worker` on PostgreSQL, and the embedded quick
// start (`herald serve` on PGlite, API and workers in one process). Each run publishes one edition to every reader and
// counts at the sink until all have arrived, sampling the process's RSS and Redis's memory as it goes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { articleInput } from '../src/articles/article-input.js';
import { publishArticle } from '../src/articles/publish.js';
import { migrate, openDatabase, pgliteDataDir, type Db } from '../src/db/database.js';
import { createPostgresDatabase } from '../tests/support/database.js';
import { clearQueuePrefix, randomPrefix } from '../tests/support/herald.js';
import { spawnHerald, type HeraldProcess } from '../tests/support/processes.js';
import type { DkimKey } from './baselines.js';
import type { Sink } from './sinks.js';

export interface RunOptions {
  sink: Sink;
  /** Where Herald sends: the sink's port, or the latency proxy's. */
  smtpPort: number;
  readers: number;
  poolSize: number;
  article: Record<string, unknown>;
  dkim?: DkimKey;
  /** NODE_OPTIONS for the Herald process; none by default (the goals are with no special flags). */
  nodeOptions?: string;
}

export interface RunFigures {
  emailsPerSecond: number;
  seconds: number;
  firstMessageMs: number;
  peakRssMb: number;
  redisGrowthMb: number;
  /** Herald's CPU (all its threads, user + system) per message sent, from the publish to the last arrival. */
  cpuMsPerMessage: number;
  /** The part of it on the main thread (the event loop), which alone bounds what one process can send. */
  mainThreadCpuMsPerMessage: number;
}

const REDIS_URL = 'redis://127.0.0.1:6379';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const log = (line: string) => process.stderr.write(`${line}\n`);

export function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/**
 * User + system CPU time of a process so far, in ms (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms); with
 * `mainThread`, of its main thread only (the event loop: /proc/PID/task/PID/stat).
 */
export function cpuMs(pid: number, mainThread = false): number {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0; // gone: the caller notices that the process exited
  }
}

export async function redisUsedMb(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0) / 1024 / 1024;
}

/** Readers seeded by one set-based insert (generate_series): a million in seconds, not a row at a time. */
export async function seedReaders(db: Db, readers: number): Promise<void> {
  await migrate(db);
  await sql`
    insert into subscribers (email, name, status, confirmed_at)
    select 'reader' || n || '@example.com', 'Reader ' || n, 'confirmed', now() from generate_series(1, ${readers}) as n
  `.execute(db);
  await sql`analyze subscribers`.execute(db);
}

export function heraldEnv(options: Pick<RunOptions, 'smtpPort' | 'poolSize' | 'dkim' | 'nodeOptions'>, prefix: string, dataDir: string): Record<string, string> {
  return {
    REDIS_URL,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_DATA_DIR: dataDir,
    HERALD_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
    HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
    SMTP_URL: `smtp://127.0.0.1:${options.smtpPort}`,
    SMTP_POOL_SIZE: String(options.poolSize),
    HERALD_RELAY_INTERVAL_MS: '200',
    DIGEST_SCHEDULERS: 'off',
    PUBLIC_URL: 'https://herald.example',
    POSTAL_ADDRESS: 'Herald, 1 Example Street',
    ...(options.dkim
      ? { DKIM_DOMAIN: options.dkim.domainName, DKIM_SELECTOR: options.dkim.keySelector, DKIM_PRIVATE_KEY: options.dkim.privateKey }
      : {}),
    ...(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}),
  };
}

/** Publishes (through `publish`), then waits for every reader's message at the sink. */
async function measure(options: RunOptions, herald: HeraldProcess, publish: () => Promise<void>): Promise<RunFigures> {
  const redis = new Redis(REDIS_URL);
  try {
    const pid = herald.child.pid!;
    const redisBefore = await redisUsedMb(redis);
    let peakRssMb = rssMb(pid);
    let peakRedisMb = redisBefore;
    await options.sink.reset();
    const cpuBefore = cpuMs(pid);
    const mainCpuBefore = cpuMs(pid, true);
    const started = performance.now();
    await publish();
    let received = 0;
    let firstMessageMs = 0;
    let lastReport = started;
    while (received < options.readers) {
      await new Promise((r) => setTimeout(r, 50));
      received = await options.sink.count();
      if (received > 0 && !firstMessageMs) firstMessageMs = performance.now() - started;
      peakRssMb = Math.max(peakRssMb, rssMb(pid));
      peakRedisMb = Math.max(peakRedisMb, await redisUsedMb(redis));
      if (herald.child.exitCode !== null) throw new Error(`Herald exited:\n${herald.output().slice(-4000)}`);
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(`  ${received}/${options.readers} received, RSS ${rssMb(pid).toFixed(0)} MB`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuSpent = cpuMs(pid) - cpuBefore;
    const mainCpuSpent = cpuMs(pid, true) - mainCpuBefore;
    return {
      emailsPerSecond: Math.round(options.readers / seconds),
      seconds: Number(seconds.toFixed(1)),
      firstMessageMs: Math.round(firstMessageMs),
      peakRssMb: Math.round(peakRssMb),
      redisGrowthMb: Number((peakRedisMb - redisBefore).toFixed(1)),
      cpuMsPerMessage: Number((cpuSpent / options.readers).toFixed(3)),
      mainThreadCpuMsPerMessage: Number((mainCpuSpent / options.readers).toFixed(3)),
    };
  } finally {
    redis.disconnect();
  }
}

export function uniqueArticle(article: Record<string, unknown>) {
  return { ...article, externalId: `bench-${Date.now()}-${Math.random().toString(36).slice(2)}`, channels: ['email'] };
}

/** `herald worker` (compiled) against a fresh PostgreSQL database; the article is published straight into it. */
export async function workerOnPostgres(options: RunOptions): Promise<RunFigures> {
  const pg = await createPostgresDatabase();
  const { db } = await openDatabase({ url: pg.url, poolSize: 2 });
  const prefix = randomPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  let worker: HeraldProcess | undefined;
  try {
    await seedReaders(db, options.readers);
    worker = spawnHerald(['worker'], { ...heraldEnv(options, prefix, dataDir), DATABASE_URL: pg.url, LOG_LEVEL: 'warn' }, { compiled: true });
    await new Promise((r) => setTimeout(r, 1500));
    return await measure(options, worker, async () => {
      await publishArticle(db, articleInput.parse(uniqueArticle(options.article)));
    });
  } finally {
    await worker?.kill('SIGTERM');
    await db.destroy();
    await pg.drop();
    await clearQueuePrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The variables `npm start` sets before `herald serve` (its script in package.json), so the embedded run is the quick start. */
export function npmStartEnv(): Record<string, string> {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const env: Record<string, string> = {};
  for (const word of scripts.start.trim().split(/\s+/)) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(word);
    if (!assignment) break;
    env[assignment[1]] = assignment[2];
  }
  return env;
}

/** The quick start's shape: `herald serve` on PGlite in its data folder; the article is published over the API. */
export async function embedded(options: RunOptions): Promise<RunFigures> {
  const prefix = randomPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-embedded-'));
  let serve: HeraldProcess | undefined;
  try {
    const seeding = await openDatabase({ dataDir: pgliteDataDir(dataDir) });
    await seedReaders(seeding.db, options.readers);
    await seeding.db.destroy();
    serve = spawnHerald(['serve'], { ...npmStartEnv(), ...heraldEnv(options, prefix, dataDir), PORT: '0', LOG_LEVEL: 'info' }, { compiled: true });
    const address = await listeningAddress(serve);
    return await measure(options, serve, async () => {
      const body = JSON.stringify(uniqueArticle(options.article));
      const post = () => fetch(`${address}/api/articles`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body });
      let response = await post();
      // 503 `starting`: the port is bound before the routes are ready.
      while (response.status === 503) {
        await new Promise((r) => setTimeout(r, 100));
        response = await post();
      }
      if (response.status !== 201) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
    });
  } finally {
    await serve?.kill('SIGTERM');
    await clearQueuePrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function listeningAddress(serve: HeraldProcess): Promise<string> {
  for (let waited = 0; waited < 60_000; waited += 100) {
    const match = /"event":"http\.listening","address":"([^"]+)"/.exec(serve.output());
    if (match) return match[1];
    if (serve.child.exitCode !== null) throw new Error(`herald serve exited:\n${serve.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('herald serve did not start listening within 60 s');
}
