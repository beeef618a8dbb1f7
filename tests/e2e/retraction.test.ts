// Retracting an article over the API and the CMS webhook: unsent email cancelled, each post deleted on its network
// (checked on the stand-in's side), the web copy replaced by the notice, refusals reported as still live and retried.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload } from '../support/articles.js';
import { signIn } from '../support/dashboard-session.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type ApiResponse, type TestHerald } from '../support/herald.js';
import { runHerald } from '../support/processes.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { SOCIAL_CHANNELS, startSocialStandIns, type SocialStandIns } from '../support/social.js';

const CMS_SECRET = 'cms-webhook-secret-0123456789';
const BULK = 120;

interface Post {
  id: number;
  channel: string;
  status: string;
  remoteId: string | null;
  retraction: string | null;
  retractionNote: string | null;
}

let net: SocialStandIns;
let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  net = await startSocialStandIns();
  // ~60 ms per message over 2 connections: a bulk send takes seconds, long enough to retract it mid-way.
  smtp = await startSmtpSink({ delayMs: 60 });
  herald = await startTestHerald({
    env: {
      ...net.env,
      SMTP_URL: smtp.url,
      SMTP_POOL_SIZE: '2',
      EMAIL_SEND_CHUNK: '2',
      EMAIL_BATCH_SIZE: '25',
      CMS_WEBHOOK_SECRET: CMS_SECRET,
    },
  });
  await herald.ctx.db
    .insertInto('subscribers')
    .values([
      ...['r1@example.com', 'r2@example.com'].map((email) => ({ email, status: 'confirmed' as const, topics: ['small'] })),
      ...Array.from({ length: BULK }, (_, i) => ({ email: `rbulk${i}@example.com`, status: 'confirmed' as const, topics: ['bulk'] })),
    ])
    .execute();
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
  await net?.close();
});

const CHANNELS = ['email', ...SOCIAL_CHANNELS];

async function publish(overrides: Record<string, unknown> = {}) {
  const response = await herald.api('/api/articles', { body: articlePayload({ section: 'small', tags: [], channels: CHANNELS, ...overrides }) });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: number; title: string; dispatch: { id: number } };
}

async function completed(dispatchId: number): Promise<{ status: string; posts: Post[] }> {
  return eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatchId}`)).json();
    return ['completed', 'completed_with_failures'].includes(view.status) && view;
  }, 30_000, `dispatch ${dispatchId} to complete`);
}

const retract = (articleId: number, reason: string): Promise<ApiResponse> =>
  herald.api(`/api/articles/${articleId}/retract`, { body: { reason } });

/** The retraction once no post waits any more. */
async function settledRetraction(articleId: number): Promise<{ posts: Post[] }> {
  return eventually(async () => {
    const body = await (await herald.api(`/api/articles/${articleId}/retraction`)).json();
    return body.posts?.length && body.posts.every((p: Post) => p.retraction !== 'pending') && body;
  }, 30_000, `article ${articleId}'s posts to be settled`);
}

const deleteRequests = () =>
  net.x.requests.filter((r) => r.method === 'DELETE').length +
  net.mastodon.requests.filter((r) => r.method === 'DELETE').length +
  net.facebook.requests.filter((r) => r.method === 'DELETE').length +
  net.bluesky.requestsTo('/xrpc/com.atproto.repo.deleteRecord').length;

async function webCopy(dispatchId: number) {
  const { publicId } = await herald.ctx.db.selectFrom('editions').select('publicId').where('dispatchId', '=', dispatchId).executeTakeFirstOrThrow();
  const response = await fetch(`${herald.baseUrl}/editions/${publicId}`);
  return { status: response.status, text: await response.text() };
}

const postOn = (posts: Post[], channel: string) => posts.find((p) => p.channel === channel)!;

describe('retracting after a completed send', () => {
  let article: { id: number; title: string; dispatch: { id: number } };
  let sent: Post[];
  let answer: ApiResponse;

  beforeAll(async () => {
    article = await publish({ html: '<p>The story that was wrong.</p>' });
    ({ posts: sent } = await completed(article.dispatch.id));
    expect((await webCopy(article.dispatch.id)).text).toContain('The story that was wrong.');
    answer = await retract(article.id, 'The source withdrew the claim.');
  });

  it('deletes the post Herald made on each of the four networks, and only those', async () => {
    expect(answer.status).toBe(201);
    const { posts } = await settledRetraction(article.id);
    expect(posts.map((p) => [p.channel, p.status, p.retraction])).toEqual(SOCIAL_CHANNELS.map((c) => [c, 'sent', 'retracted']));

    // On each stand-in's side: the delete call arrived for Herald's own id, and the post is gone.
    const sides = {
      x: { deleted: net.x.deletedIds, live: net.x.tweets.map((t) => t.id) },
      mastodon: { deleted: net.mastodon.deletedIds, live: net.mastodon.statuses.map((s) => s.id) },
      facebook: { deleted: net.facebook.deletedIds, live: net.facebook.posts.map((p) => p.id) },
      bluesky: { deleted: net.bluesky.deletedUris, live: net.bluesky.records.map((r) => r.uri) },
    };
    for (const [channel, side] of Object.entries(sides)) {
      const remoteId = postOn(sent, channel).remoteId!;
      expect(side.deleted, channel).toContain(remoteId);
      expect(side.live, channel).not.toContain(remoteId);
    }
    // Signed like a post: the X stand-in refused nothing.
    expect(net.x.authFailures).toEqual([]);
  });

  it('replaces the web copy with the notice and the reason; the email that went out stays sent', async () => {
    const copy = await webCopy(article.dispatch.id);
    expect(copy.status).toBe(200);
    expect(copy.text).toContain('This story has been retracted');
    expect(copy.text).toContain('The source withdrew the claim.');
    expect(copy.text).not.toContain('The story that was wrong.');
    const view = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
    expect(view.progress.find((c: { channel: string }) => c.channel === 'email').counts).toEqual({ sent: 2 });
  });

  it('logs article.retracted once, and a second retraction does nothing more', async () => {
    await settledRetraction(article.id);
    const before = deleteRequests();
    const again = await retract(article.id, 'A different reason');
    expect(again.status).toBe(200);
    const body = await again.json();
    expect(body).toMatchObject({ alreadyRetracted: true, reason: 'The source withdrew the claim.' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(deleteRequests()).toBe(before);
    const events = await herald.ctx.db
      .selectFrom('events')
      .select(['event', 'cause'])
      .where('subjectType', '=', 'article')
      .where('subjectId', '=', String(article.id))
      .where('event', '=', 'article.retracted')
      .execute();
    expect(events).toEqual([{ event: 'article.retracted', cause: expect.stringMatching(/^editor:/) }]);
  });

  it('answers 404 for an article that does not exist, 400 without a reason', async () => {
    expect((await retract(2_000_000, 'x')).status).toBe(404);
    expect((await herald.api(`/api/articles/${article.id}/retract`, { body: {} })).status).toBe(400);
  });
});

describe('retracting mid-send', () => {
  it('sends nothing more once the retraction takes hold, and the web copy shows the notice', async () => {
    const article = await publish({ section: 'bulk', channels: ['email'] });
    const id = article.dispatch.id;
    await eventually(async () => smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${id}.`)).length >= 6, 30_000, 'the send to start');
    const answer = await retract(article.id, 'Published by mistake.');
    expect(answer.status).toBe(201);
    expect((await answer.json()).cancelledDispatches).toEqual([id]);

    // What was in flight finishes; then nothing moves.
    const settled = await eventually(async () => {
      const view = await (await herald.api(`/api/dispatches/${id}`)).json();
      return view.status === 'cancelled' && !view.progress[0].counts.sending && view.progress[0].counts;
    }, 20_000, 'in-flight messages to finish');
    const received = smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${id}.`)).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<herald.${id}.`)).length).toBe(received);
    expect(settled.sent).toBe(received);
    expect(received).toBeLessThan(BULK);
    expect(settled.cancelled).toBe(BULK - received);

    const copy = await webCopy(id);
    expect(copy.text).toContain('Published by mistake.');
  });
});

describe('retracting while a post is on its way', () => {
  it('waits for the post\'s outcome; one that may have landed without an id is reported live, to check by hand', async () => {
    // The status request is sent and never answered: the post may or may not be out (SOCIAL_TIMEOUT_MS 5 s).
    net.mastodon.scriptNext('/api/v1/statuses', { hang: true });
    const article = await publish({ channels: ['mastodon'] });
    const deliveryOf = () => herald.ctx.db.selectFrom('deliveries').selectAll().where('dispatchId', '=', article.dispatch.id).executeTakeFirst();
    await eventually(async () => (await deliveryOf())?.status === 'sending', 15_000, 'the post to be in flight');
    expect((await retract(article.id, 'Wrong headline.')).status).toBe(201);
    expect(await deliveryOf()).toMatchObject({ status: 'sending', retraction: 'pending' });

    const { posts } = await settledRetraction(article.id);
    expect(postOn(posts, 'mastodon')).toMatchObject({ status: 'uncertain', retraction: 'live', retractionNote: expect.stringMatching(/no id to delete it by/) });
  });
});

describe('retracting before the send', () => {
  it('cancels a scheduled dispatch: no email, no post, nothing to delete', async () => {
    const before = net.requestCount();
    const article = await publish({ schedule: { at: new Date(Date.now() + 3_600_000).toISOString() } });
    const answer = await retract(article.id, 'Spiked before publication.');
    expect(answer.status).toBe(201);
    expect(await answer.json()).toMatchObject({ cancelledDispatches: [article.dispatch.id], posts: [] });
    const view = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
    expect(view).toMatchObject({ status: 'cancelled', posts: [] });
    expect(net.requestCount()).toBe(before);
  });
});

describe('a network that refuses', () => {
  it('reports a permanent refusal as still live with the reason, and retries a temporary one until it is gone', async () => {
    const article = await publish();
    const { posts: sent } = await completed(article.dispatch.id);
    net.x.scriptNext('/2/tweets/', {
      status: 403,
      headers: { 'content-type': 'application/problem+json' },
      body: { title: 'Forbidden', type: 'about:blank', status: 403, detail: 'You are not permitted to perform this action.' },
    });
    net.mastodon.scriptNext('/api/v1/statuses/', { status: 503, body: { error: 'Service Unavailable' } });
    expect((await retract(article.id, 'Wrong photo.')).status).toBe(201);

    // While Mastodon is down the post is reported live, with why, and waits for its retry.
    const waiting = await eventually(async () => {
      const { posts } = await (await herald.api(`/api/articles/${article.id}/retraction`)).json();
      const mastodon = postOn(posts, 'mastodon');
      return mastodon.retraction === 'pending' && mastodon.retractionNote ? mastodon : undefined;
    }, 15_000, 'the Mastodon refusal to be recorded');
    expect(waiting.retractionNote).toMatch(/mastodon_503/);

    const { posts } = await settledRetraction(article.id);
    expect(postOn(posts, 'x')).toMatchObject({ retraction: 'live', retractionNote: expect.stringMatching(/x_403.*not permitted/) });
    expect(postOn(posts, 'mastodon').retraction).toBe('retracted');
    expect(postOn(posts, 'facebook').retraction).toBe('retracted');
    expect(postOn(posts, 'bluesky').retraction).toBe('retracted');
    expect(net.mastodon.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(postOn(sent, 'mastodon').remoteId!))).toHaveLength(2);
    // Refused for good: the tweet is still there, and Herald says so.
    expect(net.x.tweets.some((t) => t.id === postOn(sent, 'x').remoteId)).toBe(true);
  });

  it('takes a post already deleted by hand as retracted', async () => {
    const article = await publish();
    const { posts: sent } = await completed(article.dispatch.id);
    const byHand = <T extends { id: string }>(list: T[], channel: string) => list.splice(list.findIndex((p) => p.id === postOn(sent, channel).remoteId), 1);
    byHand(net.mastodon.statuses, 'mastodon');
    byHand(net.facebook.posts, 'facebook');
    byHand(net.x.tweets, 'x');
    expect((await retract(article.id, 'Duplicate story.')).status).toBe(201);
    const { posts } = await settledRetraction(article.id);
    for (const channel of ['mastodon', 'facebook', 'x']) {
      expect(postOn(posts, channel)).toMatchObject({ retraction: 'retracted', retractionNote: expect.stringMatching(/already gone/) });
    }
    expect(postOn(posts, 'bluesky').retraction).toBe('retracted');
  });

  it('waits for a rate limit to reset, then deletes the post', async () => {
    const article = await publish();
    const { posts: sent } = await completed(article.dispatch.id);
    const reset = Math.ceil(Date.now() / 1000) + 2;
    net.bluesky.scriptNext('/xrpc/com.atproto.repo.deleteRecord', {
      status: 429,
      headers: { 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset) },
      body: { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' },
    });
    expect((await retract(article.id, 'Embargo broken.')).status).toBe(201);
    const { posts } = await settledRetraction(article.id);
    expect(postOn(posts, 'bluesky').retraction).toBe('retracted');
    expect(net.bluesky.records.some((r) => r.uri === postOn(sent, 'bluesky').remoteId)).toBe(false);
    const rkey = postOn(sent, 'bluesky').remoteId!.split('/').pop()!;
    const tries = net.bluesky.requestsTo('/xrpc/com.atproto.repo.deleteRecord').filter((r) => r.body.toString('utf8').includes(rkey));
    expect(tries).toHaveLength(2); // refused once, then deleted after the reset
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(reset - 1);
  });
});

describe('herald articles retract', () => {
  it('retracts through the API and prints each network\'s outcome; a repeat says nothing new was done', async () => {
    const article = await publish();
    await completed(article.dispatch.id);
    const cli = (...args: string[]) => runHerald([...args, '--url', herald.baseUrl], { HERALD_TOKEN: ADMIN_TOKEN, HERALD_DATA_DIR: herald.env.HERALD_DATA_DIR! });
    const first = await cli('articles', 'retract', String(article.id), '--reason', 'Legal asked us to.');
    expect(first.code).toBe(0);
    expect(first.output).toContain(`Article ${article.id} retracted: Legal asked us to.`);
    for (const label of ['X', 'Facebook', 'Mastodon', 'Bluesky']) expect(first.output).toMatch(new RegExp(`${label} .*: deleted`));
    const again = await cli('articles', 'retract', String(article.id), '--reason', 'Again');
    expect(again.output).toContain('was already retracted ("Legal asked us to."); nothing new was done');
    const missing = await cli('articles', 'retract', String(article.id));
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/--reason/);
  });
});

describe('the dashboard', () => {
  it('retracts from the dispatch page after a confirmation, and shows each post\'s outcome', async () => {
    const article = await publish();
    const id = article.dispatch.id;
    await completed(id);
    const { cookie, csrf } = await signIn(herald.baseUrl, ADMIN_TOKEN);
    const page = await (await fetch(`${herald.baseUrl}/dispatches/${id}`, { headers: { cookie } })).text();
    expect(page).toMatch(/<form method="post" action="\/dispatches\/\d+\/retract"[^>]*data-confirm="Retract this story everywhere\?/);

    const posted = await fetch(`${herald.baseUrl}/dispatches/${id}/retract`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, reason: 'Names <b>withheld</b> by court order.' }),
    });
    expect(posted.status).toBe(303);
    await settledRetraction(article.id);
    const after = await (await fetch(`${herald.baseUrl}/dispatches/${id}`, { headers: { cookie } })).text();
    expect(after).toContain('Names &lt;b&gt;withheld&lt;/b&gt; by court order.');
    expect(after).not.toContain('action="/dispatches/' + id + '/retract"');
    expect(after.match(/data-retraction="retracted"/g)).toHaveLength(4);
  });
});

describe('the CMS webhook', () => {
  const sign = (body: string) => `sha256=${createHmac('sha256', CMS_SECRET).update(body).digest('hex')}`;
  const hook = async (payload: unknown) => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${herald.baseUrl}/webhooks/cms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-herald-signature': sign(body) },
      body,
    });
    return { status: response.status, body: (await response.json()) as { status: string } };
  };
  const retraction = (externalId: string) =>
    herald.ctx.db
      .selectFrom('retractions')
      .innerJoin('articles', 'articles.id', 'retractions.articleId')
      .select(['reason', 'cause'])
      .where('articles.externalId', '=', externalId)
      .executeTakeFirst();
  const ghostPost = (id: string) => ({
    id,
    title: `Ghost ${id}`,
    html: '<p>Ghost body</p>',
    url: `https://news.example.org/${id}/`,
    status: 'published',
    published_at: '2026-03-02T08:00:00.000Z',
  });

  it('retracts on Ghost post.unpublished', async () => {
    expect((await hook({ post: { current: ghostPost('g-unpub'), previous: {} } })).status).toBe(201);
    const answer = await hook({ post: { current: { ...ghostPost('g-unpub'), status: 'draft' }, previous: { status: 'published' } } });
    expect(answer).toMatchObject({ status: 200, body: { status: 'retracted' } });
    expect(await retraction('ghost:g-unpub')).toEqual({ reason: 'the post was unpublished in Ghost (now draft)', cause: 'cms:ghost' });
  });

  it('retracts on Ghost post.deleted', async () => {
    expect((await hook({ post: { current: ghostPost('g-del'), previous: {} } })).status).toBe(201);
    const answer = await hook({ post: { current: {}, previous: ghostPost('g-del') } });
    expect(answer.body.status).toBe('retracted');
    expect((await retraction('ghost:g-del'))?.reason).toBe('the post was deleted in Ghost');
  });

  it.each(['draft', 'private', 'trash'])('retracts a WordPress post moved to %s', async (status) => {
    const wp = { ID: 5000 + status.length, post_title: `WP ${status}`, post_content: '<p>WP</p>', post_type: 'post', guid: `https://news.example.org/?p=${status}`, permalink: `https://news.example.org/wp-${status}` };
    expect((await hook({ post: { ...wp, post_status: 'publish' } })).status).toBe(201);
    const answer = await hook({ post: { ...wp, post_status: status } });
    expect(answer.body.status).toBe('retracted');
    expect(await retraction(wp.guid)).toEqual({ reason: `the post was moved to ${status} in WordPress`, cause: 'cms:wordpress' });
    // The CMS saying it again changes nothing.
    expect((await hook({ post: { ...wp, post_status: status } })).body.status).toBe('already-retracted');
  });

  it('ignores a withdrawn post Herald never had', async () => {
    const answer = await hook({ post: { ID: 6001, post_title: 'Never sent', post_status: 'trash', post_type: 'post', guid: 'never-sent-guid' } });
    expect(answer).toMatchObject({ status: 200, body: { status: 'ignored' } });
  });
});
