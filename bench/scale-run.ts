// Breaking news to a large list (`--only scale --readers N`): readers seeded set-based, one breaking edition published
// into a `herald worker` on PostgreSQL, and what the list size changes measured — publish to the first message at the
// sink, the fan-out's length (the dispatch's start to its emailFannedOutAt), the worker's RSS and Redis's growth over
// the whole send (or up to the fan-out's end with `--scale-until fanout`), and the deliveries table's size per million.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { articleInput } from '../src/articles/article-input.js';
import { publishArticle } from '../src/articles/publish.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { createPostgresDatabase } from '../tests/support/database.js';
import { clearQueuePrefix, randomPrefix } from '../tests/support/herald.js';
import { spawnHerald, type HeraldProcess } from '../tests/support/processes.js';
import { heraldEnv, redisUsedMb, rssMb, seedReaders, uniqueArticle, type RunOptions } from './herald-runs.js';

export interface ScaleFigures {
  readers: number;
  seedSeconds: number;
  firstMessageMs: number;
  /**
   * Where the first message's time went, by the database's clock (ms): publish to the dispatch's start (the relay
   * and the start job), start to the edition rendered, to the first batch frozen, to the first delivery sent.
   */
  firstMessageStepsMs: { started: number; rendered: number; firstBatchFrozen: number; firstSent: number };
  /** The dispatch's startedAt to its emailFannedOutAt (both the database's clock). */
  fanOutSeconds: number;
  /** Publish to the last message at the sink; null when the run stopped at the fan-out's end. */
  sendSeconds: number | null;
  emailsPerSecond: number | null;
  received: number;
  peakRssMb: number;
  /** RSS when a quarter, half, three quarters and all of the messages had arrived (or at the fan-out's end). */
  rssAlongMb: number[];
  /** Redis's used_memory, peak minus before (the shared server: other clients' keys count too). */
  redisGrowthMb: number;
  /** The run's own keys only (MEMORY USAGE over its prefix), at their sampled peak. */
  redisPrefixPeakMb: number;
  redisPrefixPeakKeys: number;
  deliveriesRows: number;
  /** pg_total_relation_size(deliveries): heap, TOAST and every index. */
  deliveriesMb: number;
  deliveriesIndexesMb: number;
  deliveriesMbPerMillion: number;
}

export interface ScaleOptions extends RunOptions {
  /** `sent`: until every message arrived; `fanout`: until the fan-out ends (a 1M run without sending 1M). */
  until: 'sent' | 'fanout';
  /** The run gives up after this long. */
  timeoutSeconds: number;
}

const REDIS_URL = 'redis://127.0.0.1:6379';
const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (bytes: number) => Number((bytes / 1024 / 1024).toFixed(1));

/** The bytes and key count of everything under the run's prefix. */
async function prefixMemory(redis: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of found) pipeline.memory('USAGE', key);
    for (const [, used] of (await pipeline.exec()) ?? []) bytes += Number(used ?? 0);
    keys += found.length;
  } while (cursor !== '0');
  return { bytes, keys };
}

async function deliveriesSize(db: Db): Promise<{ rows: number; total: number; indexes: number }> {
  const { rows } = await sql<{ rows: number; total: string; indexes: string }>`
    select (select count(*)::int from deliveries) as rows,
      pg_total_relation_size('deliveries') as total, pg_indexes_size('deliveries') as indexes
  `.execute(db);
  return { rows: rows[0].rows, total: Number(rows[0].total), indexes: Number(rows[0].indexes) };
}

async function firstMessageSteps(db: Db, dispatchId: number): Promise<ScaleFigures['firstMessageStepsMs']> {
  const { rows } = await sql<ScaleFigures['firstMessageStepsMs']>`
    with t as (
      select d.created_at as published, d.started_at as started,
        (select created_at from editions where dispatch_id = d.id) as rendered,
        (select min(created_at) from deliveries where dispatch_id = d.id and batch_no = 1) as frozen,
        (select min(updated_at) from deliveries where dispatch_id = d.id and status = 'sent') as sent
      from dispatches d where d.id = ${dispatchId}
    )
    select round(extract(epoch from started - published) * 1000)::int as started,
      round(extract(epoch from rendered - started) * 1000)::int as rendered,
      round(extract(epoch from frozen - rendered) * 1000)::int as "firstBatchFrozen",
      round(extract(epoch from sent - frozen) * 1000)::int as "firstSent"
    from t
  `.execute(db);
  return rows[0];
}

async function fanOutState(db: Db, dispatchId: number): Promise<{ done: boolean; seconds: number | null }> {
  const { rows } = await sql<{ seconds: number | null; done: boolean }>`
    select extract(epoch from email_fanned_out_at - started_at)::float8 as seconds, email_fanned_out_at is not null as done
    from dispatches where id = ${dispatchId}
  `.execute(db);
  return { done: rows[0]?.done ?? false, seconds: rows[0]?.seconds ?? null };
}

export async function scaleRun(options: ScaleOptions): Promise<ScaleFigures> {
  const pg = await createPostgresDatabase();
  const { db } = await openDatabase({ url: pg.url, poolSize: 2 });
  const prefix = randomPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-scale-'));
  const redis = new Redis(REDIS_URL);
  let worker: HeraldProcess | undefined;
  try {
    const seeding = performance.now();
    await seedReaders(db, options.readers);
    const seedSeconds = Number(((performance.now() - seeding) / 1000).toFixed(1));
    // A list that has been there a while, not one just inserted: autovacuum's first pass over a million new rows
    // would otherwise land in the middle of the measurement.
    await sql`vacuum (analyze) subscribers`.execute(db);
    log(`  ${options.readers} readers seeded in ${seedSeconds} s`);
    worker = spawnHerald(['worker'], { ...heraldEnv(options, prefix, dataDir), DATABASE_URL: pg.url, LOG_LEVEL: 'warn' }, { compiled: true });
    await new Promise((r) => setTimeout(r, 3000));
    const pid = worker.child.pid!;
    const redisBefore = await redisUsedMb(redis);
    let peakRedisMb = redisBefore;
    let peakRssMb = rssMb(pid);
    let prefixPeak = { bytes: 0, keys: 0 };
    await options.sink.reset();

    const started = performance.now();
    const { dispatch } = await publishArticle(db, articleInput.parse({ ...uniqueArticle(options.article), priority: 'breaking' }));
    const dispatchId = dispatch!.id;
    let received = 0;
    let firstMessageMs = 0;
    let fanOut: { done: boolean; seconds: number | null } = { done: false, seconds: null };
    const rssAlongMb: number[] = [];
    let lastSlow = 0;
    let lastReport = started;
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const now = performance.now();
      received = await options.sink.count();
      if (received > 0 && !firstMessageMs) firstMessageMs = now - started;
      const rss = rssMb(pid);
      peakRssMb = Math.max(peakRssMb, rss);
      while (rssAlongMb.length < 4 && received >= (options.readers * (rssAlongMb.length + 1)) / 4) rssAlongMb.push(Math.round(rss));
      peakRedisMb = Math.max(peakRedisMb, await redisUsedMb(redis));
      if (now - lastSlow > 1000) {
        lastSlow = now;
        if (!fanOut.done) fanOut = await fanOutState(db, dispatchId);
        const used = await prefixMemory(redis, prefix);
        if (used.bytes > prefixPeak.bytes) prefixPeak = used;
      }
      if (worker.child.exitCode !== null) throw new Error(`Herald exited:\n${worker.output().slice(-4000)}`);
      if (now - lastReport > 5000) {
        lastReport = now;
        log(`  ${received}/${options.readers} received, fan-out ${fanOut.done ? 'done' : 'running'}, RSS ${rss.toFixed(0)} MB`);
      }
      if (options.until === 'fanout' ? fanOut.done : received >= options.readers) break;
      if (now - started > options.timeoutSeconds * 1000) throw new Error(`scale run: not done after ${options.timeoutSeconds} s (${received} received)`);
    }
    const seconds = (performance.now() - started) / 1000;
    if (options.until === 'fanout') rssAlongMb.push(Math.round(rssMb(pid)));
    const size = await deliveriesSize(db);
    const steps = await firstMessageSteps(db, dispatchId);
    return {
      readers: options.readers,
      seedSeconds,
      firstMessageMs: Math.round(firstMessageMs),
      firstMessageStepsMs: steps,
      fanOutSeconds: Number((fanOut.seconds ?? 0).toFixed(1)),
      sendSeconds: options.until === 'sent' ? Number(seconds.toFixed(1)) : null,
      emailsPerSecond: options.until === 'sent' ? Math.round(options.readers / seconds) : null,
      received,
      peakRssMb: Math.round(peakRssMb),
      rssAlongMb,
      redisGrowthMb: Number((peakRedisMb - redisBefore).toFixed(1)),
      redisPrefixPeakMb: mb(prefixPeak.bytes),
      redisPrefixPeakKeys: prefixPeak.keys,
      deliveriesRows: size.rows,
      deliveriesMb: mb(size.total),
      deliveriesIndexesMb: mb(size.indexes),
      deliveriesMbPerMillion: size.rows ? Math.round(mb(size.total) * (1e6 / size.rows)) : 0,
    };
  } finally {
    await worker?.kill('SIGTERM');
    redis.disconnect();
    await db.destroy();
    await pg.drop();
    await clearQueuePrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function printScale(s: ScaleFigures): void {
  console.log(`${`breaking news to ${s.readers} readers (herald worker)`.padEnd(44)} first message ${s.firstMessageMs} ms ` +
    `(start ${s.firstMessageStepsMs.started}, render ${s.firstMessageStepsMs.rendered}, first batch frozen ${s.firstMessageStepsMs.firstBatchFrozen}, ` +
    `first sent ${s.firstMessageStepsMs.firstSent} ms later), ` +
    `fan-out ${s.fanOutSeconds} s, ` + (s.sendSeconds === null ? `stopped at the fan-out's end (${s.received} received)` : `whole send ${s.sendSeconds} s (${s.emailsPerSecond} msg/s)`));
  console.log(`${''.padEnd(44)} peak RSS ${s.peakRssMb} MB (along the send: ${s.rssAlongMb.join(', ')} MB), Redis +${s.redisGrowthMb} MB ` +
    `(the run's own keys: ${s.redisPrefixPeakMb} MB in ${s.redisPrefixPeakKeys} at their peak)`);
  console.log(`${''.padEnd(44)} deliveries: ${s.deliveriesRows} rows, ${s.deliveriesMb} MB with indexes (${s.deliveriesIndexesMb} MB of them), ` +
    `${s.deliveriesMbPerMillion} MB per million; readers seeded in ${s.seedSeconds} s`);
}
