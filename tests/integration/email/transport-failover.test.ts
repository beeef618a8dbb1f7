// Several email transports in one Herald, each message counted where it landed (the Mailgun stand-in, a real SMTP
// server on loopback): Mailgun starting to answer 503 mid-send, or the SMTP relay dropping connections, moves the rest to the other
// with nobody missed and nobody twice, each delivery recording the transport that took it; the breaker closes again
// after a probe once Mailgun is back; hard bounces neither trip the breaker nor move on, nor does an uncertain
// answer; an account block moves everything at once; shares split the traffic by weight. /metrics and the settings
// page show each transport's state. A mailbox provider's 421 through the relay slows that provider's readers instead.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import { dashboardCookie } from '../../support/dashboard-session.js';
import { MailgunStandIn } from '../../support/email-providers/mailgun-server.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const MAILGUN_DOMAIN = 'mg.herald.example';
const MAILGUN_KEY = 'key-0123456789abcdef0123456789abcdef';
const READERS = Array.from({ length: 24 }, (_, i) => `reader${String(i).padStart(2, '0')}@example.com`);

interface Rig {
  herald: TestHerald;
  mailgun: MailgunStandIn;
  smtp: SmtpSink;
  published: number;
}

async function startRig(transports: string, readers: string[], extra: Record<string, string> = {}): Promise<Rig> {
  const mailgun = await new MailgunStandIn(MAILGUN_DOMAIN, MAILGUN_KEY).start();
  const smtp = await startSmtpSink();
  const herald = await startTestHerald({
    env: {
      EMAIL_TRANSPORTS: transports,
      MAILGUN_API_KEY: MAILGUN_KEY, MAILGUN_DOMAIN, MAILGUN_API_URL: mailgun.url,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Herald Daily <news@herald.example>',
      SMTP_RETRY_BACKOFF_MS: '200',
      EMAIL_BREAKER_FAILURES: '3',
      ...extra,
    },
  });
  for (const email of readers) expect((await herald.api('/api/subscribers', { body: { email } })).status).toBe(201);
  return { herald, mailgun, smtp, published: 0 };
}

async function stopRig(rig: Rig | undefined) {
  await rig?.herald.stop();
  await rig?.mailgun.close();
  await rig?.smtp.close();
}

/** Publishes a fresh article by email and waits for its dispatch to finish; answers its id. */
async function publishAndWait(rig: Rig): Promise<number> {
  const payload = articlePayload({ externalId: `failover-${++rig.published}-${Date.now()}`, title: `Failover #${rig.published}` });
  const response = await rig.herald.api('/api/articles', { body: { ...payload, channels: ['email'] } });
  expect(response.status).toBe(201);
  const { dispatch } = await response.json();
  await eventually(async () => {
    const view = await (await rig.herald.api(`/api/dispatches/${dispatch.id}`)).json();
    return ['completed', 'completed_with_failures'].includes(view.status);
  }, 30_000, `dispatch ${dispatch.id} to finish`);
  return dispatch.id as number;
}

/** Where each reader's copies of the dispatch landed, counted at the receiving servers. */
function landed(rig: Rig, dispatchId: number) {
  const ofDispatch = (messageId: string | undefined) => messageId?.startsWith(`<herald.${dispatchId}.`);
  const mailgun = rig.mailgun.accepted.filter((m) => ofDispatch(m.parsed.messageId));
  const smtp = rig.smtp.messages.filter((m) => ofDispatch(m.parsed.messageId));
  const copies = new Map<string, string[]>();
  for (const m of mailgun) for (const to of m.to) copies.set(to, [...(copies.get(to) ?? []), 'mailgun']);
  for (const m of smtp) for (const to of m.envelopeTo) copies.set(to, [...(copies.get(to) ?? []), 'smtp']);
  return { mailgun, smtp, copies };
}

async function deliveries(rig: Rig, dispatchId: number) {
  return rig.herald.ctx.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
    .select(['deliveries.id', 'subscribers.email', 'subscribers.status as subscriberStatus', 'deliveries.status', 'deliveries.failure',
      'deliveries.transport', 'deliveries.providerMessageId'])
    .where('deliveries.dispatchId', '=', dispatchId).orderBy('subscribers.email').execute();
}

const breakerState = (rig: Rig, name: string) => rig.herald.ctx.metrics.transports.health?.().find((t) => t.name === name)?.state;

async function metricsText(rig: Rig): Promise<string> {
  return (await fetch(`${rig.herald.baseUrl}/metrics`)).text();
}

/** Every reader got exactly one copy, and each delivery names the transport whose server holds it. */
async function expectOneCopyEach(rig: Rig, dispatchId: number, readers: string[]) {
  const { copies, mailgun } = landed(rig, dispatchId);
  expect([...copies.keys()].sort()).toEqual([...readers].sort());
  for (const [to, where] of copies) expect(where, `copies for ${to}`).toHaveLength(1);
  const rows = await deliveries(rig, dispatchId);
  expect(rows.map((r) => r.status)).toEqual(readers.map(() => 'sent'));
  for (const row of rows) {
    expect(row.transport, row.email).toBe(copies.get(row.email)![0]);
    if (row.transport === 'mailgun') expect(row.providerMessageId).toBe(mailgun.find((m) => m.to.includes(row.email))!.providerMessageId);
  }
  return rows;
}

describe('failover order (mailgun, then smtp)', () => {
  let rig: Rig;
  beforeEach(async () => {
    // Four messages in flight at a time, so the moments the breaker changes fall inside a send.
    // An uncertain outcome is held for an editor, so a test can see it was not sent again elsewhere.
    rig = await startRig('mailgun,smtp', READERS, { EMAIL_BREAKER_COOLDOWN_MS: '1500', EMAIL_SEND_CHUNK: '4', UNCERTAIN_DELIVERY_POLICY: 'hold' });
  });
  afterEach(() => stopRig(rig));

  it('moves the rest of a send to SMTP when Mailgun starts answering 503: nobody missed, nobody twice', async () => {
    // Mailgun takes the first eight, then refuses as an overloaded service does (nothing sent).
    let calls = 0;
    rig.mailgun.setRule(() => (++calls > 8 ? { status: 503, message: 'Service Unavailable' } : undefined));
    const dispatchId = await publishAndWait(rig);
    const rows = await expectOneCopyEach(rig, dispatchId, READERS);
    const by = (name: string) => rows.filter((r) => r.transport === name).length;
    expect(by('mailgun')).toBe(8);
    expect(by('smtp')).toBe(READERS.length - 8);
    expect(breakerState(rig, 'mailgun')).not.toBe('closed');
    expect(breakerState(rig, 'smtp')).toBe('closed');
    const metrics = await metricsText(rig);
    expect(metrics).toMatch(/herald_email_transport_state\{transport="smtp",state="closed"\} 1/);
    expect(metrics).toMatch(/herald_email_transport_sends_total\{transport="mailgun",outcome="accepted"\} 8/);
    expect(metrics).toMatch(/herald_email_transport_sends_total\{transport="mailgun",outcome="transient"\} [1-9]/);
    expect(metrics).toMatch(/herald_email_transport_failovers_total\{transport="mailgun"\} [1-9]/);
  });

  it('closes the breaker after a probe once Mailgun answers again, and sends through Mailgun again', async () => {
    // Open the breaker first: a send while Mailgun answers 503 goes wholly through SMTP.
    rig.mailgun.setRule(() => ({ status: 503, message: 'Service Unavailable' }));
    await publishAndWait(rig);
    expect(breakerState(rig, 'mailgun')).not.toBe('closed');
    rig.mailgun.setRule(undefined);
    await eventually(async () => breakerState(rig, 'mailgun') === 'half_open', 10_000, 'the cool-down to pass');
    const dispatchId = await publishAndWait(rig);
    const rows = await expectOneCopyEach(rig, dispatchId, READERS);
    expect(breakerState(rig, 'mailgun')).toBe('closed');
    // The probe went to Mailgun; while it was in flight the messages beside it went to SMTP; once it was accepted,
    // everything claimed after went to Mailgun.
    const byClaim = [...rows].sort((a, b) => Number(a.id) - Number(b.id));
    expect(byClaim.slice(-4).map((r) => r.transport)).toEqual(['mailgun', 'mailgun', 'mailgun', 'mailgun']);
    expect(rows.filter((r) => r.transport === 'smtp').length).toBeLessThanOrEqual(READERS.length / 2);
    expect(await metricsText(rig)).toMatch(/herald_email_transport_state\{transport="mailgun",state="closed"\} 1/);
    const settings = await (await fetch(`${rig.herald.baseUrl}/settings`, { headers: { cookie: await dashboardCookie(rig.herald.baseUrl, ADMIN_TOKEN) } })).text();
    expect(settings).toContain('Email transports');
    expect(settings).toMatch(/Mailgun[\s\S]*?<span class="badge closed">Closed \(sending\)<\/span>/);
    expect(settings).toContain('Mailgun → SMTP (failover order)');
  });

  it('a hard bounce fails that reader only: it neither trips the breaker nor goes out through SMTP', async () => {
    expect(breakerState(rig, 'mailgun')).toBe('closed');
    // More refused addresses than the breaker's threshold (3), fewer than would make the reputation guard pause (5 %).
    const refused = new Set(READERS.slice(0, 4));
    rig.mailgun.setRule((to) => (refused.has(to) ? { status: 400, message: 'to parameter is not a valid address. please check documentation' } : undefined));
    const dispatchId = await publishAndWait(rig);
    const { copies } = landed(rig, dispatchId);
    expect([...copies.keys()].sort()).toEqual(READERS.filter((r) => !refused.has(r)));
    for (const [, where] of copies) expect(where).toEqual(['mailgun']);
    const rows = await deliveries(rig, dispatchId);
    for (const row of rows) {
      if (refused.has(row.email)) expect(row).toMatchObject({ status: 'failed', failure: 'permanent_address', subscriberStatus: 'bounced' });
      else expect(row).toMatchObject({ status: 'sent', transport: 'mailgun' });
    }
    expect(breakerState(rig, 'mailgun')).toBe('closed');
  });
  it('an uncertain answer (HTTP 500: Mailgun may have queued it) stays with its delivery and never moves on', async () => {
    const doubtful = READERS[10]!;
    const attemptsBefore = rig.mailgun.attemptsFor(doubtful);
    rig.mailgun.setRule((to) => (to === doubtful ? { status: 500, message: 'Internal Server Error' } : undefined));
    const dispatchId = await publishAndWait(rig);
    const { copies } = landed(rig, dispatchId);
    expect(copies.has(doubtful)).toBe(false);
    expect(rig.mailgun.attemptsFor(doubtful) - attemptsBefore).toBe(1);
    const rows = await deliveries(rig, dispatchId);
    expect(rows.find((r) => r.email === doubtful)).toMatchObject({ status: 'uncertain', failure: 'uncertain', transport: null });
    expect(rows.filter((r) => r.status === 'sent').every((r) => r.transport === 'mailgun')).toBe(true);
    expect(breakerState(rig, 'mailgun')).toBe('closed');
  });

  it('moves everything to SMTP at once when Mailgun refuses the account, and blocks nobody', async () => {
    rig.mailgun.setRule(() => ({ status: 403, message: `Domain ${MAILGUN_DOMAIN} is not allowed to send: The domain is disabled.` }));
    const readers = READERS;
    const attemptsBefore = readers.reduce((n, r) => n + rig.mailgun.attemptsFor(r), 0);
    const dispatchId = await publishAndWait(rig);
    const rows = await expectOneCopyEach(rig, dispatchId, readers);
    expect(rows.every((r) => r.transport === 'smtp')).toBe(true);
    expect(breakerState(rig, 'mailgun')).not.toBe('closed');
    // The breaker opened on the first refusal: only the messages already on their way tried Mailgun.
    const attempts = readers.reduce((n, r) => n + rig.mailgun.attemptsFor(r), 0) - attemptsBefore;
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThan(readers.length);
  });
});

describe('shares (mailgun:3, smtp:1)', () => {
  let rig: Rig;
  const readers = Array.from({ length: 40 }, (_, i) => `share${String(i).padStart(2, '0')}@example.com`);
  beforeEach(async () => {
    rig = await startRig('mailgun:3,smtp:1', readers);
  });
  afterEach(() => stopRig(rig));

  it('splits the traffic by weight, each reader once', async () => {
    const dispatchId = await publishAndWait(rig);
    const rows = await expectOneCopyEach(rig, dispatchId, readers);
    const mailgun = rows.filter((r) => r.transport === 'mailgun').length;
    // 3 in 4 by weight; a little slack for anything else this process sent meanwhile.
    expect(mailgun).toBeGreaterThanOrEqual(27);
    expect(mailgun).toBeLessThanOrEqual(33);
    expect(rows.filter((r) => r.transport === 'smtp').length).toBe(readers.length - mailgun);
  });

  it('sends everything through the healthy one while the other\'s breaker is open', async () => {
    rig.mailgun.setRule(() => ({ status: 503, message: 'Service Unavailable' }));
    const dispatchId = await publishAndWait(rig);
    const rows = await expectOneCopyEach(rig, dispatchId, readers);
    expect(rows.every((r) => r.transport === 'smtp')).toBe(true);
    expect(breakerState(rig, 'mailgun')).toBe('open');
  });
});

describe('failover order (smtp, then mailgun)', () => {
  let rig: Rig;
  const readers = Array.from({ length: 16 }, (_, i) => `relay${String(i).padStart(2, '0')}@example.com`);
  beforeEach(async () => {
    rig = await startRig('smtp,mailgun', readers, { EMAIL_SEND_CHUNK: '4', SMTP_THROTTLE_WAIT_MS: '500' });
  });
  afterEach(() => stopRig(rig));

  it('moves the rest to Mailgun when the SMTP relay starts dropping connections, each reader once', async () => {
    // The relay takes six, then drops every connection at RCPT TO: nothing of the rest can have left through it.
    let calls = 0;
    rig.smtp.setRule(() => (++calls > 6 ? 'drop' : undefined));
    const dispatchId = await publishAndWait(rig);
    const rows = await expectOneCopyEach(rig, dispatchId, readers);
    expect(rows.filter((r) => r.transport === 'smtp').length).toBe(6);
    expect(rows.filter((r) => r.transport === 'mailgun').length).toBe(readers.length - 6);
    expect(breakerState(rig, 'smtp')).toBe('open');
  });

  it('a mailbox provider\'s "slow down" through the relay slows that provider\'s readers; it does not fail over', async () => {
    // 451 4.7.0 rather than 421: smtp-server closes the connection after a 421, and nodemailer then often reports only
    // the closed connection (which may fail over, rightly: nothing says it was the provider).
    let calls = 0;
    rig.smtp.setRule(() => (++calls > 6 && calls <= 9 ? { code: 451, message: '4.7.0 Too many messages, slow down' } : undefined));
    const dispatchId = await publishAndWait(rig);
    const rows = await expectOneCopyEach(rig, dispatchId, readers);
    expect(rows.every((r) => r.transport === 'smtp')).toBe(true);
    expect(rig.mailgun.accepted).toHaveLength(0);
    expect(breakerState(rig, 'smtp')).toBe('closed');
  });
});
