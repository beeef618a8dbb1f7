// Clicks end to end: an edition's links arrive at a real SMTP server rewritten into tracked ones (all but
// unsubscribe and preferences), each redirects to its own target, nothing else redirects, and the counts of a burst of
// concurrent clicks add up exactly in the dispatch report once flushed, with nothing tying a click to a reader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickCounting } from '../../../src/analytics/click-counting.js';
import { signClickLink, signReaderSlot, verifyClickToken } from '../../../src/analytics/click-tokens.js';
import { dispatchReport } from '../../../src/analytics/dispatch-report.js';
import { articlePayload, fixturePayload } from '../../support/articles.js';
import { dashboardCookie } from '../../support/dashboard-session.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type ReceivedMessage, type SmtpSink } from '../../support/smtp-sink.js';

const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const READERS = ['a@example.com', 'b@example.com', 'c@example.com'];

let smtp: SmtpSink;
let herald: TestHerald;
let dispatchId: number;
let messages: ReceivedMessage[];

async function publishAndWait(payload: Record<string, unknown>): Promise<number> {
  const response = await herald.api('/api/articles', { body: { ...payload, channels: ['email'] } });
  expect(response.status).toBe(201);
  const { dispatch } = await response.json();
  await eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
    return view.status === 'completed' && view;
  }, 30_000, `dispatch ${dispatch.id} to complete`);
  return dispatch.id;
}

const hrefs = (html: string) => Array.from(html.matchAll(/<a\s[^>]*?href="([^"]*)"/g), (m) => m[1].replaceAll('&amp;', '&'));
const messageFor = (address: string) => messages.find((m) => m.envelopeTo.includes(address))!;
const trackedLinks = (message: ReceivedMessage) => [...new Set(hrefs(String(message.parsed.html)).filter((u) => u.startsWith(`${herald.baseUrl}/l/`)))];
const click = (url: string, init: { method?: string; userAgent?: string } = {}) =>
  fetch(url, { method: init.method ?? 'GET', redirect: 'manual', headers: { 'user-agent': init.userAgent ?? BROWSER } });

async function flushedReport() {
  await herald.ctx.clicks.flush.flushNow();
  return (await herald.api(`/api/dispatches/${dispatchId}/report`)).json();
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({
    env: { SMTP_URL: smtp.url, HERALD_UTM_HOSTS: 'news.example.org', HERALD_CLICK_FLUSH_MS: '600000' },
  });
  for (const email of READERS) expect((await herald.api('/api/subscribers', { body: { email } })).status).toBe(201);
  dispatchId = await publishAndWait(articlePayload({
    externalId: 'clicks-1',
    url: 'https://news.example.org/budget',
    html: '<p>Read <a href="https://news.example.org/related?ref=x">the related story</a>, ' +
      '<a href="https://other.example/report?a=1&amp;b=2">the report</a> and <a href="mailto:tips@news.example.org">tip us</a>.</p>',
  }));
  messages = smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`));
  expect(messages.length).toBe(READERS.length);
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

describe('tracked links', () => {
  it('rewrite every link of the arriving message but unsubscribe, preferences and mailto', () => {
    for (const message of messages) {
      const html = String(message.parsed.html);
      for (const href of hrefs(html)) {
        const allowed = [`${herald.baseUrl}/l/`, `${herald.baseUrl}/unsubscribe/`, `${herald.baseUrl}/preferences/`, 'mailto:tips@news.example.org'];
        expect(allowed.some((start) => href.startsWith(start)), href).toBe(true);
      }
      expect(hrefs(html).filter((u) => u.includes('/unsubscribe/') || u.includes('/preferences/'))).toHaveLength(2);
      // The plain-text part links the same way, and has no canary.
      const textUrls = String(message.parsed.text).match(/https?:\/\/[^\s\]]+/g) ?? [];
      expect(textUrls.length).toBeGreaterThan(3);
      for (const url of textUrls) expect(url).toMatch(new RegExp(`^${herald.baseUrl}/(l|unsubscribe|preferences)/`));
      expect(html).toContain('class="herald-canary"');
      expect(String(message.parsed.text)).not.toContain('herald-canary');
    }
    // Each reader's links are their own.
    expect(new Set(messages.map((m) => trackedLinks(m)[0])).size).toBe(READERS.length);
  });

  it('redirect at once to their own targets, with UTM parameters on the newsroom\'s own site only', async () => {
    const targets: string[] = [];
    for (const url of trackedLinks(messageFor('a@example.com'))) {
      const response = await click(url, { userAgent: 'curl/8.5.0' });
      expect(response.status).toBe(302);
      targets.push(response.headers.get('location')!);
    }
    const campaign = 'utm_source=herald&utm_medium=email&utm_campaign=';
    expect(targets).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^https://news\\.example\\.org/budget\\?${campaign}[a-z0-9-]+$`)),
      expect.stringMatching(new RegExp(`^https://news\\.example\\.org/related\\?ref=x&${campaign}[a-z0-9-]+$`)),
      'https://other.example/report?a=1&b=2',
      expect.stringMatching(new RegExp(`^${herald.baseUrl}/editions/[\\w-]+$`)),
    ]));
  });

  it('answer a forged, truncated or other installation\'s token with a 404 page, never a redirect', async () => {
    const genuine = trackedLinks(messageFor('a@example.com'))[0];
    const token = genuine.slice(`${herald.baseUrl}/l/`.length);
    const parts = token.split('.');
    const otherSecret = 'another-installation-secret-0123456789abcdef';
    const evil = Buffer.from('https://evil.example/').toString('base64url');
    const bad = [
      token.slice(0, -3),
      parts.slice(0, 4).join('.'),
      [parts[0], parts[1], evil, ...parts.slice(3)].join('.'),
      `${signClickLink(otherSecret, dispatchId, 1, 'https://evil.example/')}.${signReaderSlot(otherSecret, dispatchId, 1, new Date())}`,
      `${signClickLink(otherSecret, dispatchId, 1, 'https://evil.example/')}.w`,
      encodeURIComponent('https://evil.example/'),
      'nothing',
    ];
    for (const candidate of bad) {
      const response = await click(`${herald.baseUrl}/l/${candidate}`);
      expect(response.status, candidate).toBe(404);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('Link not found');
    }
  });
});

describe('click counts', () => {
  it('add up exactly after a burst of concurrent clicks, people and machines apart', async () => {
    const before = await flushedReport();
    // Reader c opens one link a hundred times (a person: the same link is no scan); b's link is fetched by
    // scanners (HEAD) and scripts.
    const human = trackedLinks(messageFor('c@example.com'))[1];
    const scanned = trackedLinks(messageFor('b@example.com'))[2];
    const responses = await Promise.all([
      ...Array.from({ length: 100 }, () => click(human)),
      ...Array.from({ length: 100 }, () => click(scanned, { method: 'HEAD' })),
      ...Array.from({ length: 100 }, () => click(scanned, { userAgent: 'python-requests/2.31.0' })),
    ]);
    expect(responses.every((r) => r.status === 302)).toBe(true);
    const after = await flushedReport();
    expect(after.clicks.human - before.clicks.human).toBe(100);
    expect(after.clicks.machine - before.clicks.machine).toBe(200);
    const humanPosition = verifyClickToken(herald.ctx.linkSecrets, human.split('/l/')[1])!.position;
    const link = after.links.find((l: { position: number }) => l.position === humanPosition);
    const linkBefore = before.links.find((l: { position: number }) => l.position === humanPosition);
    expect(link.human - linkBefore.human).toBe(100);
  });

  it('counts a scanner\'s click burst as machine clicks once it opens the canary', async () => {
    const before = await flushedReport();
    const links = trackedLinks(messageFor('b@example.com'));
    const canary = hrefs(String(messageFor('b@example.com').parsed.html))[0];
    expect(links).toContain(canary);
    await click(links[1]);
    await click(canary);
    const after = await flushedReport();
    expect(after.clicks.machine - before.clicks.machine).toBe(2);
    expect(after.clicks.human - before.clicks.human).toBe(0);
  });

  it('store nothing that ties a click to a reader while attribution is off', async () => {
    await flushedReport();
    expect(await herald.ctx.db.selectFrom('deliveryClicks').selectAll().execute()).toEqual([]);
    expect(await herald.ctx.redis.keys(`${herald.ctx.redisPrefix}:clicks:deliveries*`)).toEqual([]);
    const report = await flushedReport();
    expect(report).toMatchObject({ attribution: false, uniqueClickers: null });
  });

  it('count unique clickers per delivery when attribution is on', async () => {
    const counting = createClickCounting({
      db: herald.ctx.db, redis: herald.ctx.redis, redisPrefix: `${herald.ctx.redisPrefix}:attributed`, log: herald.ctx.log,
      config: { HERALD_CLICK_ATTRIBUTION: 'on', HERALD_CLICK_FLUSH_MS: 600_000 },
    });
    const claims = (address: string) => verifyClickToken(herald.ctx.linkSecrets, trackedLinks(messageFor(address))[1].split('/l/')[1])!;
    const later = new Date(Date.now() + 3_600_000);
    for (const address of ['a@example.com', 'c@example.com', 'c@example.com']) {
      counting.recorder.record(claims(address), { method: 'GET', userAgent: BROWSER, at: later });
    }
    counting.recorder.record(claims('b@example.com'), { method: 'HEAD', at: later });
    await counting.flush.flushNow();
    const report = await dispatchReport(herald.ctx.db, dispatchId, { attribution: true, trackOpens: false });
    expect(report?.uniqueClickers).toBe(2);
    const rows = await herald.ctx.db.selectFrom('deliveryClicks').selectAll().where('dispatchId', '=', dispatchId).execute();
    expect(rows.map((r) => [r.human, r.machine]).sort()).toEqual([[0, 1], [1, 0], [2, 0]]);
  });
});

describe('the dispatch report', () => {
  it('gives delivered, failures by kind, clicks and top links, as JSON and as CSV', async () => {
    const report = await flushedReport();
    expect(report).toMatchObject({ dispatchId, delivered: 3, failed: { hardBounce: 0, blocked: 0, other: 0 } });
    expect(report.clicks.human + report.clicks.machine).toBeGreaterThan(300);
    expect(report.links.map((l: { kind: string }) => l.kind)).not.toContain('canary');
    expect(report.links[0].human).toBeGreaterThanOrEqual(100);

    const asks: Array<{ path: string; headers: Record<string, string> }> = [{ path: '?format=csv', headers: {} }, { path: '', headers: { accept: 'text/csv' } }];
    for (const init of asks) {
      const response = await herald.api(`/api/dispatches/${dispatchId}/report${init.path}`, { headers: init.headers });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      const csv = await response.text();
      expect(csv).toContain('section,name,url,value,human_clicks,machine_clicks');
      expect(csv).toContain(`summary,clicks,,,${report.clicks.human},${report.clicks.machine}`);
      expect(csv).toContain('https://other.example/report?a=1&b=2');
    }
    expect((await herald.api('/api/dispatches/999999/report')).status).toBe(404);
    expect((await herald.api(`/api/dispatches/${dispatchId}/report`, { token: null })).status).toBe(401);
  });

  it('is a dashboard page, linked from the dispatch page', async () => {
    const cookie = await dashboardCookie(herald.baseUrl, ADMIN_TOKEN);
    expect(await (await fetch(`${herald.baseUrl}/dispatches/${dispatchId}`, { headers: { cookie } })).text()).toContain(`href="/dispatches/${dispatchId}/report"`);
    const page = await fetch(`${herald.baseUrl}/dispatches/${dispatchId}/report`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toMatch(/Human clicks <strong>\d+<\/strong>/);
    expect(text).toMatch(/Machine clicks <strong>\d+<\/strong>/);
    expect(text).toContain('https://other.example/report?a=1&amp;b=2');
    expect((await fetch(`${herald.baseUrl}/dispatches/${dispatchId}/report`, { redirect: 'manual' })).status).toBe(303);
  });

  it('is in the OpenAPI document', async () => {
    const document = await (await herald.api('/api/openapi.json', { token: null })).json();
    expect(document.paths['/api/dispatches/{id}/report']?.get).toBeDefined();
  });
});

describe('the hostile fixture', () => {
  it('stays harmless with its links tracked', async () => {
    const before = smtp.messages.length;
    const id = await publishAndWait(fixturePayload('hostile-article'));
    const arrived = smtp.messages.slice(before).filter((m) => m.parsed.messageId?.startsWith(`<herald.${id}.`));
    expect(arrived.length).toBe(READERS.length);
    for (const { parsed } of arrived) {
      const html = String(parsed.html);
      expect(html).not.toMatch(/<script|<iframe|<img src=x|\sonerror\s*=|\sonclick\s*=|javascript:/i);
      for (const href of hrefs(html)) expect(href).toMatch(new RegExp(`^${herald.baseUrl}/(l|unsubscribe|preferences)/[\\w.-]+$`));
    }
    // Its tracked article link leads to the percent-encoded URL, never to markup.
    const response = await click(trackedLinks(arrived[0]).find((u) => verifyClickToken(herald.ctx.linkSecrets, u.split('/l/')[1])?.target.includes('breaking'))!);
    expect(response.headers.get('location')).toMatch(/^https:\/\/news\.example\.org\/nation\/breaking%22%3E%3Cimg%20src=x%20onerror=alert\(1\)%3E/);
  });
});
