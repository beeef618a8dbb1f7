// The Facebook Page adapter (Graph API over fetch) against the Graph stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentFailure, RateLimited, TransientFailure, UncertainOutcome } from '../../../src/delivery/failure.js';
import type { SocialPost } from '../../../src/social/channel.js';
import { FacebookPageChannel, type FacebookSettings } from '../../../src/social/facebook.js';
import { FacebookStandIn } from '../../support/networks/facebook-server.js';
import { holdRefusedPort } from '../../support/refused-port.js';

const page = { pageId: '104857600123', pageAccessToken: 'EAAB-page-token', appSecret: 'app-secret' };
const options = { idempotencyKey: 'delivery-1' };
let facebook: FacebookStandIn;

beforeAll(async () => {
  facebook = await new FacebookStandIn(page).start();
});
afterAll(() => facebook?.close());

function channel(overrides: Partial<FacebookSettings> = {}): FacebookPageChannel {
  return new FacebookPageChannel({ ...page, graphUrl: facebook.url, graphVersion: 'v23.0', timeoutMs: 5_000, ...overrides });
}

let n = 0;
function post(extra: Partial<SocialPost> = {}): SocialPost {
  n += 1;
  return {
    text: `Flood defences ${n}: the plan, street by street`,
    link: `https://news.example.org/floods-${n}`,
    title: 'Flood defences',
    description: 'The plan, street by street',
    ...extra,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the post should have failed'),
    (error: unknown) => error,
  );
}

describe('Facebook Page adapter', () => {
  it('posts message and link to the page feed with the page token and appsecret_proof', async () => {
    const sent = post({ image: { url: `${facebook.url}/assets/cover.png`, alt: 'Sandbags on the quay' } });
    const result = await channel().post(sent, options);

    expect(facebook.posts.find((p) => p.id === result.remoteId)).toEqual({
      id: result.remoteId,
      message: sent.text,
      link: sent.link,
    });
    const [pageId, postId] = result.remoteId.split('_');
    expect(pageId).toBe(page.pageId);
    expect(result.remoteUrl).toBe(`https://www.facebook.com/${pageId}/posts/${postId}`);
    const request = facebook.requestsTo(`/v23.0/${page.pageId}/feed`).at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${page.pageAccessToken}`);
    // The image is left to Facebook's link card (Open Graph): nothing fetched, nothing uploaded.
    expect(facebook.requestsTo('/assets/')).toEqual([]);
  });

  it('turns 429 (no reset header on Facebook) into RateLimited for about a minute', async () => {
    facebook.scriptNext('/v23.0/', {
      status: 429,
      body: { error: { message: 'Too many calls', type: 'OAuthException', code: 4, fbtrace_id: 'x' } },
    });
    const before = Date.now();
    const failure = await failureOf(channel().post(post(), options));
    expect(failure).toBeInstanceOf(RateLimited);
    expect(failure).toMatchObject({ code: 'facebook_429' });
    const wait = (failure as RateLimited).resetAt.getTime() - before;
    expect(wait).toBeGreaterThanOrEqual(59_000);
    expect(wait).toBeLessThanOrEqual(61_000 + (Date.now() - before));
  });

  it('takes a page rate limit sent as HTTP 400 (Graph code 32) with its regain-access estimate', async () => {
    facebook.scriptNext('/v23.0/', {
      status: 400,
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          [page.pageId]: [{ type: 'pages', call_count: 100, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 15 }],
        }),
      },
      body: { error: { message: '(#32) Page request limit reached', type: 'OAuthException', code: 32, fbtrace_id: 'x' } },
    });
    const before = Date.now();
    const failure = (await failureOf(channel().post(post(), options))) as RateLimited;
    expect(failure).toBeInstanceOf(RateLimited);
    expect(failure.resetAt.getTime() - before).toBeGreaterThanOrEqual(15 * 60_000);
  });

  it('turns 503 into TransientFailure', async () => {
    facebook.scriptNext('/v23.0/', { status: 503, headers: { 'content-type': 'text/html' }, body: '<html>Service Unavailable</html>' });
    const failure = await failureOf(channel().post(post(), options));
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'facebook_503' });
  });

  it('follows Graph\'s is_transient flag', async () => {
    facebook.scriptNext('/v23.0/', {
      status: 500,
      body: { error: { message: 'An unexpected error has occurred.', type: 'OAuthException', code: 2, is_transient: true } },
    });
    expect(await failureOf(channel().post(post(), options))).toBeInstanceOf(TransientFailure);
  });

  it('turns a refused page token into PermanentFailure with Graph\'s message', async () => {
    const failure = await failureOf(channel({ pageAccessToken: 'expired-token' }).post(post(), options));
    expect(failure).toBeInstanceOf(PermanentFailure);
    expect(failure).toMatchObject({ code: 'facebook_401' });
    expect((failure as PermanentFailure).response).toMatch(/^Invalid OAuth access token - Cannot parse access token/);
  });

  it('turns a duplicate status into PermanentFailure', async () => {
    const sent = post();
    await channel().post(sent, options);
    const failure = await failureOf(channel().post(sent, options));
    expect(failure).toBeInstanceOf(PermanentFailure);
    expect(failure).toMatchObject({ code: 'facebook_duplicate' });
  });

  it('reports a feed request that never gets an answer as UncertainOutcome', async () => {
    facebook.scriptNext('/v23.0/', { hang: true });
    const failure = await failureOf(channel({ timeoutMs: 300 }).post(post(), options));
    expect(failure).toBeInstanceOf(UncertainOutcome);
    expect(failure).toMatchObject({ code: 'network_timeout' });
  });

  it('reports a refused connection as TransientFailure', async () => {
    const refused = await holdRefusedPort();
    const failure = await failureOf(channel({ graphUrl: refused.url() }).post(post(), options)).finally(() => refused.release());
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'network_unreachable' });
  });
});
