// npm run bench: end-to-end email throughput of a real `herald worker` process against an SMTP sink in another
// process, compared with a naive nodemailer loop on the same sink; with the worker's peak RSS and Redis growth.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { articleInput } from '../src/articles/article-input.js';
import { publishArticle } from '../src/articles/publish.js';
import { migrate, openDatabase } from '../src/db/database.js';
import { renderEdition } from '../src/email/edition-renderer.js';
import { createPostgresDatabase } from '../tests/support/database.js';
import { clearQueuePrefix, randomPrefix } from '../tests/support/herald.js';
import { spawnHerald } from '../tests/support/processes.js';
import { fixturePayload } from '../tests/support/articles.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100000' },
    'baseline-sample': { type: 'string', default: '5000' },
    'pool-size': { type: 'string', default: '8' },
    /**
     * Node.js flags for the worker process. The default is what docker-compose.yml and the README recommend for
     * workers: a bounded old generation makes V8 collect sooner, which keeps RSS flat at no cost in throughput.
     */
    'node-options': { type: 'string', default: '--max-old-space-size=128' },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const BASELINE_SAMPLE = Math.min(SUBSCRIBERS, Number(values['baseline-sample']));
const REDIS_URL = 'redis://127.0.0.1:6379';
const log = (line: string) => process.stderr.write(`${line}\n`);

function startSink(): Promise<{ port: number; count(): Promise<number>; reset(): void; stop(): void; child: ChildProcess }> {
  const child = fork(new URL('./smtp-sink-process.ts', import.meta.url).pathname, { execArgv: ['--import', 'tsx'] });
  return new Promise((resolve) => {
    child.once('message', (m: { port: number }) =>
      resolve({
        port: m.port,
        child,
        count: () =>
          new Promise((r) => {
            const onMessage = (reply: { type: string; received: number }) => {
              if (reply.type !== 'count') return;
              child.off('message', onMessage);
              r(reply.received);
            };
            child.on('message', onMessage);
            child.send({ type: 'count' });
          }),
        reset: () => child.send({ type: 'reset' }),
        stop: () => child.send({ type: 'stop' }),
      }),
    );
  });
}

function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function redisUsedMb(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1024 / 1024;
}

/** What most people write first: compose and send each message, one after another. */
async function naiveLoop(port: number, html: string, text: string, subject: string, count: number): Promise<number> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, pool: true, ignoreTLS: true });
  const started = performance.now();
  for (let i = 1; i <= count; i++) {
    await transport.sendMail({
      from: 'Herald <news@herald.example>',
      to: `"Reader ${i}" <reader${i}@example.com>`,
      subject,
      html: html.replaceAll('%%recipient.name%%', `Reader ${i}`),
      text: text.replaceAll('%%recipient.name%%', `Reader ${i}`),
      headers: { 'List-Unsubscribe': `<https://herald.example/unsubscribe/${i}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
  }
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return count / seconds;
}

async function main() {
  const sink = await startSink();
  const pg = await createPostgresDatabase();
  const { db } = await openDatabase({ url: pg.url, poolSize: 4 });
  const prefix = randomPrefix();
  const redis = new Redis(REDIS_URL);
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  let worker: ReturnType<typeof spawnHerald> | undefined;
  try {
    await migrate(db);
    log(`creating ${SUBSCRIBERS} confirmed subscribers…`);
    await sql`
      insert into subscribers (email, name, status, confirmed_at)
      select 'reader' || n || '@example.com', 'Reader ' || n, 'confirmed', now() from generate_series(1, ${SUBSCRIBERS}) as n
    `.execute(db);
    await sql`analyze subscribers`.execute(db);

    const payload = fixturePayload('seed-article');
    const edition = await renderEdition(articleInput.parse(payload) as never, {
      listName: 'Herald', postalAddress: 'Herald, 1 Example Street', viewInBrowserUrl: 'https://herald.example/editions/1',
    });
    log(`naive baseline: a plain nodemailer loop, ${BASELINE_SAMPLE} messages…`);
    const baselinePerSecond = await naiveLoop(sink.port, edition.html, edition.text, edition.subject, BASELINE_SAMPLE);
    sink.reset();

    const redisBefore = await redisUsedMb(redis);
    worker = spawnHerald(['worker'], {
      DATABASE_URL: pg.url,
      REDIS_URL,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_DATA_DIR: dataDir,
      HERALD_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
      HERALD_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef',
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      SMTP_POOL_SIZE: String(values['pool-size']),
      HERALD_RELAY_INTERVAL_MS: '200',
      PUBLIC_URL: 'https://herald.example',
      LOG_LEVEL: 'warn',
      ...(values['node-options'] ? { NODE_OPTIONS: values['node-options'] } : {}),
    }, { compiled: true });
    const pid = worker.child.pid!;
    await new Promise((r) => setTimeout(r, 1500));
    let peakRssMb = rssMb(pid);
    let peakRedisMb = redisBefore;

    log(`publishing to ${SUBSCRIBERS} subscribers through a herald worker…`);
    const started = performance.now();
    await publishArticle(db, articleInput.parse({ ...payload, externalId: `bench-${Date.now()}`, channels: ['email'] }));
    let received = 0;
    let lastReport = 0;
    while (received < SUBSCRIBERS) {
      await new Promise((r) => setTimeout(r, 100));
      received = await sink.count();
      peakRssMb = Math.max(peakRssMb, rssMb(pid));
      peakRedisMb = Math.max(peakRedisMb, await redisUsedMb(redis));
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(`  ${received}/${SUBSCRIBERS} received, worker RSS ${rssMb(pid).toFixed(0)} MB`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const emailsPerSecond = SUBSCRIBERS / seconds;
    const figures = {
      subscribers: SUBSCRIBERS,
      emailsPerSecond: Math.round(emailsPerSecond),
      baselinePerSecond: Math.round(baselinePerSecond),
      ratio: Number((emailsPerSecond / baselinePerSecond).toFixed(2)),
      peakRssMb: Math.round(peakRssMb),
      redisGrowthMb: Number((peakRedisMb - redisBefore).toFixed(1)),
    };
    console.log(`Herald end to end: ${figures.emailsPerSecond} emails/s (${SUBSCRIBERS} in ${seconds.toFixed(1)} s)`);
    console.log(`Naive nodemailer loop: ${figures.baselinePerSecond} emails/s (sample of ${BASELINE_SAMPLE})`);
    console.log(`Ratio: ${figures.ratio}x`);
    console.log(`Worker peak RSS: ${figures.peakRssMb} MB (NODE_OPTIONS=${values['node-options'] || 'none'})`);
    console.log(`Redis memory: ${redisBefore.toFixed(1)} MB before, ${peakRedisMb.toFixed(1)} MB at peak (+${figures.redisGrowthMb} MB)`);
    console.log(JSON.stringify(figures));
  } finally {
    await worker?.kill('SIGTERM');
    sink.stop();
    redis.disconnect();
    await db.destroy();
    await pg.drop();
    await clearQueuePrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
