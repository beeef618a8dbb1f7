// A published article reaches X, Facebook, Mastodon and Bluesky once each, within each network's rules and failures.
import twitterText from 'twitter-text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIds } from '../../../src/queue/queues.js';
import { mastodonLength } from '../../../src/social/length.js';
import { idempotencyKeyFor } from '../../../src/social/social-poster.js';
import { startSocialDispatch } from '../../../src/social/start-social.js';
import { articlePayload, fixturePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { SOCIAL_ACCOUNTS, SOCIAL_CHANNELS, startSocialStandIns, type SocialStandIns } from '../../support/social.js';

/** Smaller than Mastodon's default 500, so a post that fits proves the instance's own limit was read. */
const MASTODON_LIMIT = 450;

let net: SocialStandIns;
let herald: TestHerald;

interface Post {
  id: number;
  channel: string;
  account: string;
  status: string;
  content: string | null;
  remoteId: string | null;
  remoteUrl: string | null;
  lastResponse: string | null;
  attempts: number;
  updatedAt: string;
}

beforeAll(async () => {
  net = await startSocialStandIns({ mastodonMaxCharacters: MASTODON_LIMIT });
  herald = await startTestHerald({ env: net.env });
});
afterAll(async () => {
  await herald?.stop();
  await net?.close();
});

async function publish(payload: Record<string, unknown>, channels: readonly string[] = SOCIAL_CHANNELS) {
  const response = await herald.api('/api/articles', { body: { ...payload, channels } });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: number; url: string; dispatch: { id: number } };
}

async function settled(dispatchId: number): Promise<{ status: string; posts: Post[] }> {
  return eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatchId}`)).json();
    return ['completed', 'completed_with_failures'].includes(view.status) && view;
    // The first post of a process also loads the networks' client libraries: under a loaded machine that alone can
    // take many seconds. Within the hook's 60 s.
  }, 50_000, `dispatch ${dispatchId} to complete`);
}

const postOn = (posts: Post[], channel: string) => posts.find((p) => p.channel === channel)!;

describe.each(['seed-article', 'unicode-article', 'hostile-article', 'long-article'] as const)('the %s fixture', (name) => {
  let article: { id: number; url: string };
  let posts: Post[];

  beforeAll(async () => {
    article = await publish(fixturePayload(name));
    ({ posts } = await settled((article as unknown as { dispatch: { id: number } }).dispatch.id));
  });

  it('is posted once on every network, to the configured accounts', () => {
    expect(posts.map((p) => [p.channel, p.account, p.status, p.attempts])).toEqual([
      ['x', 'x', 'sent', 1],
      ['facebook', SOCIAL_ACCOUNTS.facebook.pageId, 'sent', 1],
      ['mastodon', new URL(net.mastodon.url).host, 'sent', 1],
      ['bluesky', SOCIAL_ACCOUNTS.bluesky.handle, 'sent', 1],
    ]);
    expect(net.x.tweets.filter((t) => t.text === postOn(posts, 'x').content)).toHaveLength(1);
    expect(net.facebook.posts.filter((p) => p.message === postOn(posts, 'facebook').content)).toHaveLength(1);
    expect(net.mastodon.statuses.filter((s) => s.text === postOn(posts, 'mastodon').content)).toHaveLength(1);
    expect(net.bluesky.records.filter((r) => r.record.text === postOn(posts, 'bluesky').content)).toHaveLength(1);
  });

  it('posts to X a text twitter-text accepts, and records the tweet', () => {
    const x = postOn(posts, 'x');
    const tweet = net.x.tweets.find((t) => t.id === x.remoteId)!;
    expect(tweet.text).toBe(x.content);
    expect(twitterText.parseTweet(tweet.text).valid).toBe(true);
    expect(tweet.text).toContain(article.url);
    expect(x.remoteUrl).toBe(`https://x.com/i/web/status/${tweet.id}`);
  });

  it('links the Facebook post to the article', () => {
    const fb = postOn(posts, 'facebook');
    const post = net.facebook.posts.find((p) => p.id === fb.remoteId)!;
    expect(post).toMatchObject({ message: fb.content, link: article.url });
  });

  it('sends Mastodon the delivery’s Idempotency-Key and fits the instance’s limit', () => {
    const m = postOn(posts, 'mastodon');
    const status = net.mastodon.statuses.find((s) => s.id === m.remoteId)!;
    expect(status.idempotencyKey).toBe(idempotencyKeyFor(m.id));
    expect(mastodonLength(status.text)).toBeLessThanOrEqual(MASTODON_LIMIT);
    expect(m.remoteUrl).toBe(`${net.mastodon.url}/@herald/${m.remoteId}`);
  });
  // Bluesky's record (lexicon, facets, card) is checked on the reference PDS: bluesky-delivery.test.ts.
});

describe('failures', () => {
  it('waits out a 429 until its reset without spending an attempt, holding only that network', async () => {
    const resetAt = Math.ceil(Date.now() / 1000) + 3;
    net.x.scriptNext('/2/tweets', {
      status: 429,
      headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(resetAt) },
      body: { title: 'Too Many Requests', detail: 'Too Many Requests', status: 429 },
    });
    const tweetCalls = net.x.requestsTo('/2/tweets').length;
    const { dispatch } = await publish(articlePayload(), ['x', 'mastodon']);
    const { posts } = await settled(dispatch.id);

    const x = postOn(posts, 'x');
    expect(x).toMatchObject({ status: 'sent', attempts: 1, lastResponse: null });
    expect(net.x.requestsTo('/2/tweets').length).toBe(tweetCalls + 2);
    expect(net.x.tweets.filter((t) => t.text === x.content)).toHaveLength(1);
    expect(Date.parse(x.updatedAt)).toBeGreaterThanOrEqual(resetAt * 1000);
    // Mastodon went out at once: X's limit is X's alone.
    expect(Date.parse(postOn(posts, 'mastodon').updatedAt)).toBeLessThan(resetAt * 1000);

    const events = await herald.ctx.db.selectFrom('events').select(['toStatus', 'cause'])
      .where('subjectType', '=', 'delivery').where('subjectId', '=', String(x.id)).orderBy('id').execute();
    expect(events.map((e) => `${e.toStatus}:${e.cause}`)).toEqual([
      'pending:scheduler', 'sending:worker', 'pending:x_429', 'sending:worker', 'sent:worker',
    ]);
  });

  it('retries a 503 with backoff and posts once', async () => {
    net.mastodon.scriptNext('/api/v1/statuses', { status: 503, body: { error: 'Service Unavailable' } });
    const { dispatch } = await publish(articlePayload(), ['mastodon']);
    const { posts } = await settled(dispatch.id);

    const m = postOn(posts, 'mastodon');
    expect(m).toMatchObject({ status: 'sent', attempts: 2, lastResponse: null });
    const calls = net.mastodon.requestsTo('/api/v1/statuses').filter((r) => r.headers['idempotency-key'] === idempotencyKeyFor(m.id));
    expect(calls).toHaveLength(2);
    expect(net.mastodon.statuses.filter((s) => s.idempotencyKey === idempotencyKeyFor(m.id))).toHaveLength(1);
  });

  it('fails a 401 at once, with the network’s own words in the dispatch', async () => {
    net.mastodon.scriptNext('/api/v1/statuses', { status: 401, body: { error: 'The access token is invalid' } });
    const { dispatch } = await publish(articlePayload(), ['mastodon', 'facebook']);
    const view = await settled(dispatch.id);

    // The dispatch says it finished with a failure rather than a plain "completed".
    expect(view.status).toBe('completed_with_failures');
    const m = postOn(view.posts, 'mastodon');
    expect(m.status).toBe('failed');
    expect(m.lastResponse).toMatch(/^mastodon_401: .*The access token is invalid/);
    expect(m.remoteId).toBeNull();
    expect(net.mastodon.requestsTo('/api/v1/statuses').filter((r) => r.headers['idempotency-key'] === idempotencyKeyFor(m.id))).toHaveLength(1);
    expect(postOn(view.posts, 'facebook').status).toBe('sent');
    const job = await herald.ctx.queues.social.getJob(jobIds.social(dispatch.id, 'mastodon'));
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
  });

  it('fails only the network whose limit the URL alone exceeds', async () => {
    const url = `https://news.example.org/${'very-long-slug-'.repeat(21)}end`;
    const records = net.bluesky.records.length;
    const { dispatch } = await publish(articlePayload({ url }));
    const { posts } = await settled(dispatch.id);

    const b = postOn(posts, 'bluesky');
    expect(b).toMatchObject({ status: 'failed', content: null, attempts: 0 });
    expect(b.lastResponse).toMatch(/^link_too_long: .*over the bluesky limit of 300/);
    expect(net.bluesky.records.length).toBe(records);
    expect(posts.filter((p) => p.status === 'sent').map((p) => p.channel)).toEqual(['x', 'facebook', 'mastodon']);
  });
});

describe('once only', () => {
  it('posts nothing new when the same article is published again or its start runs twice', async () => {
    const payload = articlePayload();
    const { dispatch } = await publish(payload);
    const first = await settled(dispatch.id);
    const before = { requests: net.requestCount(), tweets: net.x.tweets.length };

    const again = await herald.api('/api/articles', { body: { ...payload, channels: SOCIAL_CHANNELS } });
    expect(again.status).toBe(200);
    expect((await again.json()).dispatch).toBeNull();
    const jobsBefore = await Promise.all(SOCIAL_CHANNELS.map((c) => herald.ctx.queues.social.getJob(jobIds.social(dispatch.id, c))));
    // A start job re-run after a crash: existing rows are kept, no job is queued for a finished post. Jobs are added
    // before startSocialDispatch returns, so the queue now shows whatever it queued: nothing waiting or delayed,
    // and each post's job the one that already finished.
    await startSocialDispatch(herald.ctx, dispatch.id, [...SOCIAL_CHANNELS]);
    expect(await herald.ctx.queues.social.getJobCounts('waiting', 'delayed', 'active', 'prioritized')).toEqual({ waiting: 0, delayed: 0, active: 0, prioritized: 0 });
    for (const [i, channel] of SOCIAL_CHANNELS.entries()) {
      const job = await herald.ctx.queues.social.getJob(jobIds.social(dispatch.id, channel));
      expect(await job?.getState(), channel).toBe('completed');
      expect(job?.finishedOn, channel).toBe(jobsBefore[i]?.finishedOn);
    }

    const view = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
    expect(view.posts).toEqual(first.posts);
    expect(net.requestCount()).toBe(before.requests);
    expect(net.x.tweets.length).toBe(before.tweets);
  });

  it('posts the editor’s own text where one was given', async () => {
    const payload = articlePayload();
    const text = `Our own words for X ${payload.url}`;
    const { dispatch } = await publish({ ...payload, socialTexts: { x: text } }, ['x', 'bluesky']);
    const { posts } = await settled(dispatch.id);
    expect(postOn(posts, 'x')).toMatchObject({ status: 'sent', content: text });
    expect(net.x.tweets.filter((t) => t.text === text)).toHaveLength(1);
    expect(postOn(posts, 'bluesky').content).toContain(payload.title);
  });
});

describe('pause, resume and cancel', () => {
  /** X answers the next tweet with a 429 for 3 s: the post waits that long, time enough to steer its dispatch. */
  async function publishHeldByX(): Promise<{ dispatchId: number; resetAt: number }> {
    const resetAt = Math.ceil(Date.now() / 1000) + 3;
    net.x.scriptNext('/2/tweets', {
      status: 429,
      headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(resetAt) },
      body: { title: 'Too Many Requests', detail: 'Too Many Requests', status: 429 },
    });
    const calls = net.x.requestsTo('/2/tweets').length;
    const { dispatch } = await publish(articlePayload(), ['x']);
    await eventually(async () => net.x.requestsTo('/2/tweets').length === calls + 1, 20_000, 'the 429');
    return { dispatchId: dispatch.id, resetAt };
  }
  const xJob = (dispatchId: number) => herald.ctx.queues.social.getJob(jobIds.social(dispatchId, 'x'));
  const xDelivery = (dispatchId: number) =>
    herald.ctx.db.selectFrom('deliveries').select(['id', 'status', 'content']).where('dispatchId', '=', dispatchId).where('channel', '=', 'x').executeTakeFirstOrThrow();

  it('holds a post while its dispatch is paused and posts it once on resume', async () => {
    const { dispatchId, resetAt } = await publishHeldByX();
    expect((await herald.api(`/api/dispatches/${dispatchId}/pause`, { method: 'POST' })).status).toBe(200);
    // The job wakes after the reset, finds the dispatch paused and waits again: it ran, and posted nothing.
    await eventually(async () => {
      const job = await xJob(dispatchId);
      return !!job && job.processedOn! >= resetAt * 1000 && (await job.getState()) === 'delayed';
    }, 20_000, 'the post to see the pause');
    const held = await xDelivery(dispatchId);
    expect(held.status).toBe('pending');
    expect(net.x.tweets.filter((t) => t.text === held.content)).toHaveLength(0);

    expect((await herald.api(`/api/dispatches/${dispatchId}/resume`, { method: 'POST' })).status).toBe(200);
    const { posts } = await settled(dispatchId);
    const x = postOn(posts, 'x');
    expect(x.status).toBe('sent');
    expect(net.x.tweets.filter((t) => t.text === x.content)).toHaveLength(1);
  });

  it('posts nothing once its dispatch is cancelled', async () => {
    const { dispatchId } = await publishHeldByX();
    expect((await herald.api(`/api/dispatches/${dispatchId}/cancel`, { method: 'POST' })).status).toBe(200);
    // The job's last run found the delivery cancelled and finished: nothing is left that could post.
    await eventually(async () => (await (await xJob(dispatchId))?.getState()) === 'completed', 20_000, 'the post job to finish');
    const cancelled = await xDelivery(dispatchId);
    expect(cancelled.status).toBe('cancelled');
    expect(net.x.tweets.filter((t) => t.text === cancelled.content)).toHaveLength(0);
  });
});
