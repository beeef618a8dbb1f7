// The Bluesky adapter's answers to what a real PDS cannot be made to do on cue — 429 with ratelimit-reset, 5xx, a
// request never answered, an access token expired now, a session dropped — against the hand-written PDS stand-in.
// Everything a real server can serve (posting, the lexicon's limits, facets, thumbs, deletion, a refused app
// password) is tested against the reference PDS in bluesky.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimited, TransientFailure, UncertainOutcome } from '../../../src/delivery/failure.js';
import { BlueskyChannel, type BlueskySettings } from '../../../src/social/bluesky.js';
import type { SocialPost } from '../../../src/social/channel.js';
import { BlueskyStandIn } from '../../support/networks/bluesky-server.js';
import { holdRefusedPort } from '../../support/refused-port.js';

const account = { handle: 'herald.bsky.social', did: 'did:plc:heraldstandin7xq4m2k5v3p', appPassword: 'abcd-efgh-ijkl-mnop' };
const options = { idempotencyKey: 'delivery-1' };
let bluesky: BlueskyStandIn;

beforeAll(async () => {
  bluesky = await new BlueskyStandIn(account).start();
});
afterAll(() => bluesky?.close());

function channel(overrides: Partial<BlueskySettings> = {}): BlueskyChannel {
  return new BlueskyChannel({
    identifier: account.handle,
    appPassword: account.appPassword,
    service: bluesky.url,
    timeoutMs: 5_000,
    ...overrides,
  });
}

let n = 0;
function post(extra: Partial<SocialPost> = {}): SocialPost {
  n += 1;
  return {
    text: `Harbour report ${n} https://news.example.org/harbour-${n}`,
    link: `https://news.example.org/harbour-${n}`,
    title: 'Harbour report',
    description: 'Ships, cargo, weather',
    ...extra,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the post should have failed'),
    (error: unknown) => error,
  );
}

describe('Bluesky adapter, failures played by the stand-in', () => {
  it('logs in once for several posts', async () => {
    const before = bluesky.logins;
    const bsky = channel();
    for (let i = 0; i < 3; i++) await bsky.post(post(), options);
    expect(bluesky.logins).toBe(before + 1);
  });

  it('refreshes an expired access token instead of logging in again', async () => {
    const bsky = channel();
    await bsky.post(post(), options);
    const logins = bluesky.logins;
    const refreshes = bluesky.requestsTo('/xrpc/com.atproto.server.refreshSession').length;
    bluesky.expireAccessTokens();

    const result = await bsky.post(post(), options);
    expect(bluesky.records.some((r) => r.uri === result.remoteId)).toBe(true);
    expect(bluesky.logins).toBe(logins);
    expect(bluesky.requestsTo('/xrpc/com.atproto.server.refreshSession').length).toBe(refreshes + 1);
  });

  it('logs in again when the session is gone altogether', async () => {
    const bsky = channel();
    await bsky.post(post(), options);
    const logins = bluesky.logins;
    bluesky.revokeSessions();

    const result = await bsky.post(post(), options);
    expect(bluesky.records.some((r) => r.uri === result.remoteId)).toBe(true);
    expect(bluesky.logins).toBe(logins + 1);
  });

  it('turns 429 into RateLimited until ratelimit-reset', async () => {
    const bsky = channel();
    await bsky.post(post(), options);
    const reset = Math.floor(Date.now() / 1000) + 300;
    bluesky.scriptNext('/xrpc/com.atproto.repo.createRecord', {
      status: 429,
      headers: { 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset), 'ratelimit-policy': '5000;w=3600' },
      body: { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' },
    });
    const failure = await failureOf(bsky.post(post(), options));
    expect(failure).toBeInstanceOf(RateLimited);
    expect(failure).toMatchObject({ code: 'bluesky_429', resetAt: new Date(reset * 1000) });
  });

  it('turns 503 into TransientFailure', async () => {
    const bsky = channel();
    await bsky.post(post(), options);
    bluesky.scriptNext('/xrpc/com.atproto.repo.createRecord', {
      status: 503,
      body: { error: 'NotEnoughResources', message: 'Service Unavailable' },
    });
    const failure = await failureOf(bsky.post(post(), options));
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'bluesky_503' });
  });

  it('reports a createRecord that never gets an answer as UncertainOutcome', async () => {
    const bsky = channel({ timeoutMs: 300 });
    await bsky.post(post(), options);
    bluesky.scriptNext('/xrpc/com.atproto.repo.createRecord', { hang: true });
    const failure = await failureOf(bsky.post(post(), options));
    expect(failure).toBeInstanceOf(UncertainOutcome);
    expect(failure).toMatchObject({ code: 'network_timeout' });
  });

  it('reports a hung login as TransientFailure: nothing can have been posted', async () => {
    bluesky.scriptNext('/xrpc/com.atproto.server.createSession', { hang: true });
    const failure = await failureOf(channel({ timeoutMs: 300 }).post(post(), options));
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'network_timeout' });
  });

  it('reports a refused connection as TransientFailure', async () => {
    const refused = await holdRefusedPort();
    const failure = await failureOf(channel({ service: refused.url() }).post(post(), options)).finally(() => refused.release());
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'network_unreachable' });
  });
});
