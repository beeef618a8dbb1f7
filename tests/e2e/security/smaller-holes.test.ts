// The smaller holes, each tried against a running Herald: sign-in redirects off-site, phishing text in the
// confirmation mail, replayed CMS signatures, guessable or cancelled edition pages, javascript: links on a resolved
// delivery, an oversized CSV field, and a data dir readable by others.
import { createHmac } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';

const CMS_SECRET = 'cms-webhook-secret-0123456789';
let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url, CMS_WEBHOOK_SECRET: CMS_SECRET } });
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

const cookiesOf = (response: Response) => response.headers.getSetCookie().map((c) => c.split(';')[0]);

describe('sign-in', () => {
  it.each(['/\t/evil.example', '/%09/evil.example', '//evil.example', '/\\evil.example', 'https://evil.example/', '/\n/evil.example'])(
    'lands on the dashboard home for next=%j',
    async (next) => {
      const form = await fetch(`${herald.baseUrl}/login?next=${encodeURIComponent(next)}`);
      const page = await form.text();
      const nonce = /name="_login" value="([^"]+)"/.exec(page)![1];
      expect(page).not.toContain('evil.example');
      const response = await fetch(`${herald.baseUrl}/login`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(form).join('; ') },
        body: new URLSearchParams({ _login: nonce, token: ADMIN_TOKEN, next: decodeURIComponent(next) }),
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/');
    },
  );
});

describe('the confirmation mail', () => {
  it('does not carry the name typed on the public form', async () => {
    const name = 'Your account is locked, log in at https://evil.example';
    const response = await fetch(`${herald.baseUrl}/subscribe`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: 'phished@example.com', name }),
    });
    expect(response.status).toBe(202);
    const message = await eventually(async () => smtp.messages.find((m) => m.envelopeTo.includes('phished@example.com')), 20_000, 'the confirmation');
    const raw = message.raw.toString('latin1');
    expect(raw).not.toContain('evil.example');
    expect(raw).not.toContain('locked');
    expect(message.parsed.to).toMatchObject({ value: [{ address: 'phished@example.com', name: '' }] });
  });
});

describe('the CMS webhook', () => {
  const body = JSON.stringify(articlePayload());
  const ghostSigned = (t: number) => `sha256=${createHmac('sha256', CMS_SECRET).update(body + String(t)).digest('hex')}, t=${t}`;
  const send = (t: number) => fetch(`${herald.baseUrl}/webhooks/cms`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-ghost-signature': ghostSigned(t) }, body,
  });

  it('refuses a signature whose timestamp is more than five minutes off, and takes a fresh one', async () => {
    expect((await send(Date.now() - 10 * 60_000)).status).toBe(401);
    expect((await send(Date.now() + 10 * 60_000)).status).toBe(401);
    expect((await send(Date.now())).status).toBe(201);
  });
});

describe('the web copy of an edition', () => {
  let dispatchId: number;
  let publicId: string;

  beforeAll(async () => {
    await herald.api('/api/subscribers', { body: { email: 'edition-reader@example.com', status: 'confirmed' } });
    const published = await (await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'] } })).json();
    dispatchId = published.dispatch.id;
    const edition = await eventually(
      () => herald.ctx.db.selectFrom('editions').select('publicId').where('dispatchId', '=', dispatchId).executeTakeFirst(),
      20_000, 'the edition',
    );
    publicId = edition.publicId;
    await eventually(async () => (await (await herald.api(`/api/dispatches/${dispatchId}`)).json()).status === 'completed', 20_000, 'sent');
  });

  it('is not found by counting dispatch ids', async () => {
    const guessed = await fetch(`${herald.baseUrl}/editions/${dispatchId}`);
    expect(guessed.status).toBeGreaterThanOrEqual(400);
    expect(guessed.status).toBeLessThan(500);
    expect(publicId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  });

  it('is served with nosniff and a frame policy', async () => {
    const page = await fetch(`${herald.baseUrl}/editions/${publicId}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('is gone once its dispatch is cancelled', async () => {
    // The state a cancel mid-send leaves: the edition exists, the dispatch is cancelled.
    await herald.ctx.db.updateTable('dispatches').set({ status: 'cancelled' }).where('id', '=', dispatchId).execute();
    expect((await fetch(`${herald.baseUrl}/editions/${publicId}`)).status).toBe(404);
  });

  it('refuses a resolved delivery’s remoteUrl that is not http(s)', async () => {
    const delivery = await herald.ctx.db.selectFrom('deliveries').select('id').where('dispatchId', '=', dispatchId).executeTakeFirstOrThrow();
    await herald.ctx.db.updateTable('deliveries').set({ status: 'uncertain' }).where('id', '=', delivery.id).execute();
    for (const remoteUrl of ['javascript:alert(document.cookie)', 'data:text/html,<script>alert(1)</script>']) {
      const response = await herald.api(`/api/deliveries/${delivery.id}/resolve`, { body: { status: 'sent', remoteUrl } });
      expect(response.status, remoteUrl).toBe(400);
      expect((await response.json()).issues.map((i: { path: string }) => i.path)).toContain('remoteUrl');
    }
    const row = await herald.ctx.db.selectFrom('deliveries').select(['status', 'remoteUrl']).where('id', '=', delivery.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'uncertain', remoteUrl: null });
  });
});

describe('CSV import', () => {
  it('caps a record, reports its line, and keeps the valid rows before it', async () => {
    const csv = ['email,name', 'first-row@example.com,First', 'second-row@example.com,Second', `huge@example.com,${'x'.repeat(200_000)}`, 'after@example.com,After', ''].join('\n');
    const response = await herald.api('/api/subscribers/import', { body: csv, headers: { 'content-type': 'text/csv' } });
    expect(response.status).toBe(200);
    const report = await response.json();
    expect(report.imported).toBe(2);
    expect(report.errors).toEqual([{ line: 4, reason: expect.stringMatching(/maximum/) }]);
    const emails = (await herald.ctx.db.selectFrom('subscribers').select('email').where('email', 'like', '%-row@example.com').execute()).map((r) => r.email);
    expect(emails.sort()).toEqual(['first-row@example.com', 'second-row@example.com']);
    const huge = await herald.ctx.db.selectFrom('subscribers').select('id').where('email', '=', 'huge@example.com').executeTakeFirst();
    expect(huge).toBeUndefined();
  });
});

describe('the data dir', () => {
  it('is 0700 with 0600 files, even when it existed and the umask was lax', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'herald-perm-')), 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    const previous = process.umask(0o022);
    let embedded: TestHerald | undefined;
    try {
      embedded = await startTestHerald({ embedded: true, dataDir, workers: false, env: { HERALD_SECRET: '' } });
      const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name), ...walk(path.join(dir, e.name))] : [path.join(dir, e.name)]));
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const entries = walk(dataDir);
      expect(entries.some((f) => f.endsWith('secret'))).toBe(true);
      expect(entries.some((f) => f.includes(`${path.sep}pg${path.sep}`))).toBe(true);
      const open = entries.filter((f) => (statSync(f).mode & 0o077) !== 0);
      expect(open.slice(0, 5).map((f) => [f, (statSync(f).mode & 0o777).toString(8)])).toEqual([]);
    } finally {
      process.umask(previous);
      await embedded?.stop();
      rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('is never a shared directory such as /tmp: Herald refuses to start and leaves its mode alone', async () => {
    const shared = mkdtempSync(path.join(tmpdir(), 'herald-shared-'));
    chmodSync(shared, 0o1777);
    try {
      await expect(startTestHerald({ embedded: true, dataDir: shared, workers: false })).rejects.toThrow(/HERALD_DATA_DIR.*shared directory/);
      expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
