// Real worker processes on one Redis and one PostgreSQL: a worker killed mid-send is resumed by another with at most
// the messages in flight sent twice, and two workers share one dispatch without sending anyone a second copy.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { publishArticle } from '../../../src/articles/publish.js';
import { articleInput } from '../../../src/articles/article-input.js';
import { migrate, openDatabase, type DatabaseHandle } from '../../../src/db/database.js';
import { articlePayload } from '../../support/articles.js';
import { createPostgresDatabase } from '../../support/database.js';
import { clearQueuePrefix, eventually, randomPrefix, REDIS_URL } from '../../support/herald.js';
import { spawnHerald, type HeraldProcess } from '../../support/processes.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SUBSCRIBERS = 1500;
const SEND_CHUNK = 10;
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setUp() {
  const pg = await createPostgresDatabase();
  const database: DatabaseHandle = await openDatabase({ url: pg.url, poolSize: 4 });
  await migrate(database.db);
  const prefix = randomPrefix();
  cleanups.push(() => pg.drop(), () => database.db.destroy(), () => clearQueuePrefix(prefix));
  await sql`
    insert into subscribers (email, name, status, confirmed_at)
    select 'reader' || n || '@example.com', 'Reader ' || n, 'confirmed', now() from generate_series(1, ${SUBSCRIBERS}) as n
  `.execute(database.db);
  const env = (smtp: SmtpSink): Record<string, string> => ({
    DATABASE_URL: pg.url,
    REDIS_URL,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-worker-')),
    HERALD_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    HERALD_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    SMTP_URL: smtp.url,
    SMTP_POOL_SIZE: '3',
    EMAIL_SEND_CHUNK: String(SEND_CHUNK),
    EMAIL_BATCH_SIZE: '100',
    HERALD_JOB_LOCK_MS: '2000',
    HERALD_RELAY_INTERVAL_MS: '300',
    LOG_LEVEL: 'warn',
    DIGEST_SCHEDULERS: 'off',
  });
  const startWorker = (smtp: SmtpSink): HeraldProcess => {
    const worker = spawnHerald(['worker'], env(smtp));
    cleanups.push(() => worker.kill('SIGKILL'));
    return worker;
  };
  const publish = async () => {
    const { dispatch } = await publishArticle(database.db, articleInput.parse({ ...articlePayload(), channels: ['email'] }));
    return dispatch!.id;
  };
  const dispatchDone = (id: number) =>
    eventually(async () => {
      const row = await database.db.selectFrom('dispatches').select('status').where('id', '=', id).executeTakeFirst();
      return row?.status === 'completed';
    }, 100_000, 'the dispatch to complete');
  return { database, startWorker, publish, dispatchDone };
}

function perRecipient(...sinks: SmtpSink[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sink of sinks) for (const m of sink.messages) for (const to of m.envelopeTo) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

describe('a worker killed mid-send', () => {
  it('is resumed by another worker; everyone gets the edition, only in-flight messages twice, with the same Message-ID', async () => {
    const smtp = await startSmtpSink({ delayMs: 3 });
    cleanups.push(() => smtp.close());
    const { startWorker, publish, dispatchDone, database } = await setUp();
    const first = startWorker(smtp);
    const dispatchId = await publish();

    await eventually(async () => smtp.messages.length >= 300, 50_000, 'the first worker to send 300 messages');
    await first.kill('SIGKILL');
    const atKill = smtp.messages.length;
    // The worker is dead: these rows are exactly the messages whose outcome it never recorded.
    const inFlight = await database.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
      .select('subscribers.email').where('dispatchId', '=', dispatchId).where('deliveries.status', '=', 'sending').execute();
    const inFlightRecipients = new Set(inFlight.map((r) => r.email));
    expect(atKill).toBeLessThan(SUBSCRIBERS);

    startWorker(smtp);
    await dispatchDone(dispatchId);

    const counts = perRecipient(smtp);
    expect(counts.size).toBe(SUBSCRIBERS);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([to]) => to);
    // Only messages the server accepted while their rows still said `sending` can arrive twice, each of them among
    // the rows left `sending`: at most a window of EMAIL_SEND_CHUNK per running batch (two run at once per worker),
    // plus the last unanswered messages a finished run left to complete on their own (src/email/batch-sender.ts).
    expect(inFlightRecipients.size).toBeLessThanOrEqual(3 * SEND_CHUNK);
    expect(duplicated.filter((to) => !inFlightRecipients.has(to))).toEqual([]);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    // A resend is the same message: the same Message-ID, so a mail client shows it once.
    for (const to of duplicated) {
      const ids = smtp.messages.filter((m) => m.envelopeTo.includes(to)).map((m) => m.parsed.messageId);
      expect(new Set(ids).size, to).toBe(1);
    }
    const statuses = await database.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('dispatchId', '=', dispatchId).groupBy('status').execute();
    expect(statuses).toEqual([{ status: 'sent', n: SUBSCRIBERS }]);
  }, 180_000);
});

describe('two workers', () => {
  it('share one dispatch without sending anyone a second copy', async () => {
    const sinkA = await startSmtpSink({ delayMs: 1 });
    const sinkB = await startSmtpSink({ delayMs: 1 });
    cleanups.push(() => sinkA.close(), () => sinkB.close());
    const { startWorker, publish, dispatchDone } = await setUp();
    startWorker(sinkA);
    startWorker(sinkB);
    const dispatchId = await publish();
    await dispatchDone(dispatchId);

    const counts = perRecipient(sinkA, sinkB);
    expect(counts.size).toBe(SUBSCRIBERS);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // Both processes took part.
    expect(sinkA.messages.length).toBeGreaterThan(0);
    expect(sinkB.messages.length).toBeGreaterThan(0);
  }, 150_000);
});
