// The SMTP side failing under a running send, with real processes: a worker (or a serving process) on PostgreSQL and
// a real SMTP server of the test's own on loopback that goes down, hangs after DATA, or refuses a whole domain for
// policy. Each ends with every reader holding one copy (duplicates at most the messages in flight at the fault), no
// false `failed` or `bounced`, and the dispatch finishing by itself. Figures go to docs/ARCHITECTURE.md.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { articleInput } from '../../../src/articles/article-input.js';
import { publishArticle } from '../../../src/articles/publish.js';
import { migrate, openDatabase, type DatabaseHandle } from '../../../src/db/database.js';
import { articlePayload } from '../../support/articles.js';
import { createPostgresDatabase } from '../../support/database.js';
import { ADMIN_TOKEN, clearQueuePrefix, eventually, randomPrefix, REDIS_URL } from '../../support/herald.js';
import { spawnHerald } from '../../support/processes.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeServicePort } from '../../support/private-services.js';

const SEND_CHUNK = 10;
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** What a fault did, as the report and docs/ARCHITECTURE.md give it. */
function report(fault: string, figures: { missing: number; duplicates: number; finishMs: number }) {
  console.log(`[fault] ${fault}: missing ${figures.missing}, duplicates ${figures.duplicates}, finished in ${(figures.finishMs / 1000).toFixed(1)} s`);
}

async function setUp(readers: number, email: (n: number) => string = (n) => `reader${n}@example.com`) {
  const pg = await createPostgresDatabase();
  const database: DatabaseHandle = await openDatabase({ url: pg.url, poolSize: 4 });
  await migrate(database.db);
  const prefix = randomPrefix();
  cleanups.push(() => pg.drop(), () => database.db.destroy(), () => clearQueuePrefix(prefix));
  const addresses = Array.from({ length: readers }, (_, i) => email(i + 1));
  await sql`
    insert into subscribers (email, name, status, confirmed_at)
    select a, 'Reader', 'confirmed', now() from unnest(${addresses}::text[]) as a
  `.execute(database.db);
  const env = (smtpUrl: string, extra: Record<string, string> = {}): Record<string, string> => ({
    DATABASE_URL: pg.url,
    REDIS_URL,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-faults-')),
    HERALD_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
    SMTP_URL: smtpUrl,
    SMTP_POOL_SIZE: '3',
    EMAIL_SEND_CHUNK: String(SEND_CHUNK),
    EMAIL_BATCH_SIZE: '100',
    HERALD_JOB_LOCK_MS: '5000',
    HERALD_RELAY_INTERVAL_MS: '300',
    // A small backoff cap keeps the long outage's test bounded; the retry window stays at its 60-minute default.
    SMTP_RETRY_BACKOFF_MS: '200',
    SMTP_RETRY_BACKOFF_MAX_MS: '2000',
    SMTP_CONNECTION_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const spawn = (args: string[], smtpUrl: string, extra?: Record<string, string>) => {
    const proc = spawnHerald(args, env(smtpUrl, extra));
    cleanups.push(() => proc.kill('SIGKILL'));
    return proc;
  };
  const publish = async () => {
    const { dispatch } = await publishArticle(database.db, articleInput.parse({ ...articlePayload(), channels: ['email'] }));
    return dispatch!.id;
  };
  const statusOf = async (id: number) =>
    (await database.db.selectFrom('dispatches').select(['status', 'pauseReason']).where('id', '=', id).executeTakeFirstOrThrow());
  const finished = (id: number, timeoutMs = 240_000) =>
    eventually(async () => {
      const { status } = await statusOf(id);
      return (status === 'completed' || status === 'completed_with_failures') && status;
    }, timeoutMs, 'the dispatch to finish');
  const deliveryCounts = async (id: number) => {
    const rows = await database.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('dispatchId', '=', id).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  };
  const subscriberCounts = async () => {
    const rows = await database.db.selectFrom('subscribers').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  };
  return { database, addresses, spawn, publish, statusOf, finished, deliveryCounts, subscriberCounts };
}

function perRecipient(...sinks: SmtpSink[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sink of sinks) for (const m of sink.messages) for (const to of m.envelopeTo) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

describe.each([
  ['20 s', 20_000],
  ['3 minutes', 180_000],
])('the SMTP server down for %s mid-send', (label, outageMs) => {
  it('delays the send and fails nobody: everyone gets one copy, duplicates at most the messages in flight', async () => {
    const READERS = 1200;
    const first = await startSmtpSink({ delayMs: 3 });
    cleanups.push(() => first.close());
    const { spawn, publish, finished, deliveryCounts, subscriberCounts } = await setUp(READERS);
    spawn(['worker'], first.url);
    const dispatchId = await publish();

    await eventually(async () => first.messages.length >= READERS / 4, 60_000, 'a quarter of the send');
    await first.kill();
    // The outage itself: the fault under test lasts this long; nothing is asserted from the wait.
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    const back = await startSmtpSink({ delayMs: 3, port: first.port });
    cleanups.push(() => back.close());
    const restartedAt = Date.now();
    await expect(finished(dispatchId)).resolves.toBe('completed');

    const counts = perRecipient(first, back);
    const missing = READERS - counts.size;
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    report(`SMTP down ${label}`, { missing, duplicates, finishMs: Date.now() - restartedAt });
    expect(missing).toBe(0);
    // Only messages the server had taken when it died can arrive twice: at most one window per running batch.
    expect(duplicates).toBeLessThanOrEqual(2 * SEND_CHUNK);
    expect(await deliveryCounts(dispatchId)).toEqual({ sent: READERS });
    expect(await subscriberCounts()).toEqual({ confirmed: READERS });
  }, outageMs + 240_000);
});

describe('an SMTP server that goes silent after DATA for three readers', () => {
  it('holds only those three: the others go out meanwhile, and the three are resent after the socket timeout', async () => {
    const READERS = 300;
    const silentReaders = ['reader25@example.com', 'reader125@example.com', 'reader225@example.com'];
    const smtp = await startSmtpSink({ delayMs: 2, silent: (to, attempt) => silentReaders.includes(to) && attempt === 1 });
    cleanups.push(() => smtp.close());
    const { database, spawn, publish, finished, deliveryCounts, subscriberCounts } = await setUp(READERS);
    const startedAt = Date.now();
    spawn(['worker'], smtp.url, { SMTP_POOL_SIZE: '5', SMTP_SOCKET_TIMEOUT_MS: '60000' });
    const dispatchId = await publish();

    // Everyone else arrives while the three messages are still unanswered: a silent message holds only itself.
    await eventually(async () => perRecipient(smtp).size >= READERS - silentReaders.length, 60_000, 'the other readers');
    expect(smtp.silentNow().sort()).toEqual([...silentReaders].sort());

    await expect(finished(dispatchId)).resolves.toBe('completed');
    const counts = perRecipient(smtp);
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    report('SMTP silent after DATA (3 readers)', { missing: READERS - counts.size, duplicates, finishMs: Date.now() - startedAt });
    expect(counts.size).toBe(READERS);
    expect(duplicates).toBe(0);
    // The silent attempt timed out as uncertain and, under UNCERTAIN_DELIVERY_POLICY=resend, went again.
    const silent = await database.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
      .select(['deliveries.status', 'deliveries.attempts']).where('deliveries.dispatchId', '=', dispatchId)
      .where('subscribers.email', 'in', silentReaders).execute();
    expect(silent).toEqual(silentReaders.map(() => ({ status: 'sent', attempts: 2 })));
    expect(await deliveryCounts(dispatchId)).toEqual({ sent: READERS });
    expect(await subscriberCounts()).toEqual({ confirmed: READERS });
  }, 180_000);
});

describe('a provider answering 550 5.7.1 to every address of one domain', () => {
  it('blocks those deliveries, bounces nobody, and the reputation guard pauses the send until an editor resumes it', async () => {
    const READERS = 400;
    // Every fourth reader is at the refusing provider.
    const email = (n: number) => (n % 4 === 0 ? `reader${n}@blocked.example` : `reader${n}@example.com`);
    const smtp = await startSmtpSink({ delayMs: 2 });
    smtp.setRule((to) => (to.endsWith('@blocked.example') ? { code: 550, message: '5.7.1 [CS01] Message rejected due to local policy' } : undefined));
    cleanups.push(() => smtp.close());
    const { addresses, spawn, publish, statusOf, finished, deliveryCounts, subscriberCounts } = await setUp(READERS, email);
    const port = await freeServicePort();
    spawn(['serve'], smtp.url, { PORT: String(port), HOST: '127.0.0.1' });
    const api = (path: string, method = 'GET') =>
      eventually(async () => fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
        .catch(() => undefined), 30_000, `${method} ${path}`);
    const startedAt = Date.now();
    const dispatchId = await publish();

    const paused = await eventually(async () => {
      const row = await statusOf(dispatchId);
      return row.status === 'paused' && row;
    }, 60_000, 'the reputation guard to pause the dispatch');
    expect(paused.pauseReason).toMatch(/^reputation guard: \d+ of \d+ emails blocked or hard-bounced/);
    // The API says why, as the dashboard and the CLI do.
    const view = await (await api(`/api/dispatches/${dispatchId}`)).json();
    expect(view).toMatchObject({ status: 'paused', pauseReason: paused.pauseReason });
    const atPause = await deliveryCounts(dispatchId);
    expect(atPause.blocked).toBeGreaterThan(0);
    expect(atPause.pending).toBeGreaterThan(0);

    // An editor looked and resumes: the guard leaves this dispatch alone from now on.
    expect((await api(`/api/dispatches/${dispatchId}/resume`, 'POST')).status).toBe(200);
    await expect(finished(dispatchId)).resolves.toBe('completed_with_failures');

    const counts = perRecipient(smtp);
    const expected = addresses.filter((a) => !a.endsWith('@blocked.example'));
    report('550 5.7.1 for one domain (25 % of readers)', {
      missing: expected.filter((a) => !counts.has(a)).length,
      duplicates: [...counts.values()].filter((n) => n > 1).length,
      finishMs: Date.now() - startedAt,
    });
    expect([...counts.keys()].sort()).toEqual([...expected].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await deliveryCounts(dispatchId)).toEqual({ sent: READERS * 0.75, blocked: READERS * 0.25 });
    // A policy block is not the reader's fault: nobody is bounced.
    expect(await subscriberCounts()).toEqual({ confirmed: READERS });
  }, 180_000);
});
