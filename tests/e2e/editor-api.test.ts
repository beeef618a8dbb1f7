// The editor API over real HTTP: auth, publishing (sanitised, idempotent), validation errors, subscribers, dispatches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken } from '../../src/auth/api-tokens.js';
import { articlePayload, fixturePayload } from '../support/articles.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';

let herald: TestHerald;

beforeAll(async () => {
  // No workers: these tests look at what the API stores, not at delivery.
  herald = await startTestHerald({ workers: false, env: { HERALD_BODY_LIMIT: String(300_000) } });
});
afterAll(() => herald?.stop());

describe('authentication', () => {
  it('answers 401 without a token and with an unknown one', async () => {
    const missing = await herald.api('/api/articles', { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await herald.api('/api/articles', { token: 'hrld_wrong' })).status).toBe(401);
  });

  it('answers 403 for a revoked token and 200 for a live one', async () => {
    const { token, id } = await createToken(herald.ctx.db, 'desk', 'editor');
    expect((await herald.api('/api/articles', { token })).status).toBe(200);
    await revokeToken(herald.ctx.db, id);
    const revoked = await herald.api('/api/articles', { token });
    expect(revoked.status).toBe(403);
    expect((await revoked.json()).error).toMatch(/revoked/);
  });

  it('keeps health and metrics open', async () => {
    const health = await herald.api('/healthz', { token: null });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
    const metrics = await (await herald.api('/metrics', { token: null })).text();
    expect(metrics).toContain('herald_articles_published_total');
    expect(metrics).toContain('herald_queue_jobs');
  });
});

describe('publishing', () => {
  it('stores an article and creates one dispatch to every channel', async () => {
    const payload = fixturePayload('seed-article');
    const response = await herald.api('/api/articles', { body: payload });
    expect(response.status).toBe(201);
    const article = await response.json();
    expect(article).toMatchObject({ externalId: payload.externalId, title: payload.title, url: payload.url, section: 'Nation' });
    expect(article.dispatch).toMatchObject({ status: 'pending', channels: ['email', 'x', 'facebook', 'mastodon', 'bluesky'] });

    const stored = await (await herald.api(`/api/articles/${article.id}`)).json();
    expect(stored.html).toContain('Deir ez-Zor');
    const list = await (await herald.api(`/api/dispatches?article=${article.id}`)).json();
    expect(list.dispatches).toHaveLength(1);
  });

  it('returns the existing article for a repeated externalId and never distributes it twice', async () => {
    const payload = articlePayload();
    const first = await herald.api('/api/articles', { body: payload });
    expect(first.status).toBe(201);
    const again = await herald.api('/api/articles', { body: { ...payload, title: 'Changed title' } });
    expect(again.status).toBe(200);
    const body = await again.json();
    expect(body.title).toBe(payload.title);
    expect(body.dispatch).toBeNull();
    const dispatches = await herald.ctx.db.selectFrom('dispatches').select('id').where('articleId', '=', body.id).execute();
    expect(dispatches).toHaveLength(1);
  });

  it('stores the hostile fixture clean', async () => {
    const response = await herald.api('/api/articles', { body: fixturePayload('hostile-article') });
    expect(response.status).toBe(201);
    const { id } = await response.json();
    const row = await herald.ctx.db.selectFrom('articles').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.html).not.toMatch(/<script|<style|<iframe|onclick|onerror|javascript:/i);
    expect(row.html).toContain('<p>Safe paragraph with <a href="https://news.example.org/ok"');
    expect(row.title).not.toMatch(/[\r\n]/);
    expect(row.authorName).not.toMatch(/[\r\n]/);
    expect(row.authorName).toBe('Mallory X-Injected: yes');
    expect(row.excerpt).toBe('An excerpt with markup that must never run.');
    expect(row.tags).toEqual(['tag']);
    expect(row.url).toBe('https://news.example.org/nation/breaking%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E');
  });

  it('accepts the unicode and long fixtures unchanged in meaning', async () => {
    const unicode = fixturePayload('unicode-article');
    const u = await (await herald.api('/api/articles', { body: unicode })).json();
    expect(u.title).toBe(unicode.title);
    const long = fixturePayload('long-article');
    const l = await herald.api('/api/articles', { body: long });
    expect(l.status).toBe(201);
  });

  it('schedules a dispatch in the given time zone', async () => {
    const response = await herald.api('/api/articles', {
      body: articlePayload({ schedule: { at: '2099-03-01T09:00:00', timezone: 'Europe/Berlin' }, channels: ['email'] }),
    });
    const { dispatch } = await response.json();
    expect(dispatch.status).toBe('scheduled');
    expect(dispatch.scheduledAt).toBe('2099-03-01T08:00:00.000Z');
    expect(dispatch.channels).toEqual(['email']);
  });
});

describe('bad input', () => {
  it('answers 400 naming every offending field', async () => {
    const response = await herald.api('/api/articles', {
      body: { externalId: '', title: '\r\n', url: 'javascript:alert(1)', publishedAt: 'yesterday', channels: ['myspace'] },
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    const paths = body.issues.map((i: { path: string }) => i.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['externalId', 'title', 'url', 'publishedAt', 'channels.0']));
    expect(body.issues.every((i: { message: string }) => i.message.length > 0)).toBe(true);
    expect(await herald.ctx.db.selectFrom('articles').select('id').where('externalId', '=', '').execute()).toHaveLength(0);
  });

  it('answers 400 for malformed JSON and an unknown time zone', async () => {
    const broken = await herald.api('/api/articles', { body: '{"title": ', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    const tz = await herald.api('/api/articles', { body: articlePayload({ schedule: { at: '2099-01-01T09:00', timezone: 'Mars/Olympus' } }) });
    expect(tz.status).toBe(400);
    expect((await tz.json()).issues[0].path).toBe('schedule.timezone');
  });

  it('answers 413 for an oversized body and stores nothing', async () => {
    const payload = articlePayload({ html: `<p>${'x'.repeat(400_000)}</p>` });
    const response = await herald.api('/api/articles', { body: payload });
    expect(response.status).toBe(413);
    const row = await herald.ctx.db.selectFrom('articles').select('id').where('externalId', '=', payload.externalId).executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('answers 404 for unknown ids and 400 for malformed ones', async () => {
    expect((await herald.api('/api/articles/999999')).status).toBe(404);
    expect((await herald.api('/api/dispatches/999999')).status).toBe(404);
    expect((await herald.api('/api/dispatches/999999/cancel', { method: 'POST' })).status).toBe(404);
    const malformed = await herald.api('/api/articles/abc');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).issues[0].path).toBe('id');
  });
});

describe('subscribers', () => {
  it('adds, rejects duplicates case-insensitively, and lists with filters', async () => {
    const created = await herald.api('/api/subscribers', { body: { email: ' Reader@Example.ORG ', name: 'Rea Der', topics: ['Nation'] } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ email: 'reader@example.org', status: 'confirmed', topics: ['nation'] });
    const duplicate = await herald.api('/api/subscribers', { body: { email: 'READER@example.org' } });
    expect(duplicate.status).toBe(409);
    const invalid = await herald.api('/api/subscribers', { body: { email: 'not-an-address', status: 'bounced' } });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).issues.map((i: { path: string }) => i.path).sort()).toEqual(['email', 'status']);

    await herald.api('/api/subscribers', { body: { email: 'pending@example.org', status: 'pending' } });
    const pending = await (await herald.api('/api/subscribers?status=pending')).json();
    expect(pending.subscribers.map((s: { email: string }) => s.email)).toEqual(['pending@example.org']);
    const search = await (await herald.api('/api/subscribers?q=rea%20der')).json();
    expect(search.subscribers.map((s: { email: string }) => s.email)).toEqual(['reader@example.org']);
  });

  it('imports CSV with per-line errors and exports it again', async () => {
    const csv = [
      'email,name,topics,status',
      'one@example.com,One,nation|world,',
      'TWO@example.com,Two,,pending',
      'broken-address,Bad,,',
      'three@example.com,Three,,maybe',
      'one@example.com,One again,,',
    ].join('\n');
    const response = await herald.api('/api/subscribers/import', { body: csv, headers: { 'content-type': 'text/csv' } });
    expect(response.status).toBe(200);
    const report = await response.json();
    expect(report).toMatchObject({ imported: 2, updated: 0, skipped: 3 });
    expect(report.errors).toEqual([
      { line: 4, reason: expect.stringContaining('email') },
      { line: 5, reason: expect.stringContaining('status') },
    ]);
    const exported = await (await herald.api('/api/subscribers/export')).text();
    const lines = exported.trim().split('\n');
    expect(lines[0]).toBe('email,name,topics,status,cadence,created_at,confirmed_at');
    expect(lines.find((l) => l.startsWith('one@example.com'))).toMatch(/^one@example.com,One,nation\|world,confirmed,instant/);
    expect(lines.find((l) => l.startsWith('two@example.com'))).toMatch(/,pending,/);
  });

  it('rejects a CSV without an email header', async () => {
    const response = await herald.api('/api/subscribers/import', { body: 'name\nx\n', headers: { 'content-type': 'text/csv' } });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/email/);
  });
});

describe('dispatches', () => {
  it('cancels a scheduled dispatch and refuses to cancel it twice', async () => {
    const { dispatch } = await (
      await herald.api('/api/articles', { body: articlePayload({ schedule: { at: '2099-01-01T00:00:00Z' } }) })
    ).json();
    const cancelled = await herald.api(`/api/dispatches/${dispatch.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ id: dispatch.id, status: 'cancelled' });
    expect((await herald.api(`/api/dispatches/${dispatch.id}/cancel`, { method: 'POST' })).status).toBe(409);
    const events = await herald.ctx.db.selectFrom('events').selectAll().where('subjectType', '=', 'dispatch')
      .where('subjectId', '=', String(dispatch.id)).orderBy('id').execute();
    expect(events.map((e) => e.toStatus)).toEqual(['scheduled', 'cancelled']);
  });
});

describe('resolving an uncertain delivery', () => {
  it('records the editor’s finding once, and refuses anything but an uncertain delivery', async () => {
    const { dispatch } = await (await herald.api('/api/articles', { body: articlePayload({ channels: ['mastodon'] }) })).json();
    const { id } = await herald.ctx.db
      .insertInto('deliveries')
      .values({ dispatchId: dispatch.id, channel: 'mastodon', recipient: 'herald@mastodon.example', status: 'uncertain', lastResponse: 'network_timeout' })
      .returning('id')
      .executeTakeFirstOrThrow();

    const invalid = await herald.api(`/api/deliveries/${id}/resolve`, { body: { status: 'pending' } });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).issues[0].path).toBe('status');

    const resolved = await herald.api(`/api/deliveries/${id}/resolve`, {
      body: { status: 'sent', note: 'found it on the account', remoteUrl: 'https://mastodon.example/@herald/1' },
    });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({
      status: 'sent', remoteUrl: 'https://mastodon.example/@herald/1', lastResponse: 'resolved by an editor: found it on the account',
    });
    const event = await herald.ctx.db.selectFrom('events').select(['fromStatus', 'toStatus', 'cause'])
      .where('subjectType', '=', 'delivery').where('subjectId', '=', String(id)).executeTakeFirstOrThrow();
    expect(event).toEqual({ fromStatus: 'uncertain', toStatus: 'sent', cause: 'editor:admin (HERALD_ADMIN_TOKEN)' });

    const again = await herald.api(`/api/deliveries/${id}/resolve`, { body: { status: 'failed' } });
    expect(again.status).toBe(409);
    expect((await herald.api('/api/deliveries/999999/resolve', { body: { status: 'failed' } })).status).toBe(404);
  });
});
