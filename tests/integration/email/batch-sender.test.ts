// BatchSender's outcomes, one batch at a time, against a real database and a real SMTP server on loopback (through
// the registry's SMTP transport): it claims what is pending, skips readers who left since the fan-out, refunds the
// attempt of a throttled message (its provider group waits), retries a temporary failure, and gives up on what is still open. Last, the same
// sender through the capture inbox transport.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { BatchSender, type BatchSenderOptions, type EditionMessage } from '../../../src/email/batch-sender.js';
import { captureInboxDir, listCapturedMessages } from '../../../src/email/capture-inbox.js';
import type { EmailTransport } from '../../../src/email/transports/email-transport.js';
import { openEmailTransport } from '../../../src/email/transports/registry.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { TestClock } from '../../support/clock.js';
import { sendPacingFrom, unlimitedPacing } from '../../../src/email/pacing/send-pacing.js';

const OPTIONS: BatchSenderOptions = {
  chunkSize: 4,
  uncertainPolicy: 'resend',
  retry: { windowMs: 60 * 60_000, backoffMs: 2000, backoffMaxMs: 60_000 },
  softBounceLimit: 3,
  reputation: { earlyAttempts: 1000, earlyPercent: 100, percent: 100 },
};

let db: TestDatabase;
let smtp: SmtpSink;
let transport: EmailTransport;
let sender: BatchSender;

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpSink();
  const config = loadConfig({ SMTP_URL: smtp.url, SMTP_POOL_SIZE: '2', SMTP_THROTTLE_WAIT_MS: '45000' });
  transport = await openEmailTransport(config.EMAIL_TRANSPORT, config, { dataDir: config.HERALD_DATA_DIR });
  sender = new BatchSender(db.db, transport, OPTIONS, pino({ level: 'silent' }));
});
afterAll(async () => {
  await transport?.close();
  await smtp?.close();
  await db?.drop();
});
beforeEach(() => smtp.setRule(undefined));

/** A running dispatch with one batch of pending deliveries, one per reader; returns the ids. */
async function batchFor(readers: { email: string; status?: 'confirmed' | 'unsubscribed'; paused?: boolean }[]) {
  const tag = randomBytes(4).toString('hex');
  const article = await db.db.insertInto('articles').values({
    externalId: `batch-${tag}`, title: 'Batch sender', url: `https://news.example.org/${tag}`, excerpt: '', html: '<p>Hi</p>',
    authorName: null, section: null, tags: [], imageUrl: null, imageAlt: null, publishedAt: new Date(),
  }).returning('id').executeTakeFirstOrThrow();
  const dispatch = await db.db.insertInto('dispatches').values({
    articleId: article.id, channels: ['email'], status: 'running', scheduledAt: null, timezone: null,
    socialTexts: JSON.stringify({}), updatedAt: sql<Date>`now()`,
  }).returning('id').executeTakeFirstOrThrow();
  const subscribers = await db.db.insertInto('subscribers')
    .values(readers.map((r) => ({ email: `${tag}.${r.email}`, name: null, status: r.status ?? 'confirmed', paused: r.paused ?? false, source: 'test' })))
    .returning(['id', 'email']).execute();
  await db.db.insertInto('emailBatches').values({ dispatchId: dispatch.id, batchNo: 1, status: 'pending', recipients: readers.length }).execute();
  const deliveries = await db.db.insertInto('deliveries')
    .values(subscribers.map((s) => ({ dispatchId: dispatch.id, channel: 'email', recipient: String(s.id), subscriberId: s.id, batchNo: 1, status: 'pending' as const })))
    .returning(['id', 'subscriberId']).execute();
  const address = (reader: string) => `${tag}.${reader}`;
  return { dispatchId: dispatch.id, address, deliveries };
}

/** A finished edition: the same few lines for everyone, addressed per reader. */
const edition = async (): Promise<EditionMessage> => ({
  envelopeFrom: 'newsletter@example.org',
  personalise: (r) => {
    const messageId = `<batch.${r.deliveryId}@example.org>`;
    const raw = Buffer.from(`From: newsletter@example.org\r\nTo: ${r.email}\r\nSubject: Batch sender\r\nMessage-ID: ${messageId}\r\n\r\nHello.\r\n`);
    return { raw, messageId };
  },
});

async function deliveryRows(dispatchId: number) {
  return db.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
    .select(['subscribers.email', 'deliveries.status', 'deliveries.attempts', 'deliveries.lastResponse', 'deliveries.failure', 'deliveries.remoteId'])
    .where('deliveries.dispatchId', '=', dispatchId).orderBy('deliveries.id').execute();
}

const batchStatus = async (dispatchId: number) =>
  (await db.db.selectFrom('emailBatches').select('status').where('dispatchId', '=', dispatchId).executeTakeFirstOrThrow()).status;

describe('BatchSender', () => {
  it('claims every pending delivery, sends each once and closes the batch', async () => {
    const batch = await batchFor([{ email: 'a@example.com' }, { email: 'b@example.com' }, { email: 'c@example.com' },
      { email: 'd@example.com' }, { email: 'e@example.com' }, { email: 'f@example.com' }]);
    const before = smtp.messages.length;
    expect(await sender.send(batch.dispatchId, 1, edition)).toEqual({ kind: 'done', sent: 6, failed: 0, blocked: 0, skipped: 0 });
    const rows = await deliveryRows(batch.dispatchId);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(Array(6).fill(['sent', 1]));
    expect(rows.every((r) => r.remoteId?.startsWith('<batch.'))).toBe(true);
    expect(smtp.messages.length - before).toBe(6);
    expect(await batchStatus(batch.dispatchId)).toBe('done');

    // Run again (a repeated job): nothing is pending, nothing goes out twice.
    expect(await sender.send(batch.dispatchId, 1, edition)).toEqual({ kind: 'done', sent: 0, failed: 0, blocked: 0, skipped: 0 });
    expect(smtp.messages.length - before).toBe(6);
  });

  it('skips readers who unsubscribed or paused since the fan-out, without an attempt or a message', async () => {
    const batch = await batchFor([{ email: 'stays@example.com' }, { email: 'left@example.com', status: 'unsubscribed' },
      { email: 'resting@example.com', paused: true }]);
    expect(await sender.send(batch.dispatchId, 1, edition)).toEqual({ kind: 'done', sent: 1, failed: 0, blocked: 0, skipped: 2 });
    expect((await deliveryRows(batch.dispatchId)).map((r) => [r.status, r.attempts, r.lastResponse])).toEqual([
      ['sent', 1, expect.any(String)],
      ['skipped', 0, 'subscriber is unsubscribed'],
      ['skipped', 0, 'subscriber is paused'],
    ]);
    expect(smtp.countFor(batch.address('left@example.com')) + smtp.countFor(batch.address('resting@example.com'))).toBe(0);
  });

  it('refunds the attempt of a throttled message and has its provider group wait (SMTP_THROTTLE_WAIT_MS)', async () => {
    const batch = await batchFor([{ email: 'slow@example.com' }]);
    // Its own pacer on a clock the test moves: the throttle holds the `other` group for 45 s.
    const clock = new TestClock();
    const paced = new BatchSender(db.db, transport, { ...OPTIONS, pacing: unlimitedPacing(clock) }, pino({ level: 'silent' }));
    smtp.setRule(() => ({ code: 451, message: '4.7.0 Rate limit exceeded, slow down' }));
    const outcome = await paced.send(batch.dispatchId, 1, edition);
    // Only its group waits: the batch (not the queue) runs again once the wait is over.
    expect(outcome).toMatchObject({ kind: 'paced', groups: ['other'], waiting: 1 });
    const { delayMs } = outcome as { delayMs: number };
    expect(delayMs).toBeGreaterThanOrEqual(44_000);
    expect(delayMs).toBeLessThan(60_000);
    expect(await deliveryRows(batch.dispatchId)).toMatchObject([{ status: 'pending', attempts: 0, failure: 'rate_limited' }]);
    expect(await batchStatus(batch.dispatchId)).toBe('running');

    // Still within the wait, a run claims nothing of the group; once it is over the reader goes, as a first attempt.
    smtp.setRule(undefined);
    expect(await paced.send(batch.dispatchId, 1, edition)).toMatchObject({ kind: 'paced', sent: 0 });
    expect(await deliveryRows(batch.dispatchId)).toMatchObject([{ status: 'pending', attempts: 0 }]);
    clock.set(new Date(clock.now() + 46_000));
    expect(await paced.send(batch.dispatchId, 1, edition)).toMatchObject({ kind: 'done', sent: 1 });
    expect(await deliveryRows(batch.dispatchId)).toMatchObject([{ status: 'sent', attempts: 1 }]);
  });

  it("keeps a capped provider group to its connections and still sends the whole batch in one run", async () => {
    const config = loadConfig({ EMAIL_PROVIDER_LIMITS: 'gmail=1:0, yahoo=0:5' });
    const pacing = sendPacingFrom(config, { db: db.db, resolver: { resolveMx: async () => [] } });
    const capped = new BatchSender(db.db, transport, { ...OPTIONS, chunkSize: 6, pacing }, pino({ level: 'silent' }));
    const readers = [...Array.from({ length: 8 }, (_, i) => `g${i}@gmail.com`), ...Array.from({ length: 4 }, (_, i) => `y${i}@yahoo.com`),
      ...Array.from({ length: 8 }, (_, i) => `o${i}@example.com`)];
    const batch = await batchFor(readers.map((email) => ({ email })));
    let gmailAtOnce = 0;
    const watcher = setInterval(() => (gmailAtOnce = Math.max(gmailAtOnce, pacing.pacer.state('gmail').inFlight)), 1);
    const outcome = await capped.send(batch.dispatchId, 1, edition).finally(() => clearInterval(watcher));
    expect(outcome).toEqual({ kind: 'done', sent: 20, failed: 0, blocked: 0, skipped: 0 });
    for (const reader of readers) expect(smtp.countFor(batch.address(reader)), reader).toBe(1);
    expect(gmailAtOnce).toBe(1);
    expect((await deliveryRows(batch.dispatchId)).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
  });

  it('defers a temporary refusal to a later run, fails a hard bounce and bounces its reader', async () => {
    const batch = await batchFor([{ email: 'full@example.com' }, { email: 'gone@example.com' }, { email: 'fine@example.com' }]);
    smtp.setRule((to) =>
      to === batch.address('full@example.com') ? { code: 452, message: '4.2.2 Mailbox full' }
        : to === batch.address('gone@example.com') ? { code: 550, message: '5.1.1 No such user' } : undefined);
    const outcome = await sender.send(batch.dispatchId, 1, edition);
    expect(outcome).toMatchObject({ kind: 'retry', sent: 1, deferred: 1, delayMs: 2000 });
    expect((await deliveryRows(batch.dispatchId)).map((r) => [r.status, r.attempts, r.failure])).toEqual([
      ['pending', 1, 'transient'],
      ['failed', 1, 'permanent_address'],
      ['sent', 1, null],
    ]);
    const gone = await db.db.selectFrom('subscribers').select('status').where('email', '=', batch.address('gone@example.com')).executeTakeFirstOrThrow();
    expect(gone.status).toBe('bounced');
  });

  it('gives up: what is still open fails with the reason, what was sent stays sent, the batch closes', async () => {
    const batch = await batchFor([{ email: 'early@example.com' }, { email: 'late@example.com' }]);
    await db.db.updateTable('deliveries').set({ status: 'sent', lastResponse: '250 OK' }).where('id', '=', batch.deliveries[0].id).execute();
    await sender.giveUp(batch.dispatchId, 1, 'the batch job failed for good');
    expect((await deliveryRows(batch.dispatchId)).map((r) => [r.status, r.lastResponse])).toEqual([
      ['sent', '250 OK'],
      ['failed', 'the batch job failed for good'],
    ]);
    expect(await batchStatus(batch.dispatchId)).toBe('done');
  });

  it('stops claiming when the dispatch is paused, and hands the batch back on a graceful stop', async () => {
    const paused = await batchFor([{ email: 'wait@example.com' }]);
    await db.db.updateTable('dispatches').set({ status: 'paused' }).where('id', '=', paused.dispatchId).execute();
    expect(await sender.send(paused.dispatchId, 1, edition)).toEqual({ kind: 'stopped', status: 'paused' });
    expect(await deliveryRows(paused.dispatchId)).toMatchObject([{ status: 'pending', attempts: 0 }]);

    const stopping = new BatchSender(db.db, transport, OPTIONS, pino({ level: 'silent' }));
    stopping.stopClaiming();
    const handed = await batchFor([{ email: 'later@example.com' }]);
    expect(await stopping.send(handed.dispatchId, 1, edition)).toEqual({ kind: 'handed_back' });
    expect(await deliveryRows(handed.dispatchId)).toMatchObject([{ status: 'pending', attempts: 0 }]);
  });
});

describe('BatchSender through the capture inbox', () => {
  it('keeps each message in the data dir when EMAIL_TRANSPORT=capture, even with SMTP_URL set', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-capture-'));
    const config = loadConfig({ EMAIL_TRANSPORT: 'capture', SMTP_URL: smtp.url, HERALD_DATA_DIR: dataDir });
    const capture = await openEmailTransport(config.EMAIL_TRANSPORT, config, { dataDir });
    try {
      const batch = await batchFor([{ email: 'kept@example.com' }, { email: 'also@example.com' }]);
      const before = smtp.messages.length;
      const captured = new BatchSender(db.db, capture, OPTIONS, pino({ level: 'silent' }));
      expect(await captured.send(batch.dispatchId, 1, edition)).toEqual({ kind: 'done', sent: 2, failed: 0, blocked: 0, skipped: 0 });
      const messages = await listCapturedMessages(captureInboxDir(dataDir));
      expect(messages.map((m) => m.to).sort()).toEqual([batch.address('also@example.com'), batch.address('kept@example.com')]);
      expect((await deliveryRows(batch.dispatchId)).every((r) => r.lastResponse?.includes('queued as'))).toBe(true);
      expect(smtp.messages.length).toBe(before);
    } finally {
      await capture.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
