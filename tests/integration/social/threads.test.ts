// An editor's text too long for one post goes out as a thread on X, Bluesky and Mastodon (one post on Facebook):
// parts numbered and chained as replies, each within the limit the stand-in enforces; a retraction deletes every part.
import twitterText from 'twitter-text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphemes, mastodonLength } from '../../../src/social/length.js';
import { articlePayload, fixturePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { SOCIAL_CHANNELS, startSocialStandIns, type SocialStandIns } from '../../support/social.js';

let net: SocialStandIns;
let herald: TestHerald;

const URL_OF = (n: number) => `https://news.example.org/threads/${n}`;
/** About 1,400 characters: five X posts, five Bluesky posts, three Mastodon posts. */
const LONG = (url: string) =>
  `Our investigation in one thread, with the whole story at ${url} for those who want every detail. ` +
  Array.from({ length: 16 }, (_, i) => `Finding ${i + 1}: the council’s records show a gap that nobody has explained yet 🧾.`).join(' ');

interface Part { position: number; text: string; state: string; remoteId: string | null; remoteUrl: string | null }
interface Post { channel: string; status: string; content: string; remoteId: string | null; retraction: string | null; parts?: Part[] }

beforeAll(async () => {
  net = await startSocialStandIns();
  herald = await startTestHerald({ env: net.env });
});
afterAll(async () => {
  await herald?.stop();
  await net?.close();
});

const NUMBERED = / (\d+)\/(\d+)$/;

function expectNumbered(texts: string[]) {
  expect(texts.length).toBeGreaterThan(1);
  texts.forEach((t, i) => expect(NUMBERED.exec(t)?.slice(1)).toEqual([String(i + 1), String(texts.length)]));
}

describe('a text over the limit', () => {
  let article: { id: number; dispatch: { id: number } };
  let posts: Post[];
  const url = URL_OF(1);
  const text = LONG(url);

  beforeAll(async () => {
    const response = await herald.api('/api/articles', {
      body: articlePayload({
        url,
        channels: SOCIAL_CHANNELS,
        socialTexts: { x: text, bluesky: text, mastodon: text, facebook: text },
      }),
    });
    expect(response.status).toBe(201);
    article = await response.json();
    ({ posts } = await eventually(async () => {
      const view = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
      return view.status === 'completed' && view;
    }, 50_000, 'the dispatch to complete'));
  }, 60_000);

  it('goes to X as numbered replies, each one tweet twitter-text accepts, the link in the first', () => {
    const x = posts.find((p) => p.channel === 'x')!;
    expect(x.status).toBe('sent');
    expect(net.x.tweets.map((t) => t.text)).toEqual(x.parts!.map((p) => p.text));
    expectNumbered(net.x.tweets.map((t) => t.text));
    for (const tweet of net.x.tweets) expect(twitterText.parseTweet(tweet.text).valid).toBe(true);
    expect(net.x.tweets[0]!.text).toContain(url);
    expect(net.x.tweets[0]!.inReplyTo).toBeUndefined();
    net.x.tweets.slice(1).forEach((t, i) => expect(t.inReplyTo).toBe(net.x.tweets[i]!.id));
    // The delivery points at the thread's start; every part's id is recorded.
    expect(x.remoteId).toBe(net.x.tweets[0]!.id);
    expect(x.parts!.map((p) => [p.state, p.remoteId])).toEqual(net.x.tweets.map((t) => ['posted', t.id]));
  });

  it('goes to Mastodon as replies by in_reply_to_id, each within the instance’s 500', () => {
    const m = posts.find((p) => p.channel === 'mastodon')!;
    const statuses = net.mastodon.statuses;
    expect(statuses.map((s) => s.text)).toEqual(m.parts!.map((p) => p.text));
    expectNumbered(statuses.map((s) => s.text));
    for (const s of statuses) expect(mastodonLength(s.text)).toBeLessThanOrEqual(500);
    expect(statuses[0]!.inReplyToId).toBeUndefined();
    statuses.slice(1).forEach((s, i) => expect(s.inReplyToId).toBe(statuses[i]!.id));
    // One key per part: a part repeated after a crash is answered with the first one.
    expect(new Set(statuses.map((s) => s.idempotencyKey)).size).toBe(statuses.length);
  });

  it('goes to Bluesky with reply root and parent strong refs, the card on the first post only', () => {
    const b = posts.find((p) => p.channel === 'bluesky')!;
    const records = net.bluesky.records;
    expect(records.map((r) => r.record.text)).toEqual(b.parts!.map((p) => p.text));
    expectNumbered(records.map((r) => r.record.text));
    for (const r of records) expect(graphemes(r.record.text).length).toBeLessThanOrEqual(300);
    const [first, ...rest] = records;
    expect(first!.record.reply).toBeUndefined();
    expect(first!.record.embed?.external?.uri).toBe(url);
    rest.forEach((r, i) => {
      expect(r.record.reply).toEqual({ root: { uri: first!.uri, cid: first!.cid }, parent: { uri: records[i]!.uri, cid: records[i]!.cid } });
      expect(r.record.embed).toBeUndefined();
    });
    expect(b.remoteId).toBe(first!.uri);
  });

  it('stays one post on Facebook', () => {
    const fb = posts.find((p) => p.channel === 'facebook')!;
    expect(fb.parts).toBeUndefined();
    expect(net.facebook.posts.map((p) => p.message)).toEqual([text]);
  });

  it('is deleted part by part when the article is retracted', async () => {
    const answer = await herald.api(`/api/articles/${article.id}/retract`, { body: { reason: 'Withdrawn by the desk.' } });
    expect(answer.status).toBeLessThan(300);
    const report = await eventually(async () => {
      const body = await (await herald.api(`/api/articles/${article.id}/retraction`)).json();
      return body.posts?.length && body.posts.every((p: Post) => p.retraction !== 'pending') && body;
    }, 30_000, 'the retraction to settle');
    expect(report.posts.map((p: Post) => [p.channel, p.retraction])).toEqual(SOCIAL_CHANNELS.map((c) => [c, 'retracted']));
    const threadIds = (channel: string) => posts.find((p) => p.channel === channel)!.parts!.map((p) => p.remoteId);
    // Every part, the last first; nothing of the thread is left.
    expect(net.x.deletedIds).toEqual(threadIds('x').reverse());
    expect(net.x.tweets).toEqual([]);
    expect(net.mastodon.deletedIds).toEqual(threadIds('mastodon').reverse());
    expect(net.mastodon.statuses).toEqual([]);
    expect(net.bluesky.deletedUris).toEqual(threadIds('bluesky').reverse());
    expect(net.bluesky.records).toEqual([]);
    for (const p of report.posts.filter((p: Post) => p.parts)) expect(p.parts.every((part: Part) => part.state === 'deleted')).toBe(true);
  }, 40_000);
});

describe('a thread that fails part-way', () => {
  it('resumes at the part that failed: a 503 on part 2 is retried, part 1 is not posted again', async () => {
    const before = net.x.tweets.length;
    const requestsBefore = net.x.requests.length;
    const url = URL_OF(2);
    const text = LONG(url).replace('Our investigation', 'Our second investigation');
    // Part 1 goes through; part 2, the first reply, gets a 503.
    net.x.answerNextReply(503, { title: 'Service Unavailable', detail: 'Over capacity', status: 503 });
    const response = await herald.api('/api/articles', { body: articlePayload({ url, channels: ['x'], socialTexts: { x: text } }) });
    expect(response.status).toBe(201);
    const { dispatch } = await response.json();
    const view = await eventually(async () => {
      const v = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
      return v.status === 'completed' && v;
    }, 60_000, 'the dispatch to complete');
    const x = view.posts[0] as Post & { attempts: number };
    expect(x.attempts).toBe(2);
    const tweets = net.x.tweets.slice(before);
    // Part 1 once, part 2 twice (the 503, then the retry), every later part once.
    const sent = net.x.requests.slice(requestsBefore).filter((r) => r.method === 'POST' && r.path === '/2/tweets').map((r) => JSON.parse(r.body.toString()).text);
    expect(sent).toEqual([tweets[0]!.text, tweets[1]!.text, ...tweets.slice(1).map((t) => t.text)]);
    expect(tweets.map((t) => t.text)).toEqual(x.parts!.map((p) => p.text));
    expect(new Set(tweets.map((t) => t.text)).size).toBe(tweets.length);
    tweets.slice(1).forEach((t, i) => expect(t.inReplyTo).toBe(tweets[i]!.id));
  }, 90_000);

  it('fails for good on a refusal of part 2, says part 1 is out, and a retraction deletes part 1', async () => {
    const before = net.x.tweets.length;
    const url = URL_OF(3);
    const text = LONG(url).replace('Our investigation', 'Our third investigation');
    net.x.answerNextReply(403, { title: 'Forbidden', detail: 'You are not permitted to reply to this conversation.', type: 'about:blank', status: 403 });
    const response = await herald.api('/api/articles', { body: articlePayload({ url, channels: ['x'], socialTexts: { x: text } }) });
    expect(response.status).toBe(201);
    const article = await response.json();
    const view = await eventually(async () => {
      const v = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
      return v.status === 'completed_with_failures' && v;
    }, 30_000, 'the dispatch to settle');
    const x = view.posts[0] as Post & { lastResponse: string };
    expect(x.status).toBe('failed');
    expect(x.lastResponse).toMatch(/^part 2 of \d+; part 1 is posted: x_403: /);
    const first = net.x.tweets[before]!;
    expect(net.x.tweets.slice(before)).toEqual([first]);
    expect(x.parts![0]).toMatchObject({ state: 'posted', remoteId: first.id });
    expect(x.parts!.slice(1).every((p) => p.state === 'pending' && p.remoteId === null)).toBe(true);

    expect((await herald.api(`/api/articles/${article.id}/retract`, { body: { reason: 'Pulled.' } })).status).toBeLessThan(300);
    const report = await eventually(async () => {
      const body = await (await herald.api(`/api/articles/${article.id}/retraction`)).json();
      return body.posts?.length && body.posts.every((p: Post) => p.retraction !== 'pending') && body;
    }, 30_000, 'the retraction to settle');
    expect(report.posts.map((p: Post) => [p.channel, p.status, p.retraction])).toEqual([['x', 'failed', 'retracted']]);
    expect(net.x.deletedIds).toContain(first.id);
    expect(net.x.tweets.some((t) => t.id === first.id)).toBe(false);
  }, 90_000);

  it('holds the post uncertain when part 2 gets no answer, and a retraction deletes part 1 and says part 2 may be out', async () => {
    const before = net.x.tweets.length;
    const url = URL_OF(4);
    const text = LONG(url).replace('Our investigation', 'Our fourth investigation');
    net.x.answerNextReply('hang'); // SOCIAL_TIMEOUT_MS is 5 s in the stand-ins' env
    const response = await herald.api('/api/articles', { body: articlePayload({ url, channels: ['x'], socialTexts: { x: text } }) });
    const article = await response.json();
    const view = await eventually(async () => {
      const v = await (await herald.api(`/api/dispatches/${article.dispatch.id}`)).json();
      return v.status === 'completed_with_failures' && v;
    }, 40_000, 'the dispatch to settle');
    const x = view.posts[0] as Post & { lastResponse: string };
    expect(x.status).toBe('uncertain');
    expect(x.lastResponse).toMatch(/^part 2 of \d+; part 1 is posted: /);
    const first = net.x.tweets[before]!;
    expect(net.x.tweets.slice(before)).toEqual([first]);
    expect(x.parts!.slice(0, 2).map((p) => [p.state, p.remoteId])).toEqual([['posted', first.id], ['sending', null]]);

    await herald.api(`/api/articles/${article.id}/retract`, { body: { reason: 'Pulled.' } });
    const report = await eventually(async () => {
      const body = await (await herald.api(`/api/articles/${article.id}/retraction`)).json();
      return body.posts?.length && body.posts.every((p: Post) => p.retraction !== 'pending') && body;
    }, 30_000, 'the retraction to settle');
    expect(report.posts[0]).toMatchObject({ retraction: 'live', retractionNote: expect.stringMatching(/^the other parts are deleted; part 2 of \d+ may have gone out/) });
    expect(net.x.deletedIds).toContain(first.id);
  }, 90_000);
});

describe('an article too long for one post, with SOCIAL_THREAD_ARTICLES=on', () => {
  let threading: TestHerald;
  beforeAll(async () => {
    threading = await startTestHerald({ env: { ...net.env, SOCIAL_THREAD_ARTICLES: 'on' } });
  }, 60_000);
  afterAll(async () => {
    await threading?.stop();
  });

  it('posts the whole composition to X as a thread: full headline, summary and link, nothing shortened', async () => {
    const before = net.x.tweets.length;
    const payload: Record<string, any> = { ...fixturePayload('long-article'), externalId: `thread-articles-${Date.now()}` };
    const response = await threading.api('/api/articles', { body: { ...payload, channels: ['x'] } });
    expect(response.status).toBe(201);
    const { dispatch } = await response.json();
    const view = await eventually(async () => {
      const v = await (await threading.api(`/api/dispatches/${dispatch.id}`)).json();
      return v.status === 'completed' && v;
    }, 50_000, 'the dispatch to complete');
    const x = view.posts[0] as Post;
    expect(x.content).toContain(payload.title.trim());
    const tweets = net.x.tweets.slice(before);
    expect(tweets.map((t) => t.text)).toEqual(x.parts!.map((p) => p.text));
    expectNumbered(tweets.map((t) => t.text));
    for (const t of tweets) expect(twitterText.parseTweet(t.text).valid).toBe(true);
    tweets.slice(1).forEach((t, i) => expect(t.inReplyTo).toBe(tweets[i]!.id));
    // The link is whole in one part (X counts it as 23 wherever it is).
    expect(tweets.filter((t) => twitterText.extractUrlsWithIndices(t.text).length > 0)).toHaveLength(1);
  }, 90_000);
});
