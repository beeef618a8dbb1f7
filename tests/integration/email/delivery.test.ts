// An edition reaches every confirmed, matching subscriber exactly once over real SMTP, with the right headers and parts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload, fixturePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type ReceivedMessage, type SmtpSink } from '../../support/smtp-sink.js';

let smtp: SmtpSink;
let herald: TestHerald;

/** mailparser gathers the List-* headers under `list`. */
function listUnsubscribe(parsed: { headers: Map<string, unknown> }): { url: string; mail: string } {
  return (parsed.headers.get('list') as { unsubscribe: { url: string; mail: string } }).unsubscribe;
}

async function addSubscriber(email: string, extra: Record<string, unknown> = {}) {
  const response = await herald.api('/api/subscribers', { body: { email, ...extra } });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: number };
}

async function publishAndWait(payload: Record<string, unknown>) {
  const response = await herald.api('/api/articles', { body: { ...payload, channels: ['email'] } });
  expect(response.status).toBe(201);
  const { dispatch } = await response.json();
  return eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
    return ['completed', 'completed_with_failures'].includes(view.status) && view;
  }, 30_000, `dispatch ${dispatch.id} to complete`);
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Herald Daily <news@herald.example>',
      PUBLIC_URL: 'https://herald.example',
      UNSUBSCRIBE_MAILTO: 'unsubscribe@herald.example',
      EMAIL_BATCH_SIZE: '3',
      SMTP_THROTTLE_WAIT_MS: '500',
      SMTP_RETRY_BACKOFF_MS: '200',
      // Short enough that a mailbox full to the end of its window ends within the test.
      SMTP_RETRY_WINDOW_MINUTES: '0.05',
      SOFT_BOUNCE_LIMIT: '2',
    },
  });
  // The audience: 5 confirmed who should get it, and one of each kind who must not.
  for (const email of ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']) await addSubscriber(email);
  await addSubscriber('nation@example.com', { name: 'Ünïcødé “Reader”', topics: ['nation'] });
  await addSubscriber('sports-only@example.com', { topics: ['sports'] });
  await addSubscriber('pending@example.com', { status: 'pending' });
  const gone = await addSubscriber('gone@example.com');
  const bounced = await addSubscriber('bounced@example.com');
  await herald.ctx.db.updateTable('subscribers').set({ status: 'unsubscribed' }).where('id', '=', gone.id).execute();
  await herald.ctx.db.updateTable('subscribers').set({ status: 'bounced' }).where('id', '=', bounced.id).execute();
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

describe('an edition', () => {
  let view: { id: number; progress: { channel: string; total: number; counts: Record<string, number> }[] };
  /** This edition's messages only, whatever else the file has sent. */
  let messages: ReceivedMessage[];

  beforeAll(async () => {
    view = await publishAndWait(fixturePayload('seed-article'));
    messages = smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${view.id}.`));
  });

  it('arrives once at every confirmed subscriber whose topics match, and nowhere else', () => {
    const recipients = messages.flatMap((m) => m.envelopeTo).sort();
    expect(recipients).toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'nation@example.com']);
    expect(view.progress).toEqual([{ channel: 'email', total: 5, counts: { sent: 5 } }]);
  });

  it('carries the list headers, a unique Message-ID and both parts', () => {
    const ids = new Set<string>();
    for (const { parsed, raw } of messages) {
      expect(parsed.from?.value[0]).toMatchObject({ address: 'news@herald.example', name: 'Herald Daily' });
      expect(parsed.subject).toBe('‘America, ISIS Accomplice:’ Audio Reveals US Talked With ISIS Before Bombing Syrian Forces!');
      expect(parsed.date).toBeInstanceOf(Date);
      ids.add(parsed.messageId!);
      const unsubscribe = listUnsubscribe(parsed);
      expect(unsubscribe.url).toMatch(/^https:\/\/herald\.example\/unsubscribe\/[\w.-]+$/);
      expect(unsubscribe.mail).toMatch(/^unsubscribe@herald\.example/);
      expect(raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
      expect(raw.toString()).toMatch(/^List-Id: .*<herald-newsletter\.herald\.example>\r$/m);
      expect(parsed.text).toContain('Deir ez-Zor');
      expect(parsed.html).toContain('Deir ez-Zor');
      expect(parsed.html).toContain(unsubscribe.url);
    }
    expect(ids.size).toBe(5);
  });

  it('personalises each message for its reader', () => {
    const forNation = messages.find((m) => m.envelopeTo.includes('nation@example.com'))!;
    expect(forNation.parsed.to).toMatchObject({ value: [{ address: 'nation@example.com', name: 'Ünïcødé “Reader”' }] });
    expect(forNation.parsed.html).toContain('Ünïcødé “Reader”');
    const urls = messages.map((m) => listUnsubscribe(m.parsed).url);
    expect(new Set(urls).size).toBe(5);
  });
});

describe('hostile and oversized articles', () => {
  it('renders the hostile fixture as harmless text', async () => {
    const before = smtp.messages.length;
    await publishAndWait(fixturePayload('hostile-article'));
    const messages = smtp.messages.slice(before);
    expect(messages.length).toBe(5);
    for (const { parsed, raw } of messages) {
      // Markup from the article is text, and its URL is percent-encoded: no element or attribute survives.
      expect(parsed.html).not.toMatch(/<script|<iframe|<img src=x|\sonerror\s*=|\sonclick\s*=|javascript:/i);
      expect(parsed.html).toContain('Breaking &lt;script&gt;');
      expect(parsed.headers.has('bcc')).toBe(false);
      expect(parsed.headers.has('x-injected')).toBe(false);
      expect(raw.toString()).not.toMatch(/^Bcc:/im);
    }
  });

  it('keeps the long fixture under Gmail’s clipping size with the unsubscribe link intact', async () => {
    const before = smtp.messages.length;
    await publishAndWait(fixturePayload('long-article'));
    const messages = smtp.messages.slice(before);
    // An "Investigations" story: the four readers without a topic choice (nation@ chose another topic).
    expect(messages.flatMap((m) => m.envelopeTo).sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']);
    for (const { parsed } of messages) {
      expect(Buffer.byteLength(parsed.html as string)).toBeLessThan(100 * 1024);
      expect(parsed.html).toMatch(/Continue reading/);
      expect(parsed.html).toContain(listUnsubscribe(parsed).url);
    }
  });
});

async function deliveryOf(email: string, dispatchId: number) {
  return herald.ctx.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
    .select(['deliveries.status', 'deliveries.attempts', 'deliveries.failure', 'deliveries.lastResponse'])
    .where('subscribers.email', '=', email).where('deliveries.dispatchId', '=', dispatchId).executeTakeFirstOrThrow();
}

describe('failures', () => {
  it('retries a temporary failure until it is accepted, once', async () => {
    const email = 'flaky@example.com';
    await addSubscriber(email, { topics: ['flaky'] });
    smtp.setRule((to, attempt) => (to === email && attempt <= 2 ? { code: 452, message: 'Mailbox busy, try later' } : undefined));
    const view = await publishAndWait(articlePayload({ section: 'flaky', tags: [] }));
    smtp.setRule(undefined);
    expect(smtp.countFor(email)).toBe(1);
    // a–d (no topic choice) and the flaky reader; nation@ chose another topic.
    expect(view.progress[0].counts).toEqual({ sent: 5 });
    const delivery = await herald.ctx.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
      .select(['deliveries.attempts', 'deliveries.status']).where('subscribers.email', '=', email).where('deliveries.dispatchId', '=', view.id as never).executeTakeFirstOrThrow();
    expect(delivery).toEqual({ attempts: 3, status: 'sent' });
  });

  it('fails a permanent rejection for good and marks the subscriber bounced', async () => {
    const email = 'nobody@example.com';
    await addSubscriber(email);
    smtp.setRule((to) => (to === email ? { code: 550, message: 'No such user here' } : undefined));
    const view = await publishAndWait(articlePayload());
    smtp.setRule(undefined);
    expect(smtp.countFor(email)).toBe(0);
    expect(view.progress[0].counts.failed).toBe(1);
    // "completed" never hides a reader who did not get it.
    expect(view.status).toBe('completed_with_failures');
    const subscriber = await herald.ctx.db.selectFrom('subscribers').select('status').where('email', '=', email).executeTakeFirstOrThrow();
    expect(subscriber.status).toBe('bounced');
    const event = await herald.ctx.db.selectFrom('events').select(['cause', 'toStatus']).where('subjectType', '=', 'subscriber')
      .where('toStatus', '=', 'bounced').executeTakeFirstOrThrow();
    expect(event.cause).toBe('bounce');

    // The next edition does not go there at all.
    const next = await publishAndWait(articlePayload());
    expect(smtp.countFor(email)).toBe(0);
    expect(next.progress[0].total).toBe(5);
    expect(next.status).toBe('completed');
  });

  it('blocks a policy refusal (5.7.1) without bouncing the reader', async () => {
    const email = 'policy@blocked.example';
    await addSubscriber(email, { topics: ['policy'] });
    smtp.setRule((to) => (to === email ? { code: 550, message: '5.7.1 [CS01] Message rejected due to local policy' } : undefined));
    const view = await publishAndWait(articlePayload({ section: 'policy', tags: [] }));
    smtp.setRule(undefined);
    expect(smtp.countFor(email)).toBe(0);
    expect(view.status).toBe('completed_with_failures');
    expect(view.progress[0].counts).toMatchObject({ blocked: 1 });
    const delivery = await deliveryOf(email, view.id);
    expect(delivery).toMatchObject({ status: 'blocked', failure: 'permanent_policy' });
    expect(delivery.lastResponse).toContain('5.7.1');
    const subscriber = await herald.ctx.db.selectFrom('subscribers').select(['status', 'softBounces']).where('email', '=', email).executeTakeFirstOrThrow();
    expect(subscriber).toEqual({ status: 'confirmed', softBounces: 0 });
  });

  it('counts a full mailbox as a soft bounce per edition and bounces the reader only after SOFT_BOUNCE_LIMIT in a row', async () => {
    const email = 'full@example.com';
    await addSubscriber(email, { topics: ['full'] });
    const status = () => herald.ctx.db.selectFrom('subscribers').select(['status', 'softBounces']).where('email', '=', email).executeTakeFirstOrThrow();
    smtp.setRule((to) => (to === email ? { code: 452, message: '4.2.2 The recipient\'s inbox is out of storage space' } : undefined));

    // Retried to the end of its (test-short) retry window, then failed with the last reason: one soft bounce.
    const first = await publishAndWait(articlePayload({ section: 'full', tags: [] }));
    const delivery = await deliveryOf(email, first.id);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts).toBeGreaterThan(1);
    expect(delivery.lastResponse).toContain('4.2.2');
    expect(await status()).toEqual({ status: 'confirmed', softBounces: 1 });

    // A delivery that arrives in between resets the count.
    smtp.setRule(undefined);
    await publishAndWait(articlePayload({ section: 'full', tags: [] }));
    expect(await status()).toEqual({ status: 'confirmed', softBounces: 0 });

    smtp.setRule((to) => (to === email ? { code: 452, message: '4.2.2 The recipient\'s inbox is out of storage space' } : undefined));
    await publishAndWait(articlePayload({ section: 'full', tags: [] }));
    expect(await status()).toEqual({ status: 'confirmed', softBounces: 1 });
    await publishAndWait(articlePayload({ section: 'full', tags: [] }));
    smtp.setRule(undefined);
    expect(await status()).toEqual({ status: 'bounced', softBounces: 2 });
    const event = await herald.ctx.db.selectFrom('events').select('cause').where('subjectType', '=', 'subscriber')
      .where('toStatus', '=', 'bounced').where('cause', '=', 'soft-bounce-limit').executeTakeFirst();
    expect(event).toBeDefined();
  });

  it('slows the throttled provider group down, not the queue, without spending attempts', async () => {
    const email = 'throttled@example.com';
    await addSubscriber(email, { topics: ['throttle'] });
    // Nine more readers of the topic fill later batches (EMAIL_BATCH_SIZE 3), all of the same provider group (`other`).
    for (let i = 0; i < 9; i++) await addSubscriber(`throttle-${i}@example.com`, { topics: ['throttle'] });
    // 451 keeps the connection open, so the reply code reaches us every time (a 421 closes it, and nodemailer's pool
    // sometimes reports only the closed connection; the unit tests cover how 421 itself is classified).
    smtp.setRule((to, attempt) => (to === email && attempt <= 2 ? { code: 451, message: 'Rate limit exceeded, slow down' } : undefined));
    // Watches the queue's rate limit in Redis: when it was first seen, and how long it had to run then.
    let limited: { seenAt: number; endsNoEarlierThan: number } | undefined;
    const watcher = setInterval(async () => {
      const before = Date.now();
      const ttl = await herald.ctx.queues.emailBatch.getRateLimitTtl().catch(() => 0);
      if (ttl > 0 && !limited) limited = { seenAt: Date.now(), endsNoEarlierThan: before + ttl };
    }, 20);
    const view = await publishAndWait(articlePayload({ section: 'throttle', tags: [] })).finally(() => clearInterval(watcher));
    smtp.setRule(undefined);
    expect(smtp.countFor(email)).toBe(1);
    const delivery = await herald.ctx.db.selectFrom('deliveries').select(['attempts', 'status'])
      .where('dispatchId', '=', view.id as never).where('recipient', '=', String((await herald.ctx.db.selectFrom('subscribers').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id))
      .executeTakeFirstOrThrow();
    // Two throttling replies, yet only the successful attempt counts.
    expect(delivery).toEqual({ attempts: 1, status: 'sent' });

    // An SMTP reply speaks for the reader's provider: its group waited (src/email/pacing), the queue never did.
    expect(limited, 'the email queue not to be rate-limited').toBeUndefined();
    expect(view.progress[0].counts).toEqual({ sent: 14 });
  });
});
