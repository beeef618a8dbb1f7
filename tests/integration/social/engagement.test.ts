// Social engagement read back from the four network stand-ins through the real client libraries: posting queues
// three delayed reads (about 1 h, 24 h, 7 days), each read stores the network's numbers per post, X's 403 for the
// access tier is stored as "not available", a 429 waits for its reset without spending an attempt, and the
// dispatch report carries it all. Each test posts its own article, so none depends on another having run.
import type { Job } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../../src/queue/queues.js';
import { articlePayload } from '../../support/articles.js';
import { dashboardCookie } from '../../support/dashboard-session.js';
import { ADMIN_TOKEN, eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { SOCIAL_CHANNELS, startSocialStandIns, type SocialStandIns } from '../../support/social.js';

let net: SocialStandIns;
let herald: TestHerald;
let dispatchId: number;
let posts: Array<{ id: number; channel: string; remoteId: string }>;

const X_TIER_REFUSAL = {
  client_id: '28419370', title: 'Client Forbidden', required_enrollment: 'Appropriate Level of API Access', reason: 'client-not-enrolled',
  detail: 'When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.',
  registration_url: 'https://developer.twitter.com/en/docs/projects/overview', type: 'https://api.twitter.com/2/problems/client-forbidden',
};

const postOn = (network: string) => posts.find((p) => p.channel === network)!;
const readJob = (network: string, read: string) => herald.ctx.queues.engagement.getJob(jobIds.engagement(postOn(network).id, read)) as Promise<Job>;
const storedRead = (network: string, read: string) => herald.ctx.db.selectFrom('socialEngagement').selectAll()
  .where('deliveryId', '=', postOn(network).id).where('read', '=', read as '1h').executeTakeFirst();

/** Runs a delayed read now (as if its hour had passed) and waits until it is stored. */
async function runRead(network: string, read: string) {
  await (await readJob(network, read)).promote();
  return eventually(() => storedRead(network, read), 30_000, `the ${read} read of the ${network} post`);
}

let published = 0;

/** A fresh article posted to all four networks: each test reads its own posts. */
async function publishPosts() {
  const response = await herald.api('/api/articles', {
    body: { ...articlePayload({ externalId: `engagement-${++published}` }), channels: SOCIAL_CHANNELS },
  });
  expect(response.status).toBe(201);
  dispatchId = (await response.json()).dispatch.id;
  await eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatchId}`)).json();
    return view.status === 'completed' && view;
  }, 50_000, 'the posts to go out');
  const rows = await herald.ctx.db.selectFrom('deliveries').select(['id', 'channel', 'remoteId']).where('dispatchId', '=', dispatchId).execute();
  posts = rows.map((r) => ({ id: Number(r.id), channel: r.channel, remoteId: r.remoteId! }));
  expect(posts.map((p) => p.channel).sort()).toEqual([...SOCIAL_CHANNELS].sort());
}

beforeAll(async () => {
  net = await startSocialStandIns();
  herald = await startTestHerald({ env: net.env });
}, 60_000);
beforeEach(publishPosts, 60_000);

afterAll(async () => {
  await herald?.stop();
  await net?.close();
});

describe('engagement reads', () => {
  it('are queued for about 1 h, 24 h and 7 days after each post', async () => {
    for (const network of SOCIAL_CHANNELS) {
      for (const [read, hours] of [['1h', 1], ['24h', 24], ['7d', 168]] as const) {
        const job = await readJob(network, read);
        expect(await job.getState(), `${network} ${read}`).toBe('delayed');
        expect(job.opts.delay).toBeGreaterThan(hours * 3_600_000 - 120_000);
        expect(job.opts.delay).toBeLessThanOrEqual(hours * 3_600_000);
      }
    }
  });

  it('read each network\'s own numbers through its API, and store X\'s refusal for the access tier as not available', async () => {
    net.mastodon.counts.set(postOn('mastodon').remoteId, { favourites: 7, reblogs: 3, replies: 2 });
    net.bluesky.counts.set(postOn('bluesky').remoteId, { likes: 11, reposts: 4, replies: 1, quotes: 2 });
    net.facebook.counts.set(postOn('facebook').remoteId, { reactions: 25, comments: 6, shares: 0 });
    net.x.scriptNext(`/2/tweets/${postOn('x').remoteId}`, { status: 403, body: X_TIER_REFUSAL, headers: { 'content-type': 'application/problem+json' } });

    expect(await runRead('mastodon', '1h')).toMatchObject({ status: 'ok', metrics: { favourites: 7, reblogs: 3, replies: 2 } });
    expect(await runRead('bluesky', '1h')).toMatchObject({ status: 'ok', metrics: { likes: 11, reposts: 4, replies: 1, quotes: 2 } });
    // Graph leaves `shares` out for a post nobody shared: still a 0.
    expect(await runRead('facebook', '1h')).toMatchObject({ status: 'ok', metrics: { reactions: 25, comments: 6, shares: 0 } });
    const x = await runRead('x', '1h');
    expect(x).toMatchObject({ status: 'not_available', metrics: {} });
    expect(x.note).toContain('access tier');
    expect((await readJob('x', '1h')).failedReason ?? '').toBe('');

    // What the networks were asked, as their APIs document it.
    expect(net.mastodon.requestsTo(`/api/v1/statuses/${postOn('mastodon').remoteId}`).filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(net.bluesky.requestsTo('/xrpc/app.bsky.feed.getPosts')[0]!.query.getAll('uris')).toEqual([postOn('bluesky').remoteId]);
    const graph = net.facebook.requests.find((r) => r.method === 'GET' && r.path.endsWith(`/${postOn('facebook').remoteId}`))!;
    expect(graph.query.get('fields')).toBe('reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares');
    expect(net.x.requestsTo(`/2/tweets/${postOn('x').remoteId}`).at(-1)!.query.get('tweet.fields')).toBe('public_metrics');
  });

  it('read X\'s public_metrics where the access tier allows', async () => {
    net.x.publicMetrics.set(postOn('x').remoteId, { like_count: 40, retweet_count: 9, reply_count: 5, quote_count: 1 });
    expect(await runRead('x', '24h')).toMatchObject({ status: 'ok', metrics: { likes: 40, reposts: 9, replies: 5, quotes: 1 } });
    expect(net.x.authFailures).toEqual([]);
  });

  it('wait out a 429 until its reset without spending an attempt', async () => {
    const reset = new Date(Date.now() + 2000);
    net.mastodon.scriptNext(`/api/v1/statuses/${postOn('mastodon').remoteId}`, {
      status: 429, body: { error: 'Too many requests' },
      headers: { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset.toISOString() },
    });
    net.mastodon.counts.set(postOn('mastodon').remoteId, { favourites: 9, reblogs: 3, replies: 4 });
    const job = await readJob('mastodon', '24h');
    await job.promote();
    // Told to slow down, the job goes back to wait for the reset.
    await eventually(async () => net.mastodon.requestsTo(`/api/v1/statuses/${postOn('mastodon').remoteId}`).filter((r) => r.method === 'GET').length === 2,
      20_000, 'the refused read');
    const stored = await eventually(() => storedRead('mastodon', '24h'), 30_000, 'the read after the reset');
    expect(stored.readAt.getTime()).toBeGreaterThanOrEqual(reset.getTime() - 1000);
    expect(stored).toMatchObject({ status: 'ok', metrics: { favourites: 9, reblogs: 3, replies: 4 } });
    const done = await readJob('mastodon', '24h');
    expect(await done.getState()).toBe('completed');
    // One attempt, the one that succeeded: the wait for the reset cost none.
    expect(done.attemptsMade).toBeLessThanOrEqual(1);
  });

  it('are in the dispatch report, per network, JSON and CSV', async () => {
    net.mastodon.counts.set(postOn('mastodon').remoteId, { favourites: 7, reblogs: 3, replies: 2 });
    net.bluesky.counts.set(postOn('bluesky').remoteId, { likes: 11, reposts: 4, replies: 1, quotes: 2 });
    net.facebook.counts.set(postOn('facebook').remoteId, { reactions: 25, comments: 6, shares: 0 });
    net.x.scriptNext(`/2/tweets/${postOn('x').remoteId}`, { status: 403, body: X_TIER_REFUSAL, headers: { 'content-type': 'application/problem+json' } });
    for (const network of SOCIAL_CHANNELS) await runRead(network, '1h');
    net.mastodon.counts.set(postOn('mastodon').remoteId, { favourites: 9, reblogs: 3, replies: 4 });
    net.x.publicMetrics.set(postOn('x').remoteId, { like_count: 40, retweet_count: 9, reply_count: 5, quote_count: 1 });
    await runRead('mastodon', '24h');
    await runRead('x', '24h');

    const report = await (await herald.api(`/api/dispatches/${dispatchId}/report`)).json();
    const byNetwork = Object.fromEntries(report.engagement.map((p: { network: string }) => [p.network, p]));
    expect(byNetwork.mastodon.latest).toEqual({ favourites: 9, reblogs: 3, replies: 4 });
    expect(byNetwork.mastodon.reads.map((r: { read: string }) => r.read)).toEqual(['1h', '24h']);
    expect(byNetwork.bluesky.latest).toEqual({ likes: 11, reposts: 4, replies: 1, quotes: 2 });
    expect(byNetwork.facebook.latest).toEqual({ reactions: 25, comments: 6, shares: 0 });
    expect(byNetwork.x.reads.map((r: { read: string; status: string }) => [r.read, r.status])).toEqual([['1h', 'not_available'], ['24h', 'ok']]);
    expect(byNetwork.x.latest).toMatchObject({ likes: 40 });
    expect(report.opens).toBeNull(); // HERALD_TRACK_OPENS is off
    const csv = await (await herald.api(`/api/dispatches/${dispatchId}/report?format=csv`)).text();
    expect(csv).toContain(`engagement_1h,mastodon favourites,${byNetwork.mastodon.url},7,,`);
    expect(csv).toContain('engagement_1h,x not available,');

    // The report page charts each post's latest numbers, like with like: favourites and reactions as likes.
    const page = await (await fetch(`${herald.baseUrl}/dispatches/${dispatchId}/report`, {
      headers: { cookie: await dashboardCookie(herald.baseUrl, ADMIN_TOKEN) },
    })).text();
    const figure = page.slice(page.indexOf('data-chart-id="engagement-per-network"'));
    const rowOf = (network: string) => {
      const row = figure.slice(figure.indexOf(`data-x="${network}"`));
      return [...row.slice(0, row.indexOf('</tr>')).matchAll(/data-value="(\d+)"/g)].map((m) => Number(m[1]));
    };
    expect(rowOf('mastodon')).toEqual([9, 3, 4, 0]);
    expect(rowOf('bluesky')).toEqual([11, 4, 1, 2]);
    expect(rowOf('facebook')).toEqual([25, 0, 6, 0]);
  });
});
