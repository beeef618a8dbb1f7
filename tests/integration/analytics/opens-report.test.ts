// Opens and the rest of the dispatch report from a real send to a real SMTP server: the arriving message carries the
// open pixel (HTML only), a burst of pixel fetches adds up exactly with image proxies and prefetches kept apart, nothing
// ties an open to a reader while attribution is off, and the report (JSON and CSV) gives failures by kind,
// complaints, the unsubscribes this edition caused, clicks over time and the caveat on opens. Plus the subscriber history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickCounting } from '../../../src/analytics/click-counting.js';
import { signReaderSlot } from '../../../src/analytics/click-tokens.js';
import { OPENS_CAVEAT, dispatchReport } from '../../../src/analytics/dispatch-report.js';
import { signOpenPixel, verifyOpenToken } from '../../../src/analytics/open-tokens.js';
import { articlePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type ReceivedMessage, type SmtpSink } from '../../support/smtp-sink.js';

const THUNDERBIRD = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.5.0';
const APPLE_PRIVACY = 'Mozilla/5.0';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const READERS = ['a@example.com', 'b@example.com', 'c@example.com'];
const GONE = 'gone@example.com';
const BLOCKED = 'blocked@example.com';
const WEBHOOK_TOKEN = 'generic-webhook-token-0123456789';

let smtp: SmtpSink;
let herald: TestHerald;
let dispatchId: number;
let messages: ReceivedMessage[];

const messageFor = (address: string) => messages.find((m) => m.envelopeTo.includes(address))!;
const pixelOf = (message: ReceivedMessage) => /<img src="([^"]+\/o\/[^"]+\.gif)"/.exec(String(message.parsed.html))?.[1]?.replaceAll('&amp;', '&');
const fetchPixel = (url: string, userAgent: string, method = 'GET') => fetch(url, { method, headers: { 'user-agent': userAgent } });

/** The message's own pixel, as if it had been sent at `sentAt` (default an hour ago, past the prefetch window). */
function pixelSentAnHourAgo(message: ReceivedMessage, sentAt = new Date(Date.now() - 3_600_000)): string {
  const claims = verifyOpenToken(herald.ctx.linkSecrets, pixelOf(message)!.split('/o/')[1]!.replace(/\.gif$/, ''))!;
  const slot = signReaderSlot(herald.ctx.secret, dispatchId, claims.reader!.deliveryId, sentAt);
  return `${herald.baseUrl}/o/${signOpenPixel(herald.ctx.secret, dispatchId)}.${slot}.gif`;
}

async function flushedReport(query = '') {
  await herald.ctx.clicks.flush.flushNow();
  return (await herald.api(`/api/dispatches/${dispatchId}/report${query}`)).json();
}

const unsubscribeUrl = (message: ReceivedMessage) =>
  /List-Unsubscribe: <([^>]+)>/.exec(message.raw.toString('utf8').replace(/\r\n\s+/g, ' '))![1]!;

beforeAll(async () => {
  smtp = await startSmtpSink();
  smtp.setRule((to) => to === GONE ? { code: 550, message: '5.1.1 No such user here' }
    : to === BLOCKED ? { code: 550, message: '5.7.1 Message rejected due to local policy' } : undefined);
  herald = await startTestHerald({
    env: {
      SMTP_URL: smtp.url, HERALD_TRACK_OPENS: 'on', HERALD_CLICK_FLUSH_MS: '600000', HERALD_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      // Two refusals in five would pause the send for the reputation guard; here they are the point.
      REPUTATION_EARLY_PERCENT: '100', REPUTATION_PERCENT: '100',
    },
  });
  for (const email of [...READERS, GONE, BLOCKED]) expect((await herald.api('/api/subscribers', { body: { email } })).status).toBe(201);
  const response = await herald.api('/api/articles', { body: { ...articlePayload({ externalId: 'opens-1' }), channels: ['email'] } });
  dispatchId = (await response.json()).dispatch.id;
  await eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatchId}`)).json();
    return view.status.startsWith('completed') && view;
  }, 30_000, 'the dispatch to complete');
  messages = smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`));
  expect(messages.length).toBe(READERS.length);
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

describe('the open pixel', () => {
  it('is in every arriving message\'s HTML, its own per reader, and not in the plain text', () => {
    const pixels = messages.map(pixelOf);
    for (const pixel of pixels) expect(pixel).toMatch(new RegExp(`^${herald.baseUrl}/o/[\\w.-]+\\.gif$`));
    expect(new Set(pixels).size).toBe(READERS.length);
    for (const message of messages) expect(String(message.parsed.text)).not.toContain('/o/');
  });

  it('answers a GIF that no cache keeps, and a 404 to a forged or truncated token', async () => {
    const response = await fetchPixel(pixelSentAnHourAgo(messageFor('a@example.com')), THUNDERBIRD);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('cache-control')).toContain('no-store');
    expect(Buffer.from(await response.arrayBuffer()).subarray(0, 6).toString()).toBe('GIF89a');
    const genuine = pixelOf(messageFor('a@example.com'))!;
    const other = `${herald.baseUrl}/o/${signOpenPixel('another-installation-secret-0123456789abcdef', dispatchId)}.w.gif`;
    for (const bad of [genuine.replace(/\.gif$/, ''), genuine.slice(0, -8) + '.gif', other, `${herald.baseUrl}/o/nothing.gif`]) {
      expect((await fetchPixel(bad, THUNDERBIRD)).status, bad).toBe(404);
    }
  });

  it('counts a burst of fetches exactly, with Apple\'s and Google\'s proxies, HEAD and prefetches as machine opens', async () => {
    const before = (await flushedReport()).opens;
    const human = pixelSentAnHourAgo(messageFor('b@example.com'));
    const justSent = pixelSentAnHourAgo(messageFor('c@example.com'), new Date()); // fetched as it arrives: a prefetch
    const responses = await Promise.all([
      ...Array.from({ length: 60 }, () => fetchPixel(human, THUNDERBIRD)),
      ...Array.from({ length: 30 }, () => fetchPixel(human, APPLE_PRIVACY)),
      ...Array.from({ length: 20 }, () => fetchPixel(human, GMAIL_PROXY)),
      ...Array.from({ length: 10 }, () => fetchPixel(human, THUNDERBIRD, 'HEAD')),
    ]);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect((await fetchPixel(justSent, THUNDERBIRD)).status).toBe(200);
    const after = (await flushedReport()).opens;
    expect(after.human - before.human).toBe(60);
    expect(after.machine - before.machine).toBe(61);
    expect(after.note).toBe(OPENS_CAVEAT);
    expect(after.uniqueOpeners).toBeNull();
  });

  it('counts nothing for the web copy\'s pixel (nobody\'s)', async () => {
    const { publicId } = await herald.ctx.db.selectFrom('editions').select('publicId').where('dispatchId', '=', dispatchId).executeTakeFirstOrThrow();
    const page = await (await fetch(`${herald.baseUrl}/editions/${publicId}`)).text();
    const webPixel = /<img src="([^"]+\/o\/[^"]+\.gif)"/.exec(page)?.[1];
    expect(webPixel).toMatch(/\.w\.gif$/);
    const before = (await flushedReport()).opens;
    expect((await fetchPixel(webPixel!, THUNDERBIRD)).status).toBe(200);
    expect((await flushedReport()).opens).toEqual(before);
  });

  it('stores nothing that ties an open to a reader while attribution is off', async () => {
    await flushedReport();
    expect(await herald.ctx.db.selectFrom('deliveryOpens').selectAll().execute()).toEqual([]);
    expect(await herald.ctx.redis.keys(`${herald.ctx.redisPrefix}:opens:deliveries*`)).toEqual([]);
  });

  it('counts unique openers per delivery when attribution is on', async () => {
    const counting = createClickCounting({
      db: herald.ctx.db, redis: herald.ctx.redis, redisPrefix: `${herald.ctx.redisPrefix}:attributed`, log: herald.ctx.log,
      config: { HERALD_CLICK_ATTRIBUTION: 'on', HERALD_CLICK_FLUSH_MS: 600_000 },
    });
    const claims = (address: string) => verifyOpenToken(herald.ctx.linkSecrets, pixelSentAnHourAgo(messageFor(address)).split('/o/')[1]!.replace(/\.gif$/, ''))!;
    const now = new Date();
    for (const address of ['a@example.com', 'a@example.com', 'c@example.com']) counting.opens.record(claims(address), { method: 'GET', userAgent: THUNDERBIRD, at: now });
    counting.opens.record(claims('b@example.com'), { method: 'GET', userAgent: APPLE_PRIVACY, at: now });
    await counting.flush.flushNow();
    const report = await dispatchReport(herald.ctx.db, dispatchId, { attribution: true, trackOpens: true });
    expect(report?.opens?.uniqueOpeners).toBe(2);
    const rows = await herald.ctx.db.selectFrom('deliveryOpens').select(['human', 'machine']).where('dispatchId', '=', dispatchId).execute();
    expect(rows.map((r) => [Number(r.human), Number(r.machine)]).sort()).toEqual([[0, 1], [1, 0], [2, 0]]);
  });
});

describe('the dispatch report', () => {
  // What readers do after the send, once for the describe: each test below reads the report it makes.
  beforeAll(async () => {
    // Reader a leaves with the mail app's one-click button (the List-Unsubscribe header), b through the footer link's page.
    const oneClick = await fetch(unsubscribeUrl(messageFor('a@example.com')), {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    const footer = /href="([^"]+\/unsubscribe\/[^"]+)"/.exec(String(messageFor('b@example.com').parsed.html))![1]!.replaceAll('&amp;', '&');
    const viaPage = await fetch(footer, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click&via=page',
    });
    expect(viaPage.status).toBe(200);
    // Reader c marks it as spam; the provider tells Herald.
    const complaint = await fetch(`${herald.baseUrl}/webhooks/generic`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body: JSON.stringify({ type: 'complaint', email: 'c@example.com' }),
    });
    expect(complaint.status).toBe(200);
    // Twelve clicks from a browser and five from a script, on one link of c's message.
    const tracked = [...String(messageFor('c@example.com').parsed.html).matchAll(/href="([^"]+\/l\/[^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
    const browser = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
    await Promise.all(Array.from({ length: 12 }, () => fetch(tracked[2]!, { redirect: 'manual', headers: { 'user-agent': browser } })));
    await Promise.all(Array.from({ length: 5 }, () => fetch(tracked[2]!, { redirect: 'manual', headers: { 'user-agent': 'curl/8.5.0' } })));
  });

  it('counts failures by kind, complaints and the unsubscribes this edition caused, one-click and footer link apart', async () => {
    const report = await flushedReport();
    expect(report).toMatchObject({
      dispatchId,
      delivered: 3,
      failed: { hardBounce: 1, blocked: 1, other: 0 },
      complaints: 1,
      unsubscribes: { total: 2, oneClick: 1, link: 1 },
    });
  });

  it('gives clicks over time after sending, adding up to the click totals', async () => {
    const report = await flushedReport('?bucketMinutes=5');
    expect(report.clicks).toEqual({ human: 12, machine: 5 });
    expect(report.clicksOverTime.bucketMinutes).toBe(5);
    expect(report.clicksOverTime.since).not.toBeNull();
    const sum = report.clicksOverTime.buckets.reduce((s: { human: number; machine: number }, b: { human: number; machine: number }) =>
      ({ human: s.human + b.human, machine: s.machine + b.machine }), { human: 0, machine: 0 });
    expect(sum).toEqual(report.clicks);
    // Sent moments ago: every click falls in the first hour.
    for (const bucket of report.clicksOverTime.buckets) expect(bucket.minutesAfterSend).toBeLessThan(60);
    expect((await herald.api(`/api/dispatches/${dispatchId}/report?bucketMinutes=7`)).status).toBe(400);
  });

  it('is the same figures as CSV, opens marked approximate', async () => {
    const report = await flushedReport();
    const csv = await (await herald.api(`/api/dispatches/${dispatchId}/report?format=csv`)).text();
    expect(csv).toContain('summary,failed_hard_bounce,,1,,');
    expect(csv).toContain('summary,failed_blocked,,1,,');
    expect(csv).toContain('summary,complaints,,1,,');
    expect(csv).toContain('summary,unsubscribes_one_click,,1,,');
    expect(csv).toContain(`summary,opens (approximate),,,${report.opens.human},${report.opens.machine}`);
    expect(csv).toMatch(/clicks_over_time,0-5 min,,0,12,5/);
  });

  it('documents the new figures in the OpenAPI document', async () => {
    const document = await (await herald.api('/api/openapi.json', { token: null })).json();
    const schema = JSON.stringify(document.components?.schemas?.DispatchReport ?? document.paths['/api/dispatches/{id}/report']);
    for (const field of ['complaints', 'unsubscribes', 'clicksOverTime', 'opens', 'engagement']) expect(schema).toContain(field);
    expect(document.paths['/api/subscribers/history']?.get).toBeDefined();
  });
});

describe('subscribers over time', () => {
  it('counts confirmed, unsubscribed, bounced and complained readers per day', async () => {
    const response = await herald.api('/api/subscribers/history?days=7');
    expect(response.status).toBe(200);
    const { days } = await response.json();
    expect(days).toHaveLength(7);
    expect(days.map((d: { date: string }) => d.date)).toEqual([...days.map((d: { date: string }) => d.date)].sort());
    const today = days.at(-1);
    expect(today.date).toBe(new Date().toISOString().slice(0, 10));
    expect(today).toMatchObject({ confirmed: 5, unsubscribed: 2, bounced: 1, complained: 1 });
    expect(days.slice(0, -1).every((d: Record<string, number>) => d.confirmed + d.unsubscribed + d.bounced + d.complained === 0)).toBe(true);
  });

  it('refuses a days value out of range, naming the field', async () => {
    for (const days of ['0', '367', 'abc']) {
      const response = await herald.api(`/api/subscribers/history?days=${days}`);
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain('days');
    }
  });
});
