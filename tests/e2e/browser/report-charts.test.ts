// The report, subscribers and webhooks pages in a real headless Chromium (Debian's): an admin registers a webhook
// endpoint by the form, sees another's refused delivery and the notice that it was disabled, and redelivers one, a real send reaches the SMTP sink, readers click its links,
// and the report page draws the clicks (uPlot, served by Herald, under the dashboard's strict CSP) above tables whose
// numbers are the API's; without JavaScript the same tables stand alone. Screenshots into tests/artifacts/.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../artifacts');
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const READERS = ['ann@example.com', 'bob@example.com', 'cy@example.com'];

let browser: Browser;
let smtp: SmtpSink;
let receiver: WebhookReceiver;
let herald: TestHerald;
let context: BrowserContext;
let page: Page;
const cspViolations: string[] = [];
const extraReceivers: WebhookReceiver[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  smtp = await startSmtpSink();
  receiver = await startWebhookReceiver();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url, HERALD_FETCH_ALLOW_HOSTS: '127.0.0.1', HERALD_CLICK_FLUSH_MS: '600000' } });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto(`${herald.baseUrl}/login`);
  await page.getByLabel('API token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Articles', level: 1 }).waitFor();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await herald?.stop();
  await receiver?.close();
  await Promise.all(extraReceivers.map((r) => r.close()));
  await smtp?.close();
});

const shot = (p: Page, name: string) => p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
const hrefs = (html: string) => Array.from(html.matchAll(/<a\s[^>]*?href="([^"]*)"/g), (m) => m[1].replaceAll('&amp;', '&'));

/** What the page function below touches of the DOM (the tests compile without the DOM's types). */
interface Cell { getAttribute(name: string): string | null; querySelector(selector: string): Cell | null; querySelectorAll(selector: string): ArrayLike<Cell> }

/** The numbers of a chart's table: per row, its label and each series' raw value. */
async function chartTable(p: Page, id: string): Promise<{ x: string; values: number[] }[]> {
  return p.locator(`figure[data-chart-id="${id}"] .table-wrap tbody tr`).evaluateAll((rows) => (rows as unknown as Cell[]).map((row) => ({
    x: row.querySelector('th')!.getAttribute('data-x')!,
    values: Array.from(row.querySelectorAll('td[data-value]'), (cell) => Number(cell.getAttribute('data-value'))),
  })));
}

describe('the webhooks, report and subscribers pages', () => {
  let dispatchId: number;
  let clicksMade = 0;

  it('registers a webhook endpoint from the form; the secret is shown once', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByLabel('URL').fill(receiver.url);
    await page.getByRole('checkbox', { name: 'dispatch.started' }).check();
    await page.getByRole('checkbox', { name: 'dispatch.completed' }).check();
    await page.getByRole('button', { name: 'Register endpoint' }).click();
    const secret = (await page.locator('[data-secret]').textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    const rows = await herald.ctx.db.selectFrom('webhookEndpoints').select(['url', 'events', 'secret']).execute();
    expect(rows).toEqual([{ url: receiver.url, events: ['dispatch.started', 'dispatch.completed'], secret }]);
    // A bad URL is refused with the reason, and nothing is stored.
    await page.getByLabel('URL').fill('ftp://files.example.org/hook');
    await page.getByRole('checkbox', { name: 'post.published' }).check();
    await page.getByRole('button', { name: 'Register endpoint' }).click();
    expect(await page.locator('.flash.error').textContent()).toContain('must be an http or https URL');
    expect(await herald.ctx.db.selectFrom('webhookEndpoints').select('id').execute()).toHaveLength(1);
  });

  it('a real send: the endpoint gets its events, the page lists them with failures, and Redeliver sends one again', async () => {
    // A second endpoint on a private address the fetcher refuses, failing for three days already: this send disables it.
    const hidden = await startWebhookReceiver('127.0.0.2');
    extraReceivers.push(hidden);
    const registered = await herald.api('/api/webhooks', { body: { url: hidden.url, events: ['dispatch.completed'] } });
    expect(registered.status).toBe(201);
    await herald.ctx.db.updateTable('webhookEndpoints').set({ failingSince: new Date(Date.now() - 73 * 3600_000), consecutiveFailures: 40 })
      .where('id', '=', (await registered.json()).id).execute();
    for (const email of READERS) expect((await herald.api('/api/subscribers', { body: { email } })).status).toBe(201);
    const response = await herald.api('/api/articles', { body: articlePayload({
      channels: ['email'],
      url: 'https://news.example.org/budget',
      html: '<p>Read <a href="https://news.example.org/related">the related story</a> and <a href="https://other.example/data">the data</a>.</p>',
    }) });
    expect(response.status).toBe(201);
    dispatchId = (await response.json()).dispatch.id;
    await eventually(async () => (await (await herald.api(`/api/dispatches/${dispatchId}`)).json()).status === 'completed', 30_000, 'the send');
    await eventually(async () => receiver.received.length >= 2, 20_000, 'dispatch.started and dispatch.completed at the receiver');
    expect(receiver.received.map((r) => JSON.parse(r.body).type).sort()).toEqual(['dispatch.completed', 'dispatch.started']);

    await page.goto(`${herald.baseUrl}/webhooks`);
    const working = page.locator('[data-endpoint]', { hasText: receiver.url });
    const refused = page.locator('[data-endpoint]', { hasText: hidden.url });
    await eventually(async () => {
      await page.reload();
      return (await working.locator('tbody tr').filter({ hasText: 'Delivered' }).count()) === 2 &&
        (await refused.locator('tbody tr').filter({ hasText: 'Failed' }).count()) === 1;
    }, 20_000, 'the deliveries shown as delivered and failed');
    expect(await refused.locator('tbody tr').textContent()).toContain('forbidden_address');
    expect(await refused.textContent()).toContain('Disabled');
    expect(await page.locator('[data-disabled-notice]').textContent()).toContain(hidden.url);
    expect(hidden.received).toHaveLength(0);
    await working.getByRole('button', { name: /Redeliver dispatch\.completed/ }).click();
    expect(await page.locator('.flash.ok').textContent()).toContain('queued again');
    await eventually(async () => receiver.received.length === 3, 20_000, 'the redelivery at the receiver');
    expect(JSON.parse(receiver.received[2].body).type).toBe('dispatch.completed');
    await page.reload();
    await shot(page, 'webhooks');
  });

  it('draws the report\'s clicks over time and per link, with the API\'s numbers in the tables', async () => {
    const messages = smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`));
    expect(messages).toHaveLength(READERS.length);
    const tracked = messages.map((m) => [...new Set(hrefs(String(m.parsed.html)).filter((u) => u.startsWith(`${herald.baseUrl}/l/`)))]);
    // Each reader clicks a different number of links; one mail scanner fetches a link too.
    for (const [reader, links] of tracked.entries()) {
      for (const url of links.slice(1, 2 + reader)) {
        const clicked = await fetch(url, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
        expect(clicked.status).toBe(302);
        clicksMade++;
      }
    }
    expect((await fetch(tracked[0][1], { redirect: 'manual', headers: { 'user-agent': 'Barracuda Sentinel (EE)' } })).status).toBe(302);
    clicksMade++;
    await herald.ctx.clicks.flush.flushNow();
    const report = await (await herald.api(`/api/dispatches/${dispatchId}/report`)).json();
    expect(report.clicks.human + report.clicks.machine).toBe(clicksMade);

    await page.goto(`${herald.baseUrl}/dispatches/${dispatchId}/report`);
    for (const id of ['clicks-over-time', 'clicks-per-link']) {
      await page.locator(`figure[data-chart-id="${id}"][data-drawn] canvas`).first().waitFor();
    }
    const perLink = await chartTable(page, 'clicks-per-link');
    expect(perLink.map((row) => row.values)).toEqual(report.links.map((l: { human: number; machine: number }) => [l.human, l.machine]));
    expect(perLink.map((row) => row.x)).toEqual(report.links.map((_: unknown, i: number) => `#${i + 1}`));
    const overTime = await chartTable(page, 'clicks-over-time');
    expect(overTime.map((row) => row.values)).toEqual(report.clicksOverTime.buckets.map((b: { human: number; machine: number }) => [b.human, b.machine]));
    const summed = overTime.reduce((sum, row) => sum + row.values[0] + row.values[1], 0);
    expect(summed).toBe(clicksMade);
    expect(cspViolations).toEqual([]);
    await shot(page, 'report');
  });

  it('without JavaScript the report is its tables, the same numbers', async () => {
    const plain = await browser.newContext({ viewport: { width: 1024, height: 900 }, javaScriptEnabled: false, storageState: await context.storageState() });
    try {
      const p = await plain.newPage();
      await p.goto(`${herald.baseUrl}/dispatches/${dispatchId}/report`);
      await p.getByRole('heading', { name: 'Report', level: 1 }).waitFor();
      expect(await p.locator('figure canvas').count()).toBe(0);
      const rows = await chartTable(p, 'clicks-per-link');
      expect(rows.reduce((sum, row) => sum + row.values[0] + row.values[1], 0)).toBe(clicksMade);
      expect(await p.locator('figure[data-chart-id="clicks-per-link"] tbody').textContent()).toContain('https://other.example/data');
    } finally {
      await plain.close();
    }
  });

  it('charts the subscribers who confirmed today on the subscribers page', async () => {
    await page.goto(`${herald.baseUrl}/subscribers`);
    await page.locator('figure[data-chart-id="subscriber-history"][data-drawn] canvas').first().waitFor();
    const days = await chartTable(page, 'subscriber-history');
    expect(days).toHaveLength(30);
    const today = new Date().toISOString().slice(5, 10);
    // Columns: confirmed, unsubscribed, bounced, complained.
    expect(days.at(-1)).toEqual({ x: today, values: [READERS.length, 0, 0, 0] });
    expect(days.slice(0, -1).every((d) => d.values.every((v) => v === 0))).toBe(true);
    expect(cspViolations).toEqual([]);
    await shot(page, 'subscribers-history');
  });
});
