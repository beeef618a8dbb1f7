// Pacing per mailbox provider, through a whole Herald and a real SMTP server on loopback: the server throttles every
// recipient of the gmail group (gmail.com, and a Workspace domain known by its MX, through an injected resolver)
// with 421 4.7.0, and keeps doing so until the test lifts it. The other readers must all arrive meanwhile; the
// throttled group then completes, each reader once, nobody blamed.
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MxResolver } from '../../../src/email/pacing/mx-directory.js';
import { articlePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

let smtp: SmtpSink;
let herald: TestHerald;
const events: { event?: string; group?: string }[] = [];
const mxLookups: string[] = [];

/** DNS as the test wants it: a Google Workspace newsroom, a small regional domain with its own MX. */
const resolver: MxResolver = {
  async resolveMx(domain) {
    mxLookups.push(domain);
    if (domain === 'workspace-news.org') return [{ exchange: 'alt1.aspmx.l.google.com', priority: 5 }, { exchange: 'aspmx.l.google.com', priority: 1 }];
    return [{ exchange: `mx.${domain}`, priority: 10 }];
  },
};

const gmailGroup = [...Array.from({ length: 6 }, (_, i) => `reader${i}@gmail.com`), ...Array.from({ length: 6 }, (_, i) => `staff${i}@workspace-news.org`)];
const others = [...Array.from({ length: 12 }, (_, i) => `reader${i}@example.com`), ...Array.from({ length: 12 }, (_, i) => `reader${i}@regional-paper.org`)];
const isGmailGroup = (to: string) => gmailGroup.includes(to);

beforeAll(async () => {
  smtp = await startSmtpSink();
  // Herald's log lines, read as an operator would search them.
  const log = pino({ level: 'info' }, new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) events.push(JSON.parse(line));
      done();
    },
  }));
  herald = await startTestHerald({
    log,
    mxResolver: resolver,
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Herald Daily <news@herald.example>',
      EMAIL_BATCH_SIZE: '12',
      // A throttle's wait when the server names none: long enough that a whole queue waiting it out could not let
      // the other readers arrive within the test's patience (the way Herald behaved before pacing per provider).
      SMTP_THROTTLE_WAIT_MS: '15000',
      EMAIL_PROVIDER_LIMITS: 'gmail=4:20',
      EMAIL_PACE_RAMP_MS: '200',
    },
  });
  // The gmail group first: its readers are in the first batches, mixed with the others.
  await herald.ctx.db.insertInto('subscribers')
    .values([...gmailGroup, ...others].map((email) => ({ email, name: null, status: 'confirmed' as const, source: 'test' })))
    .execute();
}, 60_000);

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

describe('pacing per mailbox provider', () => {
  it('slows only the throttled provider group; the others finish at full speed; nobody twice, nobody blamed', async () => {
    let throttling = true;
    let throttled = 0;
    smtp.setRule((to) => {
      if (!throttling || !isGmailGroup(to)) return undefined;
      throttled++;
      return { code: 421, message: '4.7.0 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail. Try again later.' };
    });
    const response = await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'] } });
    expect(response.status).toBe(201);
    const { dispatch } = await response.json();

    // Every other reader arrives while the gmail group is still being throttled. (A 421 closes the connection, and
    // nodemailer's pool reports about half of them only as the closed connection: uncertain, resent; the group is
    // slowed down by the first it reads as a throttle.)
    await eventually(async () => others.every((to) => smtp.countFor(to) === 1)
      && events.some((e) => e.event === 'email.provider_throttled'), 12_000, 'the other groups to arrive');
    expect(gmailGroup.filter((to) => smtp.countFor(to) > 0)).toEqual([]);
    expect(throttled).toBeGreaterThan(0);
    expect(events.filter((e) => e.event === 'email.provider_throttled').map((e) => e.group)).toContain('gmail');
    expect(events.filter((e) => e.event === 'email.provider_throttled' && e.group !== 'gmail')).toEqual([]);
    // The queue itself never waited: only the group did.
    expect(await herald.ctx.queues.emailBatch.getRateLimitTtl()).toBeLessThanOrEqual(0);

    // The provider takes mail again: the gmail group goes out after its wait and the dispatch completes.
    throttling = false;
    const view = await eventually(async () => {
      const v = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
      return v.status === 'completed' && v;
    }, 40_000, 'the dispatch to complete');
    expect(view.progress[0].counts).toEqual({ sent: 36 });
    for (const to of [...gmailGroup, ...others]) expect(smtp.countFor(to), to).toBe(1);
    // What arrived, in order: every other reader before the first of the throttled group.
    const order = smtp.messages.map((m) => m.envelopeTo[0]);
    const firstGmail = order.findIndex(isGmailGroup);
    expect(order.slice(firstGmail).some((to) => !isGmailGroup(to))).toBe(false);

    // Nobody blamed: every reader still confirmed, no soft bounce counted, each delivery sent on its one counted attempt.
    const readers = await herald.ctx.db.selectFrom('subscribers').select(['status', 'softBounces']).execute();
    expect(readers.every((r) => r.status === 'confirmed' && r.softBounces === 0)).toBe(true);
    expect(await herald.ctx.db.selectFrom('suppressions').selectAll().execute()).toEqual([]);
    const deliveries = await herald.ctx.db.selectFrom('deliveries').select(['status', 'attempts']).where('dispatchId', '=', dispatch.id).execute();
    // A 421 reported only as the closed connection counts as an attempt (uncertain, resent under `resend`); those
    // read as throttles are refunded, so fewer attempts are counted than were made.
    expect(deliveries.every((d) => d.status === 'sent')).toBe(true);
    const attempts = deliveries.reduce((sum, d) => sum + d.attempts, 0);
    expect(attempts).toBeLessThan(36 + throttled);
    console.info(`provider pacing: ${throttled} throttled replies, ${attempts} attempts counted for 36 readers`);
    // The Workspace domain was known by its MX, looked up once; gmail.com and example.com needed no lookup.
    expect(mxLookups.sort()).toEqual(['regional-paper.org', 'workspace-news.org']);
  }, 90_000);
});
