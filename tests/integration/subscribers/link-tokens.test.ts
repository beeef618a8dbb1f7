// Links from mail that are forged, cut off, expired, used or meant for another page are refused with a clear 4xx
// page and change nothing; a GET never changes anything; one-click works urlencoded and multipart (RFC 8058).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../../src/subscribers/link-tokens.js';
import { startTestHerald, type TestHerald } from '../../support/herald.js';
import { postForm } from '../../support/subscribers/http.js';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald({ workers: false });
});
afterAll(() => herald?.stop());

async function addSubscriber(email: string, status: 'confirmed' | 'pending' = 'confirmed'): Promise<number> {
  const response = await herald.api('/api/subscribers', { body: { email, status } });
  expect(response.status).toBe(201);
  return (await response.json()).id;
}

const statusOf = async (id: number) =>
  (await herald.ctx.db.selectFrom('subscribers').select('status').where('id', '=', id).executeTakeFirst())?.status;

const token = (purpose: 'unsubscribe' | 'preferences' | 'confirm' | 'change-email', subscriberId: number, options: { expiresAt?: number; extra?: string; secret?: string } = {}) =>
  signLinkToken(options.secret ?? herald.ctx.secret, { purpose, subscriberId, expiresAt: options.expiresAt ?? 0, extra: options.extra });

const oneClick = (url: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

describe('refused links', () => {
  it('refuses a token signed with another secret, on every page, without touching the subscriber', async () => {
    const id = await addSubscriber('forged@example.com');
    const forged = (purpose: Parameters<typeof token>[0]) => token(purpose, id, { secret: 'another-secret-0123456789abcdef0123456789' });
    for (const [path, method] of [
      [`/unsubscribe/${forged('unsubscribe')}`, 'GET'],
      [`/unsubscribe/${forged('unsubscribe')}`, 'POST'],
      [`/preferences/${forged('preferences')}`, 'GET'],
      [`/confirm/${forged('confirm')}`, 'POST'],
      [`/confirm-email/${forged('change-email')}`, 'POST'],
    ] as const) {
      const response = method === 'GET' ? await fetch(`${herald.baseUrl}${path}`) : await oneClick(`${herald.baseUrl}${path}`);
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('This link is not valid');
    }
    expect(await statusOf(id)).toBe('confirmed');
  });

  it('refuses a cut-off token, and one made for another page', async () => {
    const id = await addSubscriber('wrong-purpose@example.com');
    const cut = token('unsubscribe', id).slice(0, -5);
    expect((await oneClick(`${herald.baseUrl}/unsubscribe/${cut}`)).status).toBe(400);
    expect((await oneClick(`${herald.baseUrl}/unsubscribe/${token('preferences', id)}`)).status).toBe(400);
    expect((await fetch(`${herald.baseUrl}/unsubscribe/not-a-token`)).status).toBe(400);
    expect(await statusOf(id)).toBe('confirmed');
  });

  it('refuses an expired confirmation link with 410 and keeps the subscriber pending', async () => {
    const id = await addSubscriber('late@example.com', 'pending');
    await herald.ctx.db.insertInto('subscriberConfirmations').values({ subscriberId: id, purpose: 'confirm', nonce: 'n0nce' }).execute();
    const expired = token('confirm', id, { expiresAt: Math.floor(Date.now() / 1000) - 60, extra: 'n0nce' });
    const page = await fetch(`${herald.baseUrl}/confirm/${expired}`, { method: 'POST' });
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('This link has expired');
    expect(await statusOf(id)).toBe('pending');

    // The same nonce in a live token works: only the expiry was wrong.
    const live = token('confirm', id, { expiresAt: Math.floor(Date.now() / 1000) + 60, extra: 'n0nce' });
    expect((await fetch(`${herald.baseUrl}/confirm/${live}`, { method: 'POST' })).status).toBe(200);
    expect(await statusOf(id)).toBe('confirmed');
  });

  it('refuses a confirmation link whose nonce was replaced (410, used)', async () => {
    const id = await addSubscriber('replaced@example.com', 'pending');
    await herald.ctx.db.insertInto('subscriberConfirmations').values({ subscriberId: id, purpose: 'confirm', nonce: 'newer' }).execute();
    const stale = token('confirm', id, { expiresAt: Math.floor(Date.now() / 1000) + 600, extra: 'older' });
    const response = await fetch(`${herald.baseUrl}/confirm/${stale}`);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('already been used');
    expect(await statusOf(id)).toBe('pending');
  });
});

describe('unsubscribe links', () => {
  it('GET shows a one-click button and changes nothing', async () => {
    const id = await addSubscriber('looker@example.com');
    const response = await fetch(`${herald.baseUrl}/unsubscribe/${token('unsubscribe', id)}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    expect(html).toContain('<button class="button" type="submit">Unsubscribe</button>');
    expect(await statusOf(id)).toBe('confirmed');
  });

  it('a POST without List-Unsubscribe=One-Click changes nothing', async () => {
    const id = await addSubscriber('bare-post@example.com');
    const response = await fetch(`${herald.baseUrl}/unsubscribe/${token('unsubscribe', id)}`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await statusOf(id)).toBe('confirmed');
  });

  it('accepts the one-click POST as multipart/form-data too', async () => {
    const id = await addSubscriber('multipart@example.com');
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    const response = await fetch(`${herald.baseUrl}/unsubscribe/${token('unsubscribe', id)}`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect(await statusOf(id)).toBe('unsubscribed');
  });

  it('records the page button as "link" and a mail client as "one-click"; a repeat is harmless', async () => {
    const byPage = await addSubscriber('page-button@example.com');
    const byClient = await addSubscriber('mail-client@example.com');
    await postForm(`${herald.baseUrl}/unsubscribe/${token('unsubscribe', byPage)}`, { 'List-Unsubscribe': 'One-Click', via: 'page' });
    await oneClick(`${herald.baseUrl}/unsubscribe/${token('unsubscribe', byClient)}`);
    expect((await oneClick(`${herald.baseUrl}/unsubscribe/${token('unsubscribe', byClient)}`)).status).toBe(200);
    const causes = await herald.ctx.db.selectFrom('events').select(['subjectId', 'cause'])
      .where('event', '=', 'subscriber.status').where('subjectId', 'in', [String(byPage), String(byClient)]).orderBy('id').execute();
    expect(causes).toEqual([{ subjectId: String(byPage), cause: 'link' }, { subjectId: String(byClient), cause: 'one-click' }]);
  });

  it('answers 200 for a subscriber who was erased since the mail went out', async () => {
    const id = await addSubscriber('erased-before-click@example.com');
    expect((await herald.api(`/api/subscribers/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await oneClick(`${herald.baseUrl}/unsubscribe/${token('unsubscribe', id)}`)).status).toBe(200);
  });
});
