// One email send across real processes, for the infrastructure-outage tests: a database full of confirmed readers,
// `herald worker` processes (and, when asked, an API process) on the given Redis and PostgreSQL, a real SMTP server of
// the test's own, and the figures every fault is judged by: who is missing, who got a second copy, what the
// database says, how long the send took to finish once the fault was over.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { articleInput } from '../../src/articles/article-input.js';
import { publishArticle } from '../../src/articles/publish.js';
import { migrate, openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { readInstallationId, redisNamespace } from '../../src/db/installation.js';
import { articlePayload } from './articles.js';
import { eventually, randomPrefix } from './herald.js';
import { spawnHerald, type HeraldProcess } from './processes.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import { freeServicePort } from './private-services.js';

export const SEND_CHUNK = 10;
/** Batch jobs each worker process runs at once (workers/email-batch-worker.ts). */
export const BATCHES_PER_WORKER = 2;

export interface OutageSendOptions {
  redisUrl: string;
  databaseUrl: string;
  subscribers: number;
  /** Milliseconds the SMTP server takes per message, so the fault lands mid-send. */
  smtpDelayMs?: number;
  env?: Record<string, string>;
}

export interface SendFigures {
  missing: number;
  duplicates: number;
  /** Deliveries by status. */
  statuses: Record<string, number>;
  /** Subscribers no longer `confirmed` (a false bounce would show here). */
  notConfirmed: number;
}

export interface OutageSend {
  database: DatabaseHandle;
  smtp: SmtpSink;
  /** The Redis key prefix every process of this send uses (HERALD_QUEUE_PREFIX plus the installation id). */
  redisPrefix(): Promise<string>;
  startWorker(extraEnv?: Record<string, string>): HeraldProcess;
  /** `herald serve --no-workers`; resolves with its base URL once it answers. */
  startApi(): Promise<{ process: HeraldProcess; baseUrl: string }>;
  publish(): Promise<number>;
  waitForMessages(count: number, timeoutMs?: number): Promise<void>;
  /** Waits for the dispatch to be `completed`; resolves with the milliseconds it took from the call. */
  finish(dispatchId: number, timeoutMs?: number): Promise<number>;
  figures(dispatchId: number): Promise<SendFigures>;
  close(): Promise<void>;
}

export async function startOutageSend(options: OutageSendOptions): Promise<OutageSend> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const smtp = await startSmtpSink({ delayMs: options.smtpDelayMs ?? 2 });
  cleanups.push(() => smtp.close());
  const database = await openDatabase({ url: options.databaseUrl, poolSize: 3 });
  cleanups.push(() => database.db.destroy());
  await migrate(database.db);
  await sql`
    insert into subscribers (email, name, status, confirmed_at)
    select 'reader' || n || '@example.com', 'Reader ' || n, 'confirmed', now() from generate_series(1, ${options.subscribers}) as n
  `.execute(database.db);

  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    HERALD_QUEUE_PREFIX: randomPrefix(),
    HERALD_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    HERALD_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    SMTP_URL: smtp.url,
    SMTP_POOL_SIZE: '3',
    EMAIL_SEND_CHUNK: String(SEND_CHUNK),
    EMAIL_BATCH_SIZE: '100',
    HERALD_JOB_LOCK_MS: '3000',
    HERALD_RELAY_INTERVAL_MS: '500',
    HERALD_RECONCILE_INTERVAL_MS: '3000',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const spawnOne = (args: string[], extra: Record<string, string>) => {
    const proc = spawnHerald(args, { ...env, HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-outage-')), ...extra });
    cleanups.push(() => proc.kill('SIGKILL'));
    return proc;
  };

  return {
    database,
    smtp,
    redisPrefix: async () => redisNamespace(env.HERALD_QUEUE_PREFIX, await readInstallationId(database.db)),
    startWorker: (extraEnv = {}) => spawnOne(['worker'], extraEnv),
    async startApi() {
      const port = await freeServicePort();
      const proc = spawnOne(['serve', '--no-workers'], { HOST: '127.0.0.1', PORT: String(port) });
      const baseUrl = `http://127.0.0.1:${port}`;
      await eventually(async () => (await fetch(`${baseUrl}/healthz`)).ok, 60_000, 'the API process to answer');
      return { process: proc, baseUrl };
    },
    async publish() {
      const { dispatch } = await publishArticle(database.db, articleInput.parse({ ...articlePayload(), channels: ['email'] }));
      return dispatch!.id;
    },
    async waitForMessages(count, timeoutMs = 60_000) {
      await eventually(async () => smtp.messages.length >= count, timeoutMs, `${count} messages at the SMTP server`);
    },
    async finish(dispatchId, timeoutMs = 90_000) {
      const started = Date.now();
      await eventually(async () => {
        const row = await database.db.selectFrom('dispatches').select('status').where('id', '=', dispatchId).executeTakeFirst();
        return row?.status === 'completed';
      }, timeoutMs, `dispatch ${dispatchId} to complete`);
      return Date.now() - started;
    },
    async figures(dispatchId) {
      const counts = new Map<string, number>();
      for (const m of smtp.messages) for (const to of m.envelopeTo) counts.set(to, (counts.get(to) ?? 0) + 1);
      let missing = 0;
      for (let n = 1; n <= options.subscribers; n++) if (!counts.has(`reader${n}@example.com`)) missing++;
      const duplicates = [...counts.values()].reduce((sum, c) => sum + (c - 1), 0);
      const rows = await database.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('dispatchId', '=', dispatchId).groupBy('status').execute();
      const notConfirmed = await database.db.selectFrom('subscribers').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '!=', 'confirmed').executeTakeFirstOrThrow();
      return {
        missing,
        duplicates,
        statuses: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])),
        notConfirmed: Number(notConfirmed.n),
      };
    },
    async close() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    },
  };
}

/** Prints one fault's figures in a form the failure model in docs/ARCHITECTURE.md is written from. */
export function reportFault(fault: string, figures: SendFigures & { finishMs: number }): void {
  process.stdout.write(`failure-model ${JSON.stringify({ fault, ...figures })}\n`);
}
