// Who may do what, over plain HTTP: dashboard sessions (HttpOnly, SameSite=Strict cookie), CSRF on every
// state-changing form and API call made with a session, admin-only token management, and revocation ending a session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/api-tokens.js';
import { articlePayload } from '../support/articles.js';
import { cookiesOf, signIn as signInAs } from '../support/dashboard-session.js';
import { ADMIN_TOKEN, startTestHerald, type ApiResponse, type TestHerald } from '../support/herald.js';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald({ workers: false });
});
afterAll(() => herald?.stop());

/** Signs in through the form; returns the session cookie and the page's CSRF token. */
const signIn = (token: string, next = '/') => signInAs(herald.baseUrl, token, next);

const call = (path: string, init: RequestInit & { cookie: string }): Promise<ApiResponse> =>
  fetch(`${herald.baseUrl}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: init.cookie } });

describe('dashboard sessions', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and never redirects off-site', async () => {
    const session = await signIn(ADMIN_TOKEN, '//evil.example/');
    expect(session.setCookie).toMatch(/HttpOnly/i);
    expect(session.setCookie).toMatch(/SameSite=Strict/i);
    expect(session.location).toBe('/');
    expect(session.csrf.length).toBeGreaterThan(20);
  });

  it('refuses a sign-in form without its nonce, and a wrong token', async () => {
    const forged = await fetch(`${herald.baseUrl}/login`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: ADMIN_TOKEN }),
    });
    expect(forged.status).toBe(403);
    expect((await signIn('hrld_wrong')).cookie).toBe('');
  });

  it('sends strangers to sign in', async () => {
    const response = await fetch(`${herald.baseUrl}/subscribers`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?next=%2Fsubscribers');
    expect((await fetch(`${herald.baseUrl}/admin/queues`, { redirect: 'manual' })).status).toBe(303);
  });

  it('needs the CSRF token for forms and for API calls made with the session', async () => {
    const { cookie, csrf } = await signIn(ADMIN_TOKEN);
    const { dispatch } = await (await herald.api('/api/articles', { body: articlePayload({ schedule: { at: '2099-01-01T00:00:00Z' } }) })).json();
    const form = (body: Record<string, string>) =>
      call(`/dispatches/${dispatch.id}/cancel`, { method: 'POST', cookie, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
    expect((await form({})).status).toBe(403);
    expect((await form({ _csrf: 'wrong' })).status).toBe(403);

    const json = { 'content-type': 'application/json' };
    const body = JSON.stringify({ at: '2099-02-01T00:00:00Z' });
    expect((await call(`/api/dispatches/${dispatch.id}/reschedule`, { method: 'POST', cookie, headers: json, body })).status).toBe(403);
    const ok = await call(`/api/dispatches/${dispatch.id}/reschedule`, { method: 'POST', cookie, headers: { ...json, 'x-csrf-token': csrf }, body });
    expect(ok.status).toBe(200);
    expect((await call(`/api/dispatches/${dispatch.id}`, { cookie })).status).toBe(200);

    const cancelled = await form({ _csrf: csrf });
    expect(cancelled.status).toBe(303);
    expect((await view(dispatch.id)).status).toBe('cancelled');
  });

  it('serves the dispatch page its live parts as a fragment, to signed-in editors only', async () => {
    const { dispatch } = await (await herald.api('/api/articles', { body: articlePayload({ schedule: { at: '2099-01-01T00:00:00Z' } }) })).json();
    const stranger = await fetch(`${herald.baseUrl}/dispatches/${dispatch.id}/live`, { redirect: 'manual' });
    expect(stranger.status).toBe(303);
    expect(stranger.headers.get('location')).toMatch(/^\/login\?next=/);

    const { cookie } = await signIn(ADMIN_TOKEN);
    const fragment = await call(`/dispatches/${dispatch.id}/live`, { cookie });
    expect(fragment.status).toBe(200);
    expect(fragment.headers.get('cache-control')).toBe('no-store');
    const body = await fragment.text();
    expect(body).toMatch(/^<div data-live-fragment data-status="scheduled" data-polling="true">/);
    // The same markup as on the page: rendered once, by the same code.
    const page = await (await call(`/dispatches/${dispatch.id}`, { cookie })).text();
    const parts = (html: string) => html.match(/<div[^>]* data-live="(?:status|error|posts)"[^>]*>[\s\S]*?<\/div>/g);
    expect(parts(body)).toHaveLength(3);
    expect(parts(body)).toEqual(parts(page));
    expect(body).toContain('data-live="progress"');
    expect(body).toContain('data-channel="email"');
    expect((await call('/dispatches/999999/live', { cookie })).status).toBe(404);
  });

  it('ends the session when its token is revoked, and on sign-out', async () => {
    const { token, id } = await createToken(herald.ctx.db, 'temp editor', 'editor');
    const { cookie, csrf } = await signIn(token);
    expect((await call('/', { cookie })).status).toBe(200);
    const revoked = await herald.api(`/api/tokens/${id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(204);
    expect((await call('/', { cookie })).status).toBe(303);

    const admin = await signIn(ADMIN_TOKEN);
    const out = await call('/logout', { method: 'POST', cookie: admin.cookie, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: admin.csrf }) });
    expect(out.status).toBe(303);
    expect((await call('/', { cookie: admin.cookie })).status).toBe(303);
    expect(csrf).not.toBe(admin.csrf);
  });
});

describe('token administration', () => {
  it('is for admins only, shows a new token once, and keeps the last admin token', async () => {
    const { token: editorToken } = await createToken(herald.ctx.db, 'desk', 'editor');
    expect((await herald.api('/api/tokens', { token: editorToken })).status).toBe(403);
    expect((await herald.api('/api/tokens', { token: editorToken, body: { name: 'x' } })).status).toBe(403);

    const created = await herald.api('/api/tokens', { body: { name: 'WordPress', role: 'editor' } });
    expect(created.status).toBe(201);
    const { token, id } = await created.json();
    expect(token).toMatch(/^hrld_/);
    const list = (await (await herald.api('/api/tokens')).json()).tokens;
    expect(list.find((t: { id: number }) => t.id === id)).toMatchObject({ name: 'WordPress', role: 'editor', revokedAt: null });
    expect(JSON.stringify(list)).not.toContain(token);

    const admins = list.filter((t: { role: string; revokedAt: string | null }) => t.role === 'admin' && !t.revokedAt);
    expect(admins).toHaveLength(1);
    expect((await herald.api(`/api/tokens/${admins[0].id}`, { method: 'DELETE' })).status).toBe(409);
    expect((await herald.api('/api/tokens', { body: { name: '  ' } })).status).toBe(400);
  });

  it('keeps editors off the admin pages', async () => {
    const { token } = await createToken(herald.ctx.db, 'desk 2', 'editor');
    const { cookie } = await signIn(token);
    expect((await call('/tokens', { cookie })).status).toBe(403);
    expect((await call('/settings', { cookie })).status).toBe(403);
    expect((await call('/admin/queues', { cookie })).status).toBe(403);
    expect((await call('/subscribers', { cookie })).status).toBe(200);
  });
});

async function view(id: number) {
  return (await herald.api(`/api/dispatches/${id}`)).json();
}
