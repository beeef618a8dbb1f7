// The composition root: builds a running Herald (database, Redis, queues, relay, HTTP, workers) and closes it again.
import { FlowProducer } from 'bullmq';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createClickCounting } from './analytics/click-counting.js';
import { ConfigError, type Config } from './config/config.js';
import type { HeraldContext } from './context.js';
import { isDatabaseUnavailable } from './db/database-errors.js';
import { migrate, openDatabase, pgliteDataDir, type DatabaseHandle } from './db/database.js';
import { readInstallationId, redisNamespace } from './db/installation.js';
import { OutboxRelay } from './dispatch/outbox-relay.js';
import { WebhookRelay } from './webhooks/webhook-relay.js';
import { createEditorial } from './editorial/editorial.js';
import { editionSettingsFrom } from './email/edition-service.js';
import { QueueReconciler } from './dispatch/queue-reconciler.js';
import { RetentionPass } from './delivery/retention-pass.js';
import { createMetrics } from './runtime/metrics.js';
import { outboundFetcher } from './net/outbound-fetch.js';
import { createQueues } from './queue/queues.js';
import { bootstrapAdminToken } from './runtime/bootstrap-admin.js';
import { ensureDataDir, loadOrCreateSecret, restrictTree } from './runtime/data-dir.js';
import { digestRepeatStrategy } from './digest/digest-scheduler.js';
import { restoreMissingSchedules } from './queue/job-schedules.js';
import { systemClock, type Clock } from './runtime/clock.js';
import type { MxResolver } from './email/pacing/mx-directory.js';
import { createLogger } from './runtime/logger.js';
import { OutageLog, reportClientErrors } from './runtime/outage-log.js';
import { startRedis } from './runtime/redis.js';
import { startWorkerOpsServer } from './ops/worker-ops-server.js';
import { SocialAccounts } from './social/social-accounts.js';
import { startWorkers, type RunningWorkers } from '../workers/index.js';
import { startHeapBudget } from './runtime/heap-budget.js';

export interface HeraldOptions {
  /** Serve the HTTP API (serve) — off for `herald worker`. */
  http: boolean;
  /** Run the queue workers in this process. */
  workers: boolean;
  log?: Logger;
  /** An already open database (tests); otherwise opened from the config. */
  database?: DatabaseHandle;
  /** Where the generated admin token is announced (stderr by default). */
  announce?: (message: string) => void;
  /** The calendar the digest schedulers follow; the system clock unless a test sets one. */
  clock?: Clock;
  /** MX lookups for grouping recipients by provider; node:dns unless a test sets one. */
  mxResolver?: MxResolver;
}

export interface Herald {
  ctx: HeraldContext;
  http?: FastifyInstance;
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:3000. */
  address?: string;
  workers?: RunningWorkers;
  /** `herald worker`'s /metrics, /livez and /readyz server (HERALD_WORKER_PORT), e.g. http://127.0.0.1:3001. */
  opsAddress?: string;
  close(): Promise<void>;
}

export class SingleProcessDatabaseError extends Error {}

export async function startHerald(config: Config, options: HeraldOptions): Promise<Herald> {
  const log = options.log ?? createLogger(config.LOG_LEVEL);
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) {
      await closeOne().catch((error) => log.warn({ event: 'shutdown.error', err: error }, 'error while closing'));
    }
  };
  try {
    ensureDataDir(config.HERALD_DATA_DIR);
    if (config.DATABASE_URL && !config.HERALD_SECRET) {
      // Links signed by one process are checked by another: a secret generated per data dir would break them.
      throw new ConfigError([
        { variable: 'HERALD_SECRET', message: 'must be set (the same value in every process) when DATABASE_URL is set' },
      ]);
    }
    const secret = loadOrCreateSecret(config.HERALD_DATA_DIR, config.HERALD_SECRET);

    const database =
      options.database ??
      (await openDatabase({ url: config.DATABASE_URL, dataDir: pgliteDataDir(config.HERALD_DATA_DIR) }));
    if (!options.database) closers.push(() => database.db.destroy());
    if (!options.database && !config.DATABASE_URL) restrictTree(pgliteDataDir(config.HERALD_DATA_DIR));
    if (options.workers && !options.http && !database.shareable) {
      throw new SingleProcessDatabaseError(
        'herald worker needs DATABASE_URL: the embedded PGlite database lives inside one process ' +
          '(use `herald serve`, which runs the workers too, or point every process at PostgreSQL).',
      );
    }
    await migrate(database.db);
    await bootstrapAdminToken(database.db, {
      configured: config.HERALD_ADMIN_TOKEN,
      dataDir: config.HERALD_DATA_DIR,
      log,
      announce: options.announce,
    });

    const redis = await startRedis({ url: config.REDIS_URL, dataDir: config.HERALD_DATA_DIR, log });
    closers.push(() => redis.close());
    const redisPrefix = redisNamespace(config.HERALD_QUEUE_PREFIX, await readInstallationId(database.db));
    const clock = options.clock ?? systemClock;
    const queues = createQueues(redis.connection, redisPrefix, { digestRepeatStrategy: digestRepeatStrategy(clock) });
    for (const queue of queues.all()) reportClientErrors(queue, log, `queue ${queue.name}`);
    closers.push(() => queues.close());

    const outages = new OutageLog(log);
    const relay = new OutboxRelay(database.db, queues, { intervalMs: config.HERALD_RELAY_INTERVAL_MS });
    relay.on('error', (error) => {
      if (isDatabaseUnavailable(error)) outages.lost('database', error);
      else log.warn({ event: 'relay.error', err: error }, 'outbox relay pass failed; will retry');
    });
    relay.on('passed', () => outages.restored('database'));
    const metrics = createMetrics(queues);
    const editorial = createEditorial({
      db: database.db,
      queues,
      relay,
      metrics,
      editionSettings: () => editionSettingsFrom({ config, secret }),
      clock,
    });
    const clicks = createClickCounting({ db: database.db, redis: redis.connection, redisPrefix, config, log });
    // Clicks only arrive where HTTP is served; closed after the server, so its last clicks are flushed too.
    if (options.http) {
      clicks.flush.start();
      closers.push(() => clicks.flush.stop());
    }
    const ctx: HeraldContext = {
      config,
      secret,
      linkSecrets: [secret, ...(config.HERALD_SECRET_PREVIOUS ? [config.HERALD_SECRET_PREVIOUS] : [])],
      fetcher: outboundFetcher(config),
      db: database.db,
      redis: redis.connection,
      redisPrefix,
      queues,
      relay,
      metrics,
      social: SocialAccounts.fromConfig(config, log.child({ component: 'social' })),
      log,
      outages,
      clock,
      ...(options.mxResolver ? { mxResolver: options.mxResolver } : {}),
      editorial,
      clicks,
    };

    const herald: Herald = { ctx, close };
    if (options.http) {
      // Bound before the routes are built: with PORT=0 (any free port, as tests use) the links in pages and mail
      // name the port bound, and the workers, started after this, read the same PUBLIC_URL.
      // Until the routes are ready, the bound port answers 503 at once: a probe or a client that arrives during
      // start-up must not wait on a request nobody will answer.
      type Handler = (req: IncomingMessage, res: ServerResponse) => void;
      let route: Handler | undefined;
      let fastifyHandler: Handler | undefined;
      const server = createServer((req, res) => {
        if (route) return route(req, res);
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"status":"starting"}');
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.PORT, config.HOST, () => resolve());
      });
      closers.push(() => new Promise((resolve) => server.close(resolve)));
      const { port } = server.address() as AddressInfo;
      const publicUrl = new URL(config.PUBLIC_URL);
      if (publicUrl.port === '0') {
        publicUrl.port = String(port);
        config.PUBLIC_URL = publicUrl.toString().replace(/\/+$/, '');
      }
      // Loaded only here: a `herald worker` process never carries the HTTP stack (~60 MB of RSS).
      const { buildHttpServer } = await import('./http/server.js');
      const http = await buildHttpServer(ctx, { server, route: (handler) => (fastifyHandler = handler) });
      closers.push(() => http.close());
      await http.ready();
      route = fastifyHandler;
      herald.address = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
      herald.http = http;
      log.info({ event: 'http.listening', address: herald.address }, `Herald listening on ${herald.address}`);
    }
    if (options.workers) {
      herald.workers = await startWorkers(ctx);
      closers.push(() => herald.workers!.close());
      if (config.HERALD_HEAP_BUDGET_MB > 0) {
        const heapBudget = startHeapBudget({
          budgetBytes: config.HERALD_HEAP_BUDGET_MB * 1024 * 1024,
          onCollected: (collection) => log.debug({ event: 'heap.collected', ...collection }, 'heap grew past its budget; collected'),
        });
        closers.push(async () => heapBudget.stop());
      }
    }
    relay.start();
    closers.push(() => relay.stop());
    const webhookRelay = new WebhookRelay(database.db, queues, { intervalMs: config.HERALD_RELAY_INTERVAL_MS });
    webhookRelay.on('error', (error) => {
      if (!isDatabaseUnavailable(error)) log.warn({ event: 'webhook_relay.error', err: error }, 'webhook relay pass failed; will retry');
    });
    webhookRelay.start();
    closers.push(() => webhookRelay.stop());

    const reconcilerFlows = new FlowProducer({ connection: redis.connection, prefix: redisPrefix });
    closers.push(() => reconcilerFlows.close());
    reportClientErrors(reconcilerFlows, log, 'reconciler flow producer');
    const reconciler = new QueueReconciler(database.db, queues, reconcilerFlows, redis.connection, {
      intervalMs: config.HERALD_RECONCILE_INTERVAL_MS,
      lockKey: `${redisPrefix}:reconciler-lock`,
      restoreSchedules: () => restoreMissingSchedules(ctx),
      clock,
    });
    reconciler.on('error', (error) => {
      if (isDatabaseUnavailable(error)) outages.lost('database', error);
      else log.warn({ event: 'reconciler.error', err: error }, 'queue reconciliation failed; will retry');
    });
    reconciler.on('requeued', (report) =>
      log.warn({ event: 'reconciler.requeued', ...report }, 'steps the database says are unfinished had no job; queued them again'),
    );
    reconciler.start();
    closers.push(() => reconciler.stop());
    if (config.HERALD_DELIVERY_RETENTION_DAYS > 0) {
      const retention = new RetentionPass(database.db, redis.connection, {
        retentionDays: config.HERALD_DELIVERY_RETENTION_DAYS,
        lockKey: `${redisPrefix}:retention-lock`,
      });
      retention.on('error', (error) => log.warn({ event: 'retention.error', err: error }, 'delivery rollup failed; will retry'));
      retention.on('rolledUp', (rows) => log.info({ event: 'retention.rolled_up', rows }, 'old delivery rows rolled into totals'));
      retention.start();
      closers.push(() => retention.stop());
    }
    if (!options.http && config.HERALD_WORKER_PORT !== undefined) {
      const ops = await startWorkerOpsServer(ctx, config.HERALD_WORKER_PORT, config.HOST);
      closers.push(() => ops.close());
      herald.opsAddress = ops.address;
    }
    return herald;
  } catch (error) {
    await close();
    throw error;
  }
}
