// The dashboard in a real headless Chromium (Debian's, never a downloaded one): sign in, publish the seed fixture two
// seconds ahead and watch it complete, pause and resume a larger send, and screenshot every main page into
// tests/artifacts/ for a human to look at.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR, fixturePayload } from '../../support/articles.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { jobIds } from '../../../src/queue/queues.js';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../artifacts');
const SUBSCRIBERS = 200;

let browser: Browser;
let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  smtp = await startSmtpSink({ delayMs: 40 });
  herald = await startTestHerald({
    env: { SMTP_URL: smtp.url, SMTP_POOL_SIZE: '2', EMAIL_SEND_CHUNK: '2', EMAIL_BATCH_SIZE: '25', LIST_NAME: 'The Springfield Herald' },
  });
  await herald.ctx.db
    .insertInto('subscribers')
    .values(Array.from({ length: SUBSCRIBERS }, (_, i) => ({ email: `reader${i}@example.com`, name: i % 3 ? `Reader ${i}` : null, status: 'confirmed' as const })))
    .execute();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await herald?.stop();
  await smtp?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
const messagesOf = (dispatchId: number) => smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`));

/** `YYYY-MM-DDTHH:MM:SS` in UTC, as a datetime-local input takes it. */
const utcLocal = (date: Date) => date.toISOString().slice(0, 19);

async function signIn(context: BrowserContext, baseUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(/\/login/);
  await page.getByLabel('API token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Articles', level: 1 }).waitFor();
  return page;
}

const dispatchIdOf = (page: Page) => Number(/\/dispatches\/(\d+)/.exec(page.url())![1]);
const sentOnPage = async (page: Page) => Number((await page.locator('[data-channel="email"] [data-count="sent"]').textContent())!.replace(/,/g, ''));

describe('the dashboard', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  });
  afterAll(() => context?.close());

  it('refuses a wrong token and signs in with a right one', async () => {
    const login = await context.newPage();
    await login.goto(`${herald.baseUrl}/login`);
    await shot(login, '01-sign-in');
    await login.getByLabel('API token').fill('hrld_not-a-token');
    await login.getByRole('button', { name: 'Sign in' }).click();
    expect(await login.getByRole('alert').textContent()).toContain('That token is not valid.');
    await login.close();

    page = await signIn(context, herald.baseUrl);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'herald_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('publishes the seed fixture two seconds ahead and watches it complete', async () => {
    await page.goto(`${herald.baseUrl}/publish`);
    const json = page.locator('#json-form');
    await json.getByLabel('Article JSON').fill(readFileSync(path.join(FIXTURE_DIR, 'seed-article.json'), 'utf8'));
    await json.getByLabel('Schedule').check();
    await json.getByLabel('Time zone').selectOption('UTC');
    await json.getByLabel('Date and time').fill(utcLocal(new Date(Date.now() + 2000)));
    await json.getByRole('button', { name: 'Publish JSON' }).click();

    await page.waitForURL(/\/dispatches\/\d+$/);
    const id = dispatchIdOf(page);
    expect(await page.locator('.flash.ok').textContent()).toMatch(/scheduled for|on its way/);
    await shot(page, '03-dispatch-scheduled');
    // The page polls once a second; the badge follows the dispatch to the end.
    await page.locator('[data-field="status"]', { hasText: 'Completed' }).waitFor({ timeout: 45_000 });
    expect(await sentOnPage(page)).toBe(SUBSCRIBERS);
    await shot(page, '04-dispatch-completed');
    expect(messagesOf(id)).toHaveLength(SUBSCRIBERS);
    const row = await herald.ctx.db.selectFrom('dispatches').select(['scheduledAt', 'startedAt']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.scheduledAt).not.toBeNull();
    expect(row.startedAt!.getTime()).toBeGreaterThanOrEqual(row.scheduledAt!.getTime() - 1000);
  });

  it('pauses and resumes a larger send: each subscriber gets it exactly once', async () => {
    await page.goto(`${herald.baseUrl}/publish`);
    const form = page.locator('#fields-form');
    await form.getByLabel('Title').fill('Council approves the new bridge');
    await form.getByLabel('Article URL').fill('https://news.example.org/local/bridge');
    await form.getByLabel('Excerpt').fill('After two years of debate the council voted 7–2 for the river crossing.');
    await form.getByLabel('Body (HTML)').fill('<p>After two years of debate the council voted for the crossing.</p><p>Work starts in spring.</p>');
    await form.getByRole('checkbox', { name: /^X/ }).uncheck();
    // The social panel measures as the editor types.
    await form.locator('[data-network="mastodon"] [data-count]').filter({ hasText: /\d+ \/ 500/ }).waitFor();
    // Over one post: shown as the thread it becomes, part by part.
    await form.locator('#social-x').fill('x'.repeat(300));
    await form.locator('[data-network="x"] [data-count]').filter({ hasText: '300 / 280 · thread of 2' }).waitFor();
    expect(await form.locator('[data-network="x"] [data-count]').getAttribute('class')).toContain('fits');
    expect(await form.locator('[data-network="x"] [data-text]').textContent()).toMatch(/^Posted as a thread of 2 parts:\n\nx+ 1\/2\n\n—\n\nx+ 2\/2$/);
    // Over what even a thread may hold (25 parts): does not fit.
    await form.locator('#social-x').fill('x'.repeat(8000));
    await form.locator('[data-network="x"] [data-count]').filter({ hasText: '8000 / 280' }).waitFor();
    expect(await form.locator('[data-network="x"] [data-count]').getAttribute('class')).toContain('over');
    // Labelled with the network's name from the registry, for screen readers.
    expect(await form.locator('[data-network="x"] [data-count]').getAttribute('aria-label')).toBe('X: 8000 of 280 characters, does not fit');
    await form.locator('#social-x').fill('');
    await shot(page, '02-publish');
    await form.getByRole('button', { name: 'Publish', exact: true }).click();

    await page.waitForURL(/\/dispatches\/\d+$/);
    const id = dispatchIdOf(page);
    await eventually(async () => (await sentOnPage(page)) >= 5, 30_000, 'the first messages on the page');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('[data-field="status"]', { hasText: 'Paused' }).waitFor();
    expect(await page.locator('.flash.ok').textContent()).toContain('Paused');

    // At rest: nothing with the transport, and every batch job finished or waiting (it saw the pause; when it wakes it
    // reads the row again before claiming anything).
    await eventually(async () => {
      const sending = await herald.ctx.db.selectFrom('deliveries').select('id').where('dispatchId', '=', id).where('status', '=', 'sending').execute();
      const batches = await herald.ctx.db.selectFrom('emailBatches').select('batchNo').where('dispatchId', '=', id).execute();
      const states = await Promise.all(batches.map(async (b) => (await herald.ctx.queues.emailBatch.getJob(jobIds.emailBatch(id, b.batchNo)))?.getState()));
      return sending.length === 0 && states.length > 0 && states.every((state) => state === 'delayed' || state === 'completed');
    }, 30_000, 'the paused send to come to rest');
    const atPause = messagesOf(id).length;
    const sentRows = await herald.ctx.db.selectFrom('deliveries').select('id').where('dispatchId', '=', id).where('status', '=', 'sent').execute();
    expect(sentRows).toHaveLength(atPause);
    expect(atPause).toBeLessThan(SUBSCRIBERS);
    // The page shows the same count.
    await eventually(async () => (await sentOnPage(page)) === atPause, 10_000, 'the page to show the count at the pause');
    await shot(page, '05-dispatch-paused');

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('[data-field="status"]', { hasText: 'Completed' }).waitFor({ timeout: 45_000 });
    const recipients = messagesOf(id).map((m) => m.envelopeTo[0]);
    expect(recipients).toHaveLength(SUBSCRIBERS);
    expect(new Set(recipients).size).toBe(SUBSCRIBERS);
  });

  it('shows the edition preview, subscribers, tokens, settings and the queues', async () => {
    const { dispatch } = await (await herald.api('/api/articles', { body: { ...fixturePayload('unicode-article'), schedule: { at: '2099-01-01T09:00:00', timezone: 'Europe/Berlin' } } })).json();
    await page.goto(`${herald.baseUrl}/dispatches/${dispatch.id}/preview`);
    await page.locator('.frame.mobile iframe').waitFor();
    await page.getByLabel('Subject line').fill('Climate summit: what Tokyo decided');
    await page.getByRole('button', { name: 'Save subject and preheader' }).click();
    await page.locator('.facts dd', { hasText: 'Climate summit: what Tokyo decided' }).waitFor();
    await page.locator('.frame.mobile iframe').waitFor();
    const saved = await herald.ctx.db.selectFrom('dispatches').select(['subject', 'preheader']).where('id', '=', dispatch.id).executeTakeFirstOrThrow();
    expect(saved).toEqual({ subject: 'Climate summit: what Tokyo decided', preheader: null });
    await shot(page, '06-preview');

    await page.goto(`${herald.baseUrl}/`);
    await shot(page, '07-articles');

    await page.goto(`${herald.baseUrl}/subscribers?q=reader1`);
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(5);
    await shot(page, '08-subscribers');

    await page.goto(`${herald.baseUrl}/tokens`);
    await page.getByLabel('Name').fill('Desk editor');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.locator('[data-secret]').textContent())!;
    expect(token).toMatch(/^hrld_/);
    await shot(page, '09-tokens');

    await page.goto(`${herald.baseUrl}/settings`);
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    const facts = (await page.locator('.facts').allTextContents()).join(' ');
    expect(facts).toContain(herald.ctx.config.PUBLIC_URL);
    expect(facts).toContain('The Springfield Herald');
    expect(facts).toContain(herald.ctx.redisPrefix);
    expect(facts).not.toContain('test-secret-0123456789abcdef');
    await shot(page, '10-settings');

    await page.goto(`${herald.baseUrl}/admin/queues/queue/email-batch`);
    await page.getByText('email-batch').first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.getByText('Loading...').waitFor({ state: 'detached' }).catch(() => undefined);
    // bull-board lists every queue of this Herald.
    for (const queue of ['dispatch', 'email-batch', 'social', 'digest', 'feed']) {
      expect(await page.getByRole('link', { name: queue, exact: true }).count(), queue).toBeGreaterThan(0);
    }
    await shot(page, '11-queues');

    // The new editor token signs in, sees no admin pages, and cannot open the queue board.
    const editorContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const editorPage = await editorContext.newPage();
    await editorPage.goto(`${herald.baseUrl}/login`);
    await editorPage.getByLabel('API token').fill(token);
    await editorPage.getByRole('button', { name: 'Sign in' }).click();
    await editorPage.getByRole('heading', { name: 'Articles' }).waitFor();
    expect(await editorPage.getByRole('link', { name: 'Tokens' }).count()).toBe(0);
    expect((await editorPage.goto(`${herald.baseUrl}/admin/queues`))!.status()).toBe(403);
    expect((await editorPage.goto(`${herald.baseUrl}/settings`))!.status()).toBe(403);
    await editorPage.goto(`${herald.baseUrl}/dispatches/${dispatch.id}`);
    await shot(editorPage, '12-dispatch-phone');
    await editorContext.close();
  });

  it('signs out', async () => {
    await page.goto(`${herald.baseUrl}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    const response = await page.goto(`${herald.baseUrl}/subscribers`);
    expect(response!.url()).toContain('/login');
  });
});

describe('the capture inbox (embedded mode)', () => {
  it('lists and shows what Herald sent', async () => {
    const embedded = await startTestHerald();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    try {
      await embedded.api('/api/subscribers', { body: { email: 'reader@example.com', name: 'Rea Der' } });
      const { dispatch } = await (await embedded.api('/api/articles', { body: { ...fixturePayload('seed-article'), channels: ['email'] } })).json();
      await eventually(async () => (await (await embedded.api(`/api/dispatches/${dispatch.id}`)).json()).status === 'completed', 30_000, 'the send');
      const page = await signIn(context, embedded.baseUrl);
      await page.getByRole('link', { name: 'Inbox' }).click();
      await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
      // One message, to the one reader.
      const rows = page.locator('tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().textContent()).toContain('reader@example.com');
      await page.getByRole('link', { name: /America, ISIS Accomplice/ }).click();
      await page.getByRole('heading', { name: /America, ISIS Accomplice/, level: 1 }).waitFor();
      await page.getByText('Rea Der').first().waitFor();
      expect(await page.getByText('Rea Der').count()).toBeGreaterThan(0);
      await shot(page, '13-inbox-message');
    } finally {
      await context.close();
      await embedded.stop();
    }
  });
});
