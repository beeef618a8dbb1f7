// Preferences from a mailed link (topics, cadence, pause, name, a confirmed change of address), erasure with a
// suppression list the form and the CSV import respect, and rate limits on sign-ups.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../../src/subscribers/link-tokens.js';
import { suppressionHash } from '../../../src/subscribers/suppression.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { linkIn, messagesTo, postForm, postJson } from '../../support/subscribers/http.js';

let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({
    // The test plays a reverse proxy on loopback, telling Herald each client's address.
    env: { SMTP_URL: smtp.url, HERALD_TOPICS: 'Nation, Sports ,culture', SUBSCRIBE_RATE_PER_IP: '4', SUBSCRIBE_RATE_PER_ADDRESS: '2', TRUST_PROXY: '127.0.0.1' },
  });
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

/** Each sign-up comes from its own client address, so the per-IP limit only bites where a test wants it to. */
let client = 0;
const fromNewClient = () => ({ 'x-forwarded-for': `203.0.113.${++client}` });

async function addSubscriber(email: string, extra: Record<string, unknown> = {}): Promise<number> {
  const response = await herald.api('/api/subscribers', { body: { email, ...extra } });
  expect(response.status).toBe(201);
  return (await response.json()).id;
}

const row = (id: number) => herald.ctx.db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst();
const preferencesUrl = (id: number) =>
  `${herald.baseUrl}/preferences/${signLinkToken(herald.ctx.secret, { purpose: 'preferences', subscriberId: id, expiresAt: 0 })}`;

describe('preferences page', () => {
  it('shows the offered topics, the cadence and the pause switch, filled in', async () => {
    const id = await addSubscriber('prefs@example.com', { topics: ['sports'], name: 'Pat' });
    const response = await fetch(preferencesUrl(id));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/<input id="topic-\d" type="checkbox" name="topics" value="sports" checked>/);
    expect(html).toMatch(/<input id="topic-\d" type="checkbox" name="topics" value="nation">/);
    expect(html).toContain('<input id="cadence-instant" type="radio" name="cadence" value="instant" checked>');
    expect(html).toContain('value="Pat"');
    expect(html).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/unsubscribe\/u\./);
  });

  it('saves topics, cadence, pause and name, and logs the change with cause "link"', async () => {
    const id = await addSubscriber('saver@example.com');
    const response = await postForm(preferencesUrl(id), { name: 'Sam', topics: ['culture', 'nation'], cadence: 'weekly', paused: 'on' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Your preferences are saved.');
    expect(await row(id)).toMatchObject({ name: 'Sam', topics: ['culture', 'nation'], cadence: 'weekly', paused: true });

    await postForm(preferencesUrl(id), { name: 'Sam', cadence: 'daily' }); // unticked boxes: no topics, not paused
    expect(await row(id)).toMatchObject({ topics: [], cadence: 'daily', paused: false });
    const logged = await herald.ctx.db.selectFrom('events').select(['event', 'cause'])
      .where('subjectId', '=', String(id)).where('event', '=', 'subscriber.preferences').execute();
    expect(logged).toEqual([{ event: 'subscriber.preferences', cause: 'link' }, { event: 'subscriber.preferences', cause: 'link' }]);
  });

  it('rejects an unknown cadence with 400 and keeps what was stored', async () => {
    const id = await addSubscriber('bad-cadence@example.com');
    const response = await postForm(preferencesUrl(id), { cadence: 'hourly' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('role="alert"');
    expect((await row(id))?.cadence).toBe('instant');
  });

  it('changes the address only after the new one is confirmed', async () => {
    const id = await addSubscriber('old-address@example.com');
    const response = await postForm(preferencesUrl(id), { email: 'New-Address@Example.com', cadence: 'instant' });
    expect(await response.text()).toContain('We sent a confirmation link to new-address@example.com');
    expect((await row(id))?.email).toBe('old-address@example.com');

    const [mail] = await eventually(async () => messagesTo(smtp.messages, 'new-address@example.com').length > 0 && messagesTo(smtp.messages, 'new-address@example.com'));
    expect(mail.parsed.subject).toMatch(/^Confirm your new address/);
    const link = linkIn(mail, 'confirm-email');
    expect((await fetch(link)).status).toBe(200);
    expect((await row(id))?.email).toBe('old-address@example.com');
    const confirmed = await fetch(link, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    expect((await row(id))?.email).toBe('new-address@example.com');
    expect((await fetch(link, { method: 'POST' })).status).toBe(410);
  });

  it('tells an unsubscribed reader how to come back instead of showing the form', async () => {
    const id = await addSubscriber('left@example.com');
    await herald.ctx.db.updateTable('subscribers').set({ status: 'unsubscribed' }).where('id', '=', id).execute();
    const html = await (await fetch(preferencesUrl(id))).text();
    expect(html).toContain('This address is not subscribed at the moment');
    expect(html).not.toContain('Save preferences');
  });
});

describe('erasure and the suppression list', () => {
  it('DELETE /api/subscribers/:id erases the row, scrubs event details and keeps only a keyed hash', async () => {
    const id = await addSubscriber('forget-me@example.com', { name: 'Forget Me' });
    await herald.ctx.db.insertInto('events')
      .values({ subjectType: 'subscriber', subjectId: String(id), event: 'subscriber.bounce', detail: JSON.stringify({ response: '550 forget-me@example.com unknown' }) })
      .execute();
    // A delivery whose SMTP reply quotes the address, as servers' rejections do.
    const article = await herald.ctx.db.insertInto('articles').values({ externalId: `erasure-${id}`, title: 'T', url: 'https://news.example.org/t', excerpt: '', html: '', tags: [], publishedAt: new Date() } as never).returning('id').executeTakeFirstOrThrow();
    const dispatch = await herald.ctx.db.insertInto('dispatches').values({ articleId: article.id, channels: ['email'], status: 'completed', socialTexts: JSON.stringify({}) } as never).returning('id').executeTakeFirstOrThrow();
    const delivery = await herald.ctx.db.insertInto('deliveries')
      .values({ dispatchId: dispatch.id, channel: 'email', recipient: String(id), subscriberId: id, status: 'failed', lastResponse: 'smtp_550: 550 <forget-me@example.com> unknown' } as never)
      .returning('id').executeTakeFirstOrThrow();
    expect((await herald.api(`/api/subscribers/${id}`, { method: 'DELETE', token: null })).status).toBe(401);
    expect((await herald.api(`/api/subscribers/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await herald.api(`/api/subscribers/${id}`, { method: 'DELETE' })).status).toBe(404);

    expect(await row(id)).toBeUndefined();
    const suppression = await herald.ctx.db.selectFrom('suppressions').selectAll().execute();
    expect(suppression.map((s) => [s.emailHash, s.reason])).toContainEqual([suppressionHash(herald.ctx.secret, 'forget-me@example.com'), 'erased']);
    expect(JSON.stringify(suppression)).not.toContain('forget-me');
    const leftovers = await herald.ctx.db.selectFrom('events').select(['event', 'detail', 'cause']).where('subjectId', '=', String(id)).execute();
    expect(JSON.stringify(leftovers)).not.toContain('forget-me');
    expect(leftovers.at(-1)).toMatchObject({ event: 'subscriber.erased', cause: 'editor' });
    // The delivery stays for the dispatch's counts, without the reply that named the reader.
    const kept = await herald.ctx.db.selectFrom('deliveries').select(['status', 'lastResponse', 'subscriberId']).where('id', '=', delivery.id).executeTakeFirstOrThrow();
    expect(kept).toEqual({ status: 'failed', lastResponse: null, subscriberId: null });
  });

  it('a CSV import skips an erased address and never re-activates an unsubscribed one', async () => {
    const gone = await addSubscriber('csv-gone@example.com');
    await herald.ctx.db.updateTable('subscribers').set({ status: 'unsubscribed' }).where('id', '=', gone).execute();
    const erased = await addSubscriber('csv-erased@example.com');
    await herald.api(`/api/subscribers/${erased}`, { method: 'DELETE' });

    const csv = 'email,name,status\ncsv-gone@example.com,Gone,confirmed\nCSV-Erased@example.com,Erased,confirmed\ncsv-new@example.com,New,confirmed\n';
    const report = await (await herald.api('/api/subscribers/import', { body: csv, headers: { 'content-type': 'text/csv' } })).json();
    expect(report).toMatchObject({ imported: 1, updated: 0, skipped: 2 });
    expect((await row(gone))?.status).toBe('unsubscribed');
    const erasedAgain = await herald.ctx.db.selectFrom('subscribers').select('id').where('email', '=', 'csv-erased@example.com').execute();
    expect(erasedAgain).toEqual([]);
    // …and the editor API refuses it as well.
    expect((await herald.api('/api/subscribers', { body: { email: 'csv-erased@example.com' } })).status).toBe(409);
  });

  it('the form lets an erased address back only through the confirmation link, which lifts the suppression', async () => {
    const id = await addSubscriber('second-thoughts@example.com');
    await herald.api(`/api/subscribers/${id}`, { method: 'DELETE' });
    const response = await postJson(`${herald.baseUrl}/subscribe`, { email: 'second-thoughts@example.com' }, fromNewClient());
    expect(response.status).toBe(202);
    const back = await herald.ctx.db.selectFrom('subscribers').selectAll().where('email', '=', 'second-thoughts@example.com').executeTakeFirstOrThrow();
    expect(back.status).toBe('pending');

    const [mail] = await eventually(async () => messagesTo(smtp.messages, 'second-thoughts@example.com').length > 0 && messagesTo(smtp.messages, 'second-thoughts@example.com'));
    expect((await fetch(linkIn(mail, 'confirm'), { method: 'POST' })).status).toBe(200);
    expect((await row(back.id))?.status).toBe('confirmed');
    const hash = suppressionHash(herald.ctx.secret, 'second-thoughts@example.com');
    expect(await herald.ctx.db.selectFrom('suppressions').select('reason').where('emailHash', '=', hash).execute()).toEqual([]);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once one address asks too often, whatever the client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await postJson(`${herald.baseUrl}/subscribe`, { email: 'popular@example.com' }, fromNewClient())).status);
    }
    expect(statuses).toEqual([202, 202, 429]);
    const limited = await postForm(`${herald.baseUrl}/subscribe`, { email: 'popular@example.com' }, fromNewClient());
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(await limited.text()).toContain('Too many requests');
  });

  it('answers 429 once one client sends too many sign-ups', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.7' };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await postJson(`${herald.baseUrl}/subscribe`, { email: `many-${i}@example.com` }, headers)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 429]);
    expect(await herald.ctx.db.selectFrom('subscribers').select('email').where('email', 'like', 'many-%').execute()).toHaveLength(4);
  });
});
