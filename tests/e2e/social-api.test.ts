// The social side of the editor API: preview mode without credentials, editors' own texts, PATCH and the live preview.
import twitterText from 'twitter-text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePayload, fixturePayload } from '../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { SOCIAL_CHANNELS, startSocialStandIns, type SocialStandIns } from '../support/social.js';

let net: SocialStandIns;
let herald: TestHerald;

beforeAll(async () => {
  net = await startSocialStandIns();
  // The quick start: no credentials at all. Base URLs point at the stand-ins, so any request would show there.
  herald = await startTestHerald({ env: net.urlsOnly });
});
afterAll(async () => {
  await herald?.stop();
  await net?.close();
});

async function completed(dispatchId: number) {
  return eventually(async () => {
    const view = await (await herald.api(`/api/dispatches/${dispatchId}`)).json();
    return ['completed', 'completed_with_failures'].includes(view.status) && view;
  }, 30_000, `dispatch ${dispatchId} to complete`);
}

describe('preview mode (no credentials)', () => {
  it('composes and stores every network’s post, and sends nothing', async () => {
    const response = await herald.api('/api/articles', { body: fixturePayload('seed-article') });
    expect(response.status).toBe(201);
    const { dispatch, url } = await response.json();
    const view = await completed(dispatch.id);

    expect(view.posts.map((p: any) => [p.channel, p.account, p.status])).toEqual([
      ['x', 'x', 'preview'],
      ['facebook', 'facebook', 'preview'],
      ['mastodon', new URL(net.mastodon.url).host, 'preview'],
      ['bluesky', 'bluesky', 'preview'],
    ]);
    for (const post of view.posts) {
      expect(post.content).toContain(url);
      expect(post.remoteId).toBeNull();
      expect(post.attempts).toBe(0);
    }
    const x = view.posts.find((p: any) => p.channel === 'x');
    expect(twitterText.parseTweet(x.content).valid).toBe(true);
    expect(x.lastResponse).toBe('preview mode: set X_BEARER_TOKEN (or X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET) to post');
    expect(view.posts.find((p: any) => p.channel === 'facebook').lastResponse).toBe('preview mode: set FACEBOOK_PAGE_ID, FACEBOOK_PAGE_TOKEN to post');
    expect(net.requestCount()).toBe(0);
  });
});

describe('editors’ own texts on publish', () => {
  it('answers 400 naming the text, its length and the limit, where the network has no threads', async () => {
    const response = await herald.api('/api/articles', {
      body: articlePayload({ socialTexts: { facebook: 'a'.repeat(70_000), x: 'a'.repeat(312), mastodon: 'Fine as it is' } }),
    });
    expect(response.status).toBe(400);
    // X takes its 312 characters as a thread; Facebook has no threads.
    expect(await response.json()).toEqual({
      error: 'invalid body',
      code: 'invalid_input',
      issues: [{ path: 'socialTexts.facebook', message: expect.stringMatching(/70000 characters.*Facebook allows 63206/) }],
    });
  });

  it('measures the way each network does: 140 CJK characters are 280 on X and fit; 141 make a thread of two', async () => {
    const fits = await herald.api('/api/social/preview', { body: { ...articlePayload(), socialTexts: { x: '東'.repeat(140) } } });
    expect((await fits.json()).posts[0]).toMatchObject({ network: 'x', length: 280, fits: true });
    const over = await herald.api('/api/social/preview', { body: { ...articlePayload(), socialTexts: { x: '東'.repeat(141) } } });
    const x = (await over.json()).posts[0];
    expect(x).toMatchObject({ network: 'x', length: 282, fits: true, parts: [expect.stringMatching(/ 1\/2$/), expect.stringMatching(/ 2\/2$/)] });
    for (const part of x.parts) expect(twitterText.parseTweet(part).valid).toBe(true);
  });

  it('refuses unknown networks and empty texts', async () => {
    const unknown = await herald.api('/api/articles', { body: articlePayload({ socialTexts: { tiktok: 'hi' } }) });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).issues[0].path).toBe('socialTexts');
    const empty = await herald.api('/api/articles', { body: articlePayload({ socialTexts: { bluesky: '   ' } }) });
    expect((await empty.json()).issues).toEqual([{ path: 'socialTexts.bluesky', message: 'The Bluesky post is empty.' }]);
  });
});

describe('PATCH /api/dispatches/:id', () => {
  const later = () => new Date(Date.now() + 3_600_000).toISOString();

  async function scheduled(extra: Record<string, unknown> = {}) {
    const response = await herald.api('/api/articles', { body: articlePayload({ schedule: { at: later() }, ...extra }) });
    expect(response.status).toBe(201);
    return (await response.json()).dispatch as { id: number; status: string };
  }

  it('changes subject, preheader and texts while the dispatch waits; null removes an override', async () => {
    const dispatch = await scheduled({ socialTexts: { x: 'Old X text', facebook: 'Old Facebook text' } });
    expect(dispatch.status).toBe('scheduled');
    const response = await herald.api(`/api/dispatches/${dispatch.id}`, {
      method: 'PATCH',
      body: { subject: 'A better\r\nsubject', preheader: 'Read this first', socialTexts: { x: 'New X text', facebook: null, bluesky: 'Sky text' } },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: dispatch.id,
      status: 'scheduled',
      subject: 'A better subject',
      preheader: 'Read this first',
      socialTexts: { x: 'New X text', bluesky: 'Sky text' },
      posts: [],
    });
  });

  it('checks texts like publishing does', async () => {
    const dispatch = await scheduled();
    const response = await herald.api(`/api/dispatches/${dispatch.id}`, { method: 'PATCH', body: { socialTexts: { facebook: 'b'.repeat(63_207) } } });
    expect(response.status).toBe(400);
    expect((await response.json()).issues).toEqual([
      { path: 'socialTexts.facebook', message: 'The Facebook post is 63207 characters; Facebook allows 63206.' },
    ]);
    const nothing = await herald.api(`/api/dispatches/${dispatch.id}`, { method: 'PATCH', body: {} });
    expect(nothing.status).toBe(400);
  });

  it('answers 409 once the dispatch has started, and 404 for an unknown one', async () => {
    const response = await herald.api('/api/articles', { body: articlePayload({ channels: ['x'] }) });
    const { dispatch } = await response.json();
    await completed(dispatch.id);
    const late = await herald.api(`/api/dispatches/${dispatch.id}`, { method: 'PATCH', body: { subject: 'Too late' } });
    expect(late.status).toBe(409);
    expect((await late.json()).error).toMatch(/dispatch is completed/);
    expect((await herald.api('/api/dispatches/999999', { method: 'PATCH', body: { subject: 'x' } })).status).toBe(404);
  });

  it('is what the posts say when the dispatch starts', async () => {
    const response = await herald.api('/api/articles', {
      body: articlePayload({ schedule: { at: new Date(Date.now() + 2_000).toISOString() }, channels: ['x', 'mastodon'] }),
    });
    const { dispatch } = await response.json();
    const patched = await herald.api(`/api/dispatches/${dispatch.id}`, { method: 'PATCH', body: { socialTexts: { mastodon: 'Edited for Mastodon' } } });
    expect(patched.status).toBe(200);
    const view = await completed(dispatch.id);
    expect(view.posts.find((p: any) => p.channel === 'mastodon').content).toBe('Edited for Mastodon');
    expect(view.posts.find((p: any) => p.channel === 'x').content).not.toBe('Edited for Mastodon');
  });
});

describe('POST /api/social/preview', () => {
  it('composes an unsaved draft for every network with its length and limit', async () => {
    const draft = fixturePayload('unicode-article');
    const response = await herald.api('/api/social/preview', { body: { ...draft, socialTexts: { bluesky: 'x'.repeat(301) } } });
    expect(response.status).toBe(200);
    const { posts } = await response.json();
    expect(posts.map((p: any) => [p.network, p.mode, p.limit, p.override, p.fits])).toEqual([
      ['x', 'preview', 280, false, true],
      ['facebook', 'preview', 63_206, false, true],
      ['mastodon', 'preview', 500, false, true],
      ['bluesky', 'preview', 300, true, true],
    ]);
    const x = posts[0];
    expect(x.length).toBe(twitterText.parseTweet(x.text).weightedLength);
    expect(x.length).toBeLessThanOrEqual(280);
    // 301 graphemes without a space: a thread of two, cut between graphemes, each within 300 with its number.
    expect(posts[3]).toMatchObject({ length: 301, parts: [expect.stringMatching(/^x+ 1\/2$/), expect.stringMatching(/^x+ 2\/2$/)] });
    expect(posts[3].parts.map((p: string) => [...new Intl.Segmenter().segment(p)].length).every((n: number) => n <= 300)).toBe(true);
    expect(posts[3].parts.join('').replace(/ \d\/2/g, '')).toBe('x'.repeat(301));
  });

  it('previews a saved article as its dispatch will post it', async () => {
    const created = await (await herald.api('/api/articles', { body: articlePayload({ channels: [...SOCIAL_CHANNELS] }) })).json();
    const view = await completed(created.dispatch.id);
    const { posts } = await (await herald.api('/api/social/preview', { body: { articleId: created.id } })).json();
    expect(posts.map((p: any) => p.text)).toEqual(view.posts.map((p: any) => p.content));
    expect((await herald.api('/api/social/preview', { body: { articleId: 999999 } })).status).toBe(404);
  });

  it('answers 400 for a draft without a usable URL', async () => {
    const response = await herald.api('/api/social/preview', { body: { title: 'No link' } });
    expect(response.status).toBe(400);
    expect((await response.json()).issues.map((i: any) => i.path)).toContain('url');
  });
});
