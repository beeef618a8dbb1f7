// Editors steering dispatches over the API against a real (slow) SMTP server: reschedule, cancel before the start,
// the lateness rule, pause/resume and cancel of a running send, test sends; and publishing from outside: the feed
// watcher against RSS and Atom feeds on loopback, and the signed CMS webhook.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleInput } from '../../src/articles/article-input.js';
import { publishArticle } from '../../src/articles/publish.js';
import { feedItemExternalId } from '../../src/feeds/feed-article.js';
import { claimDueDispatch } from '../../src/dispatch/start-gate.js';
import { jobIds } from '../../src/queue/queues.js';
import { articlePayload } from '../support/articles.js';
import { startFeedServer, type FeedServer } from '../support/feed-server.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type ApiResponse, type TestHerald } from '../support/herald.js';
import { runHerald } from '../support/processes.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const CMS_SECRET = 'cms-webhook-secret-0123456789';
const BULK = 150;

let smtp: SmtpSink;
let feeds: FeedServer;
let herald: TestHerald;

beforeAll(async () => {
  // ~60 ms per message over 2 connections: a bulk send takes seconds, long enough to pause and cancel mid-way.
  smtp = await startSmtpSink({ delayMs: 60 });
  feeds = await startFeedServer();
  feeds.rss.push({ id: 'rss-old-1', title: 'Already there', url: 'https://news.example.org/old', html: '<p>Old.</p>', publishedAt: '2026-01-01T08:00:00Z' });
  feeds.atom.push({ id: 'urn:atom:old-1', title: 'Old &amp; gone', url: 'https://news.example.org/atom-old', html: '<p>Old.</p>', publishedAt: '2026-01-01T08:00:00Z' });
  herald = await startTestHerald({
    env: {
      SMTP_URL: smtp.url,
      SMTP_POOL_SIZE: '2',
      EMAIL_SEND_CHUNK: '2',
      EMAIL_BATCH_SIZE: '25',
      HERALD_FEEDS: `${feeds.rssUrl},${feeds.atomUrl}`,
      HERALD_FEED_INTERVAL_SECONDS: '1',
      CMS_WEBHOOK_SECRET: CMS_SECRET,
    },
  });
  // Two audiences by topic: a "small" one for the scheduling tests, a "bulk" one for the long sends.
  await herald.ctx.db
    .insertInto('subscribers')
    .values([
      ...['s1@example.com', 's2@example.com'].map((email) => ({ email, status: 'confirmed' as const, topics: ['small'] })),
      ...Array.from({ length: BULK }, (_, i) => ({ email: `bulk${i}@example.com`, status: 'confirmed' as const, topics: ['bulk'] })),
    ])
    .execute();
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
  await feeds?.close();
});

const small = (overrides: Record<string, unknown> = {}) => articlePayload({ section: 'small', tags: [], channels: ['email'], ...overrides });
const bulk = () => articlePayload({ section: 'bulk', tags: [], channels: ['email'] });
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const messagesOf = (dispatchId: number) => smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`));

async function publish(payload: Record<string, unknown>) {
  const response = await herald.api('/api/articles', { body: payload });
  expect(response.status).toBe(201);
  return (await response.json()).dispatch as { id: number; status: string; scheduledAt: string | null };
}

async function view(id: number) {
  return (await herald.api(`/api/dispatches/${id}`)).json();
}

async function reaches(id: number, status: string, timeoutMs = 30_000) {
  return eventually(async () => {
    const current = await view(id);
    return current.status === status && current;
  }, timeoutMs, `dispatch ${id} to be ${status}`);
}

const sentOf = (v: { progress: { counts: Record<string, number> }[] }) => v.progress.reduce((n, c) => n + (c.counts.sent ?? 0), 0);

/** The states of a dispatch's email batch jobs. */
async function batchJobStates(dispatchId: number): Promise<string[]> {
  const batches = await herald.ctx.db.selectFrom('emailBatches').select('batchNo').where('dispatchId', '=', dispatchId).execute();
  return Promise.all(batches.map(async (b) => (await herald.ctx.queues.emailBatch.getJob(jobIds.emailBatch(dispatchId, b.batchNo)))?.getState() ?? 'missing'));
}

/**
 * A paused dispatch at rest: nothing handed to the transport, and every batch job either finished or delayed (it saw
 * the pause and waits; when it wakes it reads the row before claiming anything).
 */
async function batchesAtRest(dispatchId: number): Promise<void> {
  await eventually(async () => {
    const sending = await herald.ctx.db.selectFrom('deliveries').select('id').where('dispatchId', '=', dispatchId).where('status', '=', 'sending').execute();
    const states = await batchJobStates(dispatchId);
    return sending.length === 0 && states.length > 0 && states.every((state) => state === 'delayed' || state === 'completed');
  }, 20_000, `dispatch ${dispatchId} to come to rest`);
}

describe('rescheduling', () => {
  it('moves a scheduled dispatch earlier; it fires at the new time, not before', async () => {
    const dispatch = await publish(small({ schedule: { at: inSeconds(3600) } }));
    expect(dispatch.status).toBe('scheduled');
    const newTime = inSeconds(2);
    const response = await herald.api(`/api/dispatches/${dispatch.id}/reschedule`, { body: { at: newTime } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'scheduled', scheduledAt: newTime });
    const job = await herald.ctx.queues.dispatch.getJob(jobIds.dispatchStart(dispatch.id));
    expect(await job?.getState()).toBe('delayed');

    const done = await reaches(dispatch.id, 'completed');
    expect(new Date(done.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(newTime).getTime() - 1000);
    expect(messagesOf(dispatch.id).map((m) => m.envelopeTo[0]).sort()).toEqual(['s1@example.com', 's2@example.com']);

    const late = await herald.api(`/api/dispatches/${dispatch.id}/reschedule`, { body: { at: inSeconds(60) } });
    expect(late.status).toBe(409);
  });

  it('moves a dispatch later in a time zone, so it does not fire at the old time', async () => {
    const dispatch = await publish(small({ schedule: { at: inSeconds(2) } }));
    const response = await herald.api(`/api/dispatches/${dispatch.id}/reschedule`, { body: { at: '2099-06-01T09:00:00', timezone: 'Europe/Berlin' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'scheduled', scheduledAt: '2099-06-01T07:00:00.000Z', timezone: 'Europe/Berlin' });
    // A witness due a second after the old time: once it has gone out, the old time has come and gone for the
    // scheduler too (one queue, delayed jobs promoted in time order).
    const witness = await publish(small({ schedule: { at: inSeconds(3) } }));
    await reaches(witness.id, 'completed');
    expect((await view(dispatch.id)).status).toBe('scheduled');
    expect(messagesOf(dispatch.id)).toHaveLength(0);
    const job = await herald.ctx.queues.dispatch.getJob(jobIds.dispatchStart(dispatch.id));
    expect(await job?.getState()).toBe('delayed');
    expect(job!.timestamp + job!.delay).toBeGreaterThan(Date.parse('2099-06-01T06:59:00Z'));
  });

  it('ignores a start job that fires before the row says (the job waits for the row time)', async () => {
    const dispatch = await publish(small({ schedule: { at: inSeconds(2) } }));
    // As if a reschedule had changed the row but the job could not be moved.
    const later = new Date(Date.now() + 3600_000);
    await herald.ctx.db.updateTable('dispatches').set({ scheduledAt: later }).where('id', '=', dispatch.id).execute();
    // The job ran (processedOn) and put itself back, delayed to the row's time.
    const job = await eventually(async () => {
      const current = await herald.ctx.queues.dispatch.getJob(jobIds.dispatchStart(dispatch.id));
      return current?.processedOn && (await current.getState()) === 'delayed' && current.timestamp + current.delay > Date.now() + 3500_000 ? current : undefined;
    }, 20_000, 'the early start job to wait for the row time');
    expect(job.attemptsMade).toBe(0);
    expect((await view(dispatch.id)).status).toBe('scheduled');
    expect(messagesOf(dispatch.id)).toHaveLength(0);
  });

  it('refuses a time long past and malformed input', async () => {
    const dispatch = await publish(small({ schedule: { at: inSeconds(3600) } }));
    const past = await herald.api(`/api/dispatches/${dispatch.id}/reschedule`, { body: { at: '2020-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    expect((await past.json()).issues[0].path).toBe('at');
    expect((await herald.api(`/api/dispatches/${dispatch.id}/reschedule`, { body: { at: 'soon' } })).status).toBe(400);
    expect((await herald.api('/api/dispatches/999999/reschedule', { body: { at: inSeconds(60) } })).status).toBe(404);
  });
});

describe('cancel before the start', () => {
  it('sends nothing', async () => {
    const dispatch = await publish(small({ schedule: { at: inSeconds(2) } }));
    const response = await herald.api(`/api/dispatches/${dispatch.id}/cancel`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'cancelled', sent: 0, unsent: 0 });
    // The start job, the one thing that could still send, is gone (the cancel removed it) or has run and found the
    // dispatch cancelled; the relay never queues a cancelled dispatch again.
    await eventually(async () => {
      const job = await herald.ctx.queues.dispatch.getJob(jobIds.dispatchStart(dispatch.id));
      return !job || (await job.getState()) === 'completed';
    }, 20_000, 'the start job to be gone or finished');
    expect((await view(dispatch.id)).status).toBe('cancelled');
    expect(messagesOf(dispatch.id)).toHaveLength(0);
    const deliveries = await herald.ctx.db.selectFrom('deliveries').select('id').where('dispatchId', '=', dispatch.id).execute();
    expect(deliveries).toHaveLength(0);
  });
});

describe('the lateness rule', () => {
  it(`holds a dispatch more than HERALD_MAX_LATENESS_MINUTES late, sends one less late, and releases on request`, async () => {
    // Written as if Herald had been down: both were due in the past when it comes to them.
    const write = (minutesAgo: number) =>
      publishArticle(herald.ctx.db, articleInput.parse(small({ schedule: { at: new Date(Date.now() - minutesAgo * 60_000).toISOString() } })), {
        now: new Date(Date.now() - 3 * 3600_000),
      });
    const tooLate = (await write(120)).dispatch!;
    const lateButFine = (await write(10)).dispatch!;
    expect(tooLate.status).toBe('scheduled');
    herald.ctx.relay.kick();

    await reaches(lateButFine.id, 'completed');
    const held = await reaches(tooLate.id, 'held');
    expect(held.error).toMatch(/held for an editor/);
    expect(messagesOf(tooLate.id)).toHaveLength(0);
    expect((await herald.api(`/api/dispatches/${lateButFine.id}/release`, { method: 'POST' })).status).toBe(409);

    const released = await herald.api(`/api/dispatches/${tooLate.id}/release`, { method: 'POST' });
    expect(released.status).toBe(200);
    // The answer is the row after the release; a worker may already have started it by then.
    expect(['pending', 'running']).toContain((await released.json()).status);
    await reaches(tooLate.id, 'completed');
    expect(messagesOf(tooLate.id)).toHaveLength(2);
  });
});

describe('the lateness rule at its edges', () => {
  const LIMIT_MS = 60 * 60_000; // HERALD_MAX_LATENESS_MINUTES' default, which this Herald runs with

  /** A dispatch row the worker leaves alone (its start job waits for 2099); the test moves its times and asks the gate. */
  async function parked(scheduledAt: Date | null, createdAt: Date) {
    const dispatch = await publish(small({ schedule: { at: '2099-01-01T00:00:00Z' } }));
    // Only once the relay has queued its start job (delayed to 2099): a relay pass after the time is moved would
    // queue a job that fires at once and holds the dispatch itself, before the test's own claim.
    await eventually(async () => {
      const row = await herald.ctx.db.selectFrom('dispatches').select('enqueuedAt').where('id', '=', dispatch.id).executeTakeFirstOrThrow();
      return row.enqueuedAt !== null;
    }, 10_000, 'the relay to queue the start job');
    await herald.ctx.db.updateTable('dispatches').set({ scheduledAt, createdAt: createdAt as never }).where('id', '=', dispatch.id).execute();
    return dispatch.id;
  }
  const now = new Date('2026-06-01T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it('lets through a dispatch exactly at the limit and holds one a millisecond past it', async () => {
    const atLimit = await parked(ago(LIMIT_MS), ago(2 * LIMIT_MS));
    const past = await parked(ago(LIMIT_MS + 1), ago(2 * LIMIT_MS));
    expect(await claimDueDispatch(herald.ctx.db, atLimit, { now, maxLatenessMs: LIMIT_MS })).toMatchObject({ kind: 'claimed' });
    expect(await claimDueDispatch(herald.ctx.db, past, { now, maxLatenessMs: LIMIT_MS })).toMatchObject({ kind: 'held', lateMinutes: 60 });
    expect((await view(past)).status).toBe('held');
  });

  it('counts an unscheduled dispatch late from its publication', async () => {
    const fresh = await parked(null, ago(LIMIT_MS - 1000));
    const stale = await parked(null, ago(LIMIT_MS + 60_000));
    expect(await claimDueDispatch(herald.ctx.db, fresh, { now, maxLatenessMs: LIMIT_MS })).toMatchObject({ kind: 'claimed' });
    expect(await claimDueDispatch(herald.ctx.db, stale, { now, maxLatenessMs: LIMIT_MS })).toMatchObject({ kind: 'held', lateMinutes: 61 });
  });

  it('follows a custom limit', async () => {
    const tenMinutesLate = await parked(ago(10 * 60_000), ago(LIMIT_MS));
    expect(await claimDueDispatch(herald.ctx.db, tenMinutesLate, { now, maxLatenessMs: 5 * 60_000 })).toMatchObject({ kind: 'held', lateMinutes: 10 });
    const alsoTenMinutesLate = await parked(ago(10 * 60_000), ago(LIMIT_MS));
    expect(await claimDueDispatch(herald.ctx.db, alsoTenMinutesLate, { now, maxLatenessMs: 15 * 60_000 })).toMatchObject({ kind: 'claimed' });
  });

  it('reschedules a held dispatch, which then goes out at its new time, and cancels another', async () => {
    const first = await parked(ago(2 * LIMIT_MS), ago(3 * LIMIT_MS));
    const second = await parked(ago(2 * LIMIT_MS), ago(3 * LIMIT_MS));
    for (const id of [first, second]) expect(await claimDueDispatch(herald.ctx.db, id, { now, maxLatenessMs: LIMIT_MS })).toMatchObject({ kind: 'held' });

    const newTime = inSeconds(2);
    const moved = await herald.api(`/api/dispatches/${first}/reschedule`, { body: { at: newTime } });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ status: 'scheduled', scheduledAt: newTime });
    const done = await reaches(first, 'completed');
    expect(new Date(done.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(newTime).getTime() - 1000);
    expect(messagesOf(first).map((m) => m.envelopeTo[0]).sort()).toEqual(['s1@example.com', 's2@example.com']);

    const cancelled = await herald.api(`/api/dispatches/${second}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: 'cancelled', sent: 0 });
    expect((await herald.api(`/api/dispatches/${second}/release`, { method: 'POST' })).status).toBe(409);
    expect(messagesOf(second)).toHaveLength(0);
  });
});

describe('pause and resume', () => {
  it('completes on resume a dispatch whose last messages finished while it was paused', async () => {
    // Two readers, one chunk: paused while that chunk is with the server, slowed for this test so the chunk stays
    // in flight long enough to be seen on a loaded machine (at 60 ms it could come and go between two polls).
    smtp.setDelay(2000);
    try {
      const dispatch = await publish(small());
      await eventually(async () => {
        const sending = await herald.ctx.db.selectFrom('deliveries').select('id').where('dispatchId', '=', dispatch.id).where('status', '=', 'sending').execute();
        return sending.length > 0;
      }, 20_000, 'the chunk to be in flight');
      expect((await herald.api(`/api/dispatches/${dispatch.id}/pause`, { method: 'POST' })).status).toBe(200);
      await batchesAtRest(dispatch.id);
      const paused = await view(dispatch.id);
      expect(paused.status).toBe('paused');
      expect(paused.progress).toEqual([{ channel: 'email', total: 2, counts: { sent: 2 } }]);

      expect((await herald.api(`/api/dispatches/${dispatch.id}/resume`, { method: 'POST' })).status).toBe(200);
      await reaches(dispatch.id, 'completed');
      expect(messagesOf(dispatch.id).map((m) => m.envelopeTo[0]).sort()).toEqual(['s1@example.com', 's2@example.com']);
    } finally {
      smtp.setDelay(60);
    }
  });

  it('stops a large send within seconds and resumes where it stopped: one message per subscriber', async () => {
    const dispatch = await publish(bulk());
    await eventually(async () => sentOf(await view(dispatch.id)) >= 10, 20_000, 'the first messages');
    const paused = await herald.api(`/api/dispatches/${dispatch.id}/pause`, { method: 'POST' });
    expect(paused.status).toBe(200);
    expect((await paused.json()).status).toBe('paused');
    expect((await herald.api(`/api/dispatches/${dispatch.id}/pause`, { method: 'POST' })).status).toBe(409);

    await batchesAtRest(dispatch.id);
    const later = await view(dispatch.id);
    const atPause = sentOf(later);
    expect(later.status).toBe('paused');
    expect(messagesOf(dispatch.id)).toHaveLength(atPause);
    expect(atPause).toBeLessThan(BULK);

    const resumed = await herald.api(`/api/dispatches/${dispatch.id}/resume`, { method: 'POST' });
    expect(resumed.status).toBe(200);
    const done = await reaches(dispatch.id, 'completed', 45_000);
    expect(done.progress).toEqual([{ channel: 'email', total: BULK, counts: { sent: BULK } }]);
    const recipients = messagesOf(dispatch.id).map((m) => m.envelopeTo[0]);
    expect(recipients).toHaveLength(BULK);
    expect(new Set(recipients).size).toBe(BULK);
    expect((await herald.api(`/api/dispatches/${dispatch.id}/resume`, { method: 'POST' })).status).toBe(409);
  });

  it('cancels a running send, leaves the rest unsent, and says how many went out', async () => {
    const dispatch = await publish(bulk());
    await eventually(async () => sentOf(await view(dispatch.id)) >= 10, 20_000, 'the first messages');
    const response = await herald.api(`/api/dispatches/${dispatch.id}/cancel`, { method: 'POST' });
    expect(response.status).toBe(200);
    const report = await response.json();
    expect(report.status).toBe('cancelled');
    expect(report.inFlight).toBe(0);
    expect(report.sent).toBeGreaterThanOrEqual(10);
    expect(report.sent).toBeLessThan(BULK);
    expect(report.unsent).toBeGreaterThan(0);

    // Every batch job has seen the cancel and closed its batch: nothing can send any more.
    await eventually(async () => (await batchJobStates(dispatch.id)).every((state) => state === 'completed'), 20_000, 'every batch to close');
    expect(messagesOf(dispatch.id)).toHaveLength(report.sent);
    expect(sentOf(await view(dispatch.id))).toBe(report.sent);
    const counts = (await view(dispatch.id)).progress[0].counts;
    expect(counts).toEqual({ sent: report.sent, cancelled: BULK - report.sent });
  });
});

describe('the CLI', () => {
  it('reschedules and cancels a dispatch through the API', async () => {
    const dispatch = await publish(small({ schedule: { at: inSeconds(3600) } }));
    const cli = (...args: string[]) => runHerald(['dispatch', ...args, '--url', herald.baseUrl], { HERALD_TOKEN: ADMIN_TOKEN, HERALD_DATA_DIR: herald.env.HERALD_DATA_DIR });
    const moved = await cli('reschedule', String(dispatch.id), '2099-02-01T09:00', '--timezone', 'America/New_York');
    expect(moved.output).toContain(`Dispatch ${dispatch.id} is scheduled for 2099-02-01T14:00:00.000Z.`);
    const cancelled = await cli('cancel', String(dispatch.id));
    expect(cancelled.code).toBe(0);
    expect(cancelled.output).toContain('is cancelled. 0 went out before the cancel');
    const refused = await cli('pause', String(dispatch.id));
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('409 dispatch is cancelled');
  });
});

describe('test send', () => {
  it('sends the edition to one address without recording a delivery', async () => {
    const dispatch = await publish(small({ schedule: { at: inSeconds(3600) }, title: 'Test-send article' }));
    const response = await herald.api(`/api/dispatches/${dispatch.id}/test-send`, { body: { email: 'Editor@Example.com' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sent: true, to: 'editor@example.com' });
    const message = smtp.messages.find((m) => m.envelopeTo.includes('editor@example.com'));
    expect(message?.parsed.subject).toBe('[Test] Test-send article');
    expect(message?.parsed.html).not.toContain('%%recipient.');
    expect(await herald.ctx.db.selectFrom('deliveries').select('id').where('dispatchId', '=', dispatch.id).execute()).toHaveLength(0);
    expect(await herald.ctx.db.selectFrom('editions').select('dispatchId').where('dispatchId', '=', dispatch.id).execute()).toHaveLength(0);
    expect((await view(dispatch.id)).status).toBe('scheduled');
    expect((await herald.api(`/api/dispatches/${dispatch.id}/test-send`, { body: { email: 'nope' } })).status).toBe(400);
  });
});

describe('the feed watcher', () => {
  const dispatchCount = async () => Number((await herald.ctx.db.selectFrom('dispatches').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const articleCount = async (externalId: string) =>
    (await herald.ctx.db.selectFrom('articles').select('id').where('externalId', '=', externalId).execute()).length;
  const rssId = (guid: string) => feedItemExternalId(feeds.rssUrl, guid);
  const atomId = (guid: string) => feedItemExternalId(feeds.atomUrl, guid);

  it('publishes each new RSS and Atom item once, however often it polls, and not what was there before', async () => {
    // The first read records what the feeds already hold.
    await eventually(async () => {
      const rows = await herald.ctx.db.selectFrom('feeds').select('firstPolledAt').where('firstPolledAt', 'is not', null).execute();
      return rows.length === 2;
    }, 20_000, 'both feeds read once');
    expect(await articleCount(rssId('rss-old-1'))).toBe(0);
    expect(await articleCount(atomId('urn:atom:old-1'))).toBe(0);

    // A reader of the RSS item's tag, so the check below that it was mailed once has someone to mail.
    await herald.ctx.db.insertInto('subscribers').values({ email: 'feed-reader@example.com', status: 'confirmed', topics: ['feeds'] }).execute();
    feeds.rss.push({ id: 'rss-new-1', title: 'Fresh from RSS', url: 'https://news.example.org/rss-new', html: '<p>New <script>alert(1)</script>body.</p>', publishedAt: '2026-02-01T08:00:00Z', tags: ['Feeds'] });
    feeds.atom.push({ id: 'urn:atom:new-1', title: 'Fresh &amp; from Atom', url: 'https://news.example.org/atom-new', html: '<p>Atom body.</p>', publishedAt: '2026-02-01T09:00:00Z' });
    await eventually(async () => (await articleCount(rssId('rss-new-1'))) === 1 && (await articleCount(atomId('urn:atom:new-1'))) === 1, 20_000, 'the new items published');

    const polls = { rss: feeds.hits('/rss.xml'), atom: feeds.hits('/atom.xml') };
    const dispatchesBefore = await dispatchCount();
    await eventually(async () => feeds.hits('/rss.xml') >= polls.rss + 2 && feeds.hits('/atom.xml') >= polls.atom + 2, 20_000, 'two more polls');
    // Published once: a later poll creates no second dispatch (external ids are unique, so articles cannot tell).
    expect(await dispatchCount()).toBe(dispatchesBefore);

    const rss = await herald.ctx.db.selectFrom('articles').selectAll().where('externalId', '=', rssId('rss-new-1')).executeTakeFirstOrThrow();
    expect(rss).toMatchObject({ title: 'Fresh from RSS', url: 'https://news.example.org/rss-new', authorName: 'Feed Author', tags: ['Feeds'] });
    expect(rss.html).not.toContain('script');
    const atom = await herald.ctx.db.selectFrom('articles').selectAll().where('externalId', '=', atomId('urn:atom:new-1')).executeTakeFirstOrThrow();
    expect(atom).toMatchObject({ title: 'Fresh & from Atom', authorName: 'Atom Author', html: '<p>Atom body.</p>' });
    const dispatches = await herald.ctx.db.selectFrom('dispatches').select(['id', 'articleId']).where('articleId', 'in', [rss.id, atom.id]).orderBy('articleId').execute();
    expect(dispatches.map((d) => d.articleId)).toEqual([rss.id, atom.id].sort((a, b) => a - b));

    // And mailed once: once each dispatch is complete, the SMTP server holds one message per sent delivery, for
    // readers all different; the RSS item's one reader has exactly one.
    for (const { id } of dispatches) {
      await eventually(async () => (await view(id)).status === 'completed', 30_000, `feed dispatch ${id} to complete`);
      const sent = await herald.ctx.db.selectFrom('deliveries').select('recipient').where('dispatchId', '=', id)
        .where('channel', '=', 'email').where('status', '=', 'sent').execute();
      const mailedTo = messagesOf(id).map((m) => m.envelopeTo[0]);
      expect(mailedTo.length).toBe(sent.length);
      expect(new Set(mailedTo).size).toBe(mailedTo.length);
    }
    const rssDispatch = dispatches.find((d) => d.articleId === rss.id)!.id;
    expect(messagesOf(rssDispatch).map((m) => m.envelopeTo)).toEqual([['feed-reader@example.com']]);
  });
});

describe('the CMS webhook', () => {
  const sign = (body: string) => `sha256=${createHmac('sha256', CMS_SECRET).update(body).digest('hex')}`;
  const post = (body: string, headers: Record<string, string>): Promise<ApiResponse> =>
    fetch(`${herald.baseUrl}/webhooks/cms`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const stored = async (externalId: string) =>
    herald.ctx.db.selectFrom('articles').selectAll().where('externalId', '=', externalId).executeTakeFirst();

  it('publishes a signed WordPress post once', async () => {
    const body = JSON.stringify({
      post: {
        ID: 4711, post_title: 'From WordPress', post_content: '<p>WP body <img src=x onerror=alert(1)></p>', post_excerpt: 'WP excerpt',
        post_status: 'publish', post_type: 'post', guid: 'https://news.example.org/?p=4711', permalink: 'https://news.example.org/wp-post',
        post_date_gmt: '2026-03-01 10:00:00', tags: ['Politics'], categories: [{ name: 'Nation' }],
      },
    });
    const first = await post(body, { 'x-herald-signature': sign(body) });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ status: 'published', article: { title: 'From WordPress', section: 'Nation' }, dispatch: { status: 'pending' } });
    const row = await stored('https://news.example.org/?p=4711');
    expect(row).toMatchObject({ url: 'https://news.example.org/wp-post', excerpt: 'WP excerpt', tags: ['Politics'] });
    expect(row!.html).not.toMatch(/onerror/);
    expect(row!.publishedAt.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    const again = await post(body, { 'x-hub-signature-256': sign(body) });
    expect(again.status).toBe(200);
    expect((await again.json()).status).toBe('already-published');
  });

  it('publishes a Ghost post.published payload signed the way Ghost signs', async () => {
    const body = JSON.stringify({
      post: { current: { id: '65f0c0ffee', title: 'From Ghost', html: '<p>Ghost body</p>', url: 'https://news.example.org/ghost-post/', custom_excerpt: 'Ghost excerpt', feature_image: 'https://news.example.org/g.jpg', tags: [{ name: 'Tech' }], primary_tag: { name: 'Tech' }, primary_author: { name: 'Gina Ghost' }, status: 'published', published_at: '2026-03-02T08:00:00.000Z' }, previous: {} },
    });
    const t = String(Date.now());
    const signature = createHmac('sha256', CMS_SECRET).update(body + t).digest('hex');
    const response = await post(body, { 'x-ghost-signature': `sha256=${signature}, t=${t}` });
    expect(response.status).toBe(201);
    expect(await stored('ghost:65f0c0ffee')).toMatchObject({ title: 'From Ghost', authorName: 'Gina Ghost', imageUrl: 'https://news.example.org/g.jpg', section: 'Tech' });
  });

  it('answers 401 to a bad or missing signature and stores nothing; ignores drafts', async () => {
    const body = JSON.stringify({ ID: 99, post_title: 'Forged', post_content: '<p>x</p>', post_status: 'publish', permalink: 'https://news.example.org/forged', guid: 'forged-guid' });
    expect((await post(body, { 'x-herald-signature': sign(`${body} `) })).status).toBe(401);
    expect((await post(body, { 'x-herald-signature': 'sha256=' + '0'.repeat(64) })).status).toBe(401);
    expect((await post(body, {})).status).toBe(401);
    expect(await stored('forged-guid')).toBeUndefined();

    const draft = JSON.stringify({ ID: 100, post_title: 'Draft', post_content: '', post_status: 'draft', guid: 'draft-guid', permalink: 'https://news.example.org/d' });
    const ignored = await post(draft, { 'x-herald-signature': sign(draft) });
    expect(ignored.status).toBe(200);
    expect((await ignored.json()).status).toBe('ignored');
    expect(await stored('draft-guid')).toBeUndefined();

    const invalid = JSON.stringify({ ID: 101, post_title: 'No URL', post_status: 'publish' });
    const refused = await post(invalid, { 'x-herald-signature': sign(invalid) });
    expect(refused.status).toBe(400);
  });
});
