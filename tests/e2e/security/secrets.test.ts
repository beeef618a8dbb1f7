// Attacks on Herald's secrets and tokens, against running Heralds: the documented placeholder secret, a rotated
// HERALD_SECRET, a replaced HERALD_ADMIN_TOKEN, a new API token in a cookie, cookies over plain http, and link
// tokens in the request log.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken, verifyLinkToken } from '../../../src/subscribers/link-tokens.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { ADMIN_TOKEN, startTestHerald, type TestHerald } from '../../support/herald.js';
import { runHerald } from '../../support/processes.js';

const cookiesOf = (response: Response) => response.headers.getSetCookie().map((c) => c.split(';')[0]);

async function signIn(herald: TestHerald, token: string) {
  const form = await fetch(`${herald.baseUrl}/login`);
  const nonce = /name="_login" value="([^"]+)"/.exec(await form.text())![1];
  const response = await fetch(`${herald.baseUrl}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(form).join('; ') },
    body: new URLSearchParams({ _login: nonce, token, next: '/' }),
  });
  const setCookies = [...form.headers.getSetCookie(), ...response.headers.getSetCookie()];
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('herald_session='))!.split(';')[0];
  const page = await (await fetch(`${herald.baseUrl}/tokens`, { headers: { cookie } })).text();
  const csrf = /name="csrf-token" content="([^"]*)"/.exec(page)![1];
  return { cookie, csrf, setCookies };
}

describe('placeholder secrets', () => {
  it('stop Herald at start with a message saying how to make real ones', async () => {
    const example = Object.fromEntries(
      readFileSync(path.resolve(import.meta.dirname, '../../../.env.example'), 'utf8').split('\n')
        .filter((line) => /^HERALD_(SECRET|ADMIN_TOKEN)=/.test(line)).map((line) => line.split('=', 2) as [string, string]),
    );
    expect(example.HERALD_SECRET).toBeDefined();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-placeholder-'));
    try {
      const { code, output } = await runHerald(['serve', '--no-workers'], { ...example, HERALD_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' });
      expect(code).not.toBe(0);
      expect(output).toMatch(/HERALD_SECRET: is a placeholder .*openssl rand -hex 32/);
      expect(output).toMatch(/HERALD_ADMIN_TOKEN: is a placeholder/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('rotating HERALD_SECRET and HERALD_ADMIN_TOKEN', () => {
  const OLD_SECRET = 'old-secret-0123456789abcdef0123456789abcdef';
  const NEW_SECRET = 'new-secret-fedcba9876543210fedcba9876543210';
  const NEW_ADMIN = 'rotated-admin-token-0123456789abcdef';
  let database: TestDatabase;
  let subscriberId: number;
  let rotated: TestHerald;

  beforeAll(async () => {
    database = await createTestDatabase();
    const before = await startTestHerald({ workers: false, database, env: { HERALD_SECRET: OLD_SECRET } });
    subscriberId = (await (await before.api('/api/subscribers', { body: { email: 'rotation@example.com' } })).json()).id;
    await before.stop();
    rotated = await startTestHerald({
      workers: false, database, env: { HERALD_SECRET: NEW_SECRET, HERALD_SECRET_PREVIOUS: OLD_SECRET, HERALD_ADMIN_TOKEN: NEW_ADMIN },
    });
  });
  afterAll(async () => {
    await rotated?.stop();
    await database?.drop();
  });

  it('keeps links in mail already delivered working, and signs new ones with the new secret only', async () => {
    const oldLink = signLinkToken(OLD_SECRET, { purpose: 'unsubscribe', subscriberId, expiresAt: 0 });
    const page = await fetch(`${rotated.baseUrl}/unsubscribe/${oldLink}`);
    expect(page.status).toBe(200);
    const preferencesToken = /\/preferences\/([^"&]+)/.exec(await page.text())![1];
    expect(verifyLinkToken(NEW_SECRET, preferencesToken, 'preferences').ok).toBe(true);
    expect(verifyLinkToken(OLD_SECRET, preferencesToken, 'preferences').ok).toBe(false);
    const done = await fetch(`${rotated.baseUrl}/unsubscribe/${oldLink}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
    });
    expect(done.status).toBe(200);
    const row = await rotated.ctx.db.selectFrom('subscribers').select('status').where('id', '=', subscriberId).executeTakeFirstOrThrow();
    expect(row.status).toBe('unsubscribed');
  });

  it('revokes the admin token HERALD_ADMIN_TOKEN used to be', async () => {
    expect((await rotated.api('/api/articles', { token: ADMIN_TOKEN })).status).toBe(403);
    expect((await rotated.api('/api/articles', { token: NEW_ADMIN })).status).toBe(200);
  });
});

describe('cookies and logs', () => {
  let herald: TestHerald;
  const lines: string[] = [];

  beforeAll(async () => {
    const stream = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    herald = await startTestHerald({ workers: false, env: { PUBLIC_URL: 'https://news.example.org' }, log: pino({ level: 'info' }, stream) });
  });
  afterAll(() => herald?.stop());

  it('never puts a new API token in a cookie, and shows it once in the answer itself', async () => {
    const { cookie, csrf } = await signIn(herald, ADMIN_TOKEN);
    const response = await fetch(`${herald.baseUrl}/tokens`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ _csrf: csrf, name: 'WordPress', role: 'editor' }),
    });
    expect(response.status).toBe(200);
    const token = /data-secret[^>]*>([^<]+)</.exec(await response.text())![1];
    expect(token).toMatch(/^hrld_/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    for (const setCookie of response.headers.getSetCookie()) expect(decodeURIComponent(setCookie)).not.toContain(token);
    expect((await herald.api('/api/articles', { token })).status).toBe(200);
  });

  it('marks every cookie Secure when PUBLIC_URL is https', async () => {
    const { cookie, csrf, setCookies } = await signIn(herald, ADMIN_TOKEN);
    const flashing = await fetch(`${herald.baseUrl}/tokens/999999/revoke`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams({ _csrf: csrf }),
    });
    const all = [...setCookies, ...flashing.headers.getSetCookie()];
    expect(all.some((c) => c.startsWith('herald_flash='))).toBe(true);
    for (const setCookie of all) expect(setCookie, setCookie.split('=')[0]).toMatch(/;\s*Secure/i);
  });

  it('keeps link tokens out of the request log', async () => {
    const id = (await (await herald.api('/api/subscribers', { body: { email: 'logged@example.com' } })).json()).id;
    const tokens = (['unsubscribe', 'preferences', 'confirm'] as const).map((purpose) => ({
      purpose, token: signLinkToken(herald.ctx.secret, { purpose, subscriberId: id, expiresAt: purpose === 'confirm' ? Math.floor(Date.now() / 1000) + 3600 : 0, extra: purpose === 'confirm' ? 'nonce' : undefined }),
    }));
    for (const { purpose, token } of tokens) await fetch(`${herald.baseUrl}/${purpose}/${token}`);
    const log = lines.join('');
    // Each request is logged, by its route pattern: never the token itself.
    for (const { purpose } of tokens) expect(log).toMatch(new RegExp(`"event":"http.request"[^\\n]*"route":"/${purpose}/:token"`));
    await fetch(`${herald.baseUrl}/unsubscribe/${tokens[0]!.token}/extra`); // no route: logged by its redacted path
    const all = lines.join('');
    expect(all).toMatch(/unsubscribe\/\[redacted\]/);
    for (const { token } of tokens) expect(all).not.toContain(token.split('.').pop()!);
  });
});
