// The X adapter through the real twitter-api-v2 client against the X stand-in: HTTPS, OAuth 1.0a signatures checked.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PermanentFailure, RateLimited, TransientFailure, UncertainOutcome } from '../../../src/delivery/failure.js';
import { OutboundFetcher } from '../../../src/net/outbound-fetch.js';
import type { SocialPost } from '../../../src/social/channel.js';
import { XChannel, type XSettings } from '../../../src/social/x.js';
import { TINY_PNG } from '../../support/networks/stand-in.js';
import { XStandIn } from '../../support/networks/x-server.js';
import { holdRefusedPort } from '../../support/refused-port.js';

const credentials = {
  apiKey: 'herald-api-key',
  apiSecret: 'herald api secret!*', // characters RFC 3986 encoding must get right
  accessToken: '1234-herald-access-token',
  accessSecret: "herald access secret'()",
};
const options = { idempotencyKey: 'delivery-1' };

let x: XStandIn;

beforeAll(async () => {
  const tls = inject('standInTls');
  if (!tls) {
    throw new Error('The X stand-in needs globalSetup: [\'tests/support/networks/tls-global-setup.ts\'] in vitest.config.ts');
  }
  x = await new XStandIn(tls, { ...credentials, bearerToken: 'oauth2-user-token' }).start();
});
afterAll(() => x?.close());

function channel(overrides: Partial<XSettings> = {}): XChannel {
  // The stand-in serves the image on loopback, which only an explicit exception lets the guarded fetcher reach.
  return new XChannel({ ...credentials, baseUrl: x.url, timeoutMs: 5_000, fetcher: new OutboundFetcher({ allow: ['127.0.0.1'] }), ...overrides });
}

let n = 0;
function post(extra: Partial<SocialPost> = {}): SocialPost {
  n += 1;
  return {
    text: `Story ${n}: the council votes tonight https://news.example.org/council-${n}`,
    link: `https://news.example.org/council-${n}`,
    title: 'The council votes tonight',
    description: 'What is at stake',
    ...extra,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the post should have failed'),
    (error: unknown) => error,
  );
}

describe('X adapter', () => {
  it('uploads the image with its alt text, then tweets with the media id, every call signed', async () => {
    const sent = post({ image: { url: x.imageUrl, alt: 'Council chamber, seen from the gallery' } });
    const result = await channel().post(sent, options);

    const tweet = x.tweets.find((t) => t.id === result.remoteId);
    expect(tweet?.text).toBe(sent.text);
    expect(result.remoteUrl).toBe(`https://x.com/i/web/status/${result.remoteId}`);
    expect(tweet?.mediaIds).toHaveLength(1);
    const media = x.media.get(tweet!.mediaIds[0]!);
    expect(media).toMatchObject({ mediaType: 'image/png', category: 'tweet_image', finalized: true });
    expect(media?.bytes.equals(TINY_PNG)).toBe(true);
    expect(media?.altText).toBe('Council chamber, seen from the gallery');
    // twitter-api-v2 1.29 uses X's v2 chunked upload on the API host, not upload.x.com v1.1.
    expect(x.requests.map((r) => r.path).filter((p) => p.startsWith('/2/'))).toEqual([
      '/2/media/upload/initialize',
      `/2/media/upload/${media!.id}/append`,
      `/2/media/upload/${media!.id}/finalize`,
      '/2/media/metadata',
      '/2/tweets',
    ]);
    expect(x.authFailures).toEqual([]);
  });

  it('posts with an OAuth 2.0 user token', async () => {
    const result = await new XChannel({ bearerToken: 'oauth2-user-token', baseUrl: x.url }).post(post(), options);
    expect(x.tweets.some((t) => t.id === result.remoteId)).toBe(true);
  });

  it('is refused with X\'s own message when the signature is made with the wrong secret', async () => {
    const before = x.tweets.length;
    const failure = await failureOf(channel({ accessSecret: 'not-the-secret' }).post(post(), options));
    expect(failure).toBeInstanceOf(PermanentFailure);
    expect(failure).toMatchObject({ code: 'x_401', response: 'Unauthorized' });
    expect(x.authFailures.at(-1)).toBe('signature mismatch');
    expect(x.tweets.length).toBe(before);
  });

  it('rejects a correctly signed request once it is tampered with, and a replay of it', async () => {
    await channel().post(post(), options);
    const signed = x.requestsTo('/2/tweets').at(-1)!;
    const replay = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(`${x.url}${path}`, { method: 'POST', headers: signed.headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(signed.body);
      });

    expect(await replay('/2/tweets?reply_settings=following')).toBe(401);
    expect(x.authFailures.at(-1)).toBe('signature mismatch');
    expect(await replay('/2/tweets')).toBe(401);
    expect(x.authFailures.at(-1)).toBe('nonce replayed');
  });

  it('turns 429 into RateLimited until x-rate-limit-reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 900;
    x.scriptNext('/2/tweets', {
      status: 429,
      headers: { 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
      body: { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 },
    });
    const failure = await failureOf(channel().post(post(), options));
    expect(failure).toBeInstanceOf(RateLimited);
    expect(failure).toMatchObject({ code: 'x_429', resetAt: new Date(reset * 1000) });
  });

  it('waits for the 24-hour user cap when that is the exhausted one', async () => {
    const window = Math.floor(Date.now() / 1000) + 900;
    const day = Math.floor(Date.now() / 1000) + 20_000;
    x.scriptNext('/2/tweets', {
      status: 429,
      headers: {
        'x-rate-limit-limit': '100',
        'x-rate-limit-remaining': '99',
        'x-rate-limit-reset': String(window),
        'x-user-limit-24hour-limit': '17',
        'x-user-limit-24hour-remaining': '0',
        'x-user-limit-24hour-reset': String(day),
      },
      body: { title: 'Too Many Requests', detail: 'Too Many Requests', status: 429 },
    });
    const failure = (await failureOf(channel().post(post(), options))) as RateLimited;
    expect(failure.resetAt).toEqual(new Date(day * 1000));
  });

  it('turns 503 into TransientFailure', async () => {
    x.scriptNext('/2/tweets', { status: 503, body: { title: 'Service Unavailable', detail: 'Service Unavailable', status: 503 } });
    const failure = await failureOf(channel().post(post(), options));
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'x_503' });
  });

  it('turns X\'s duplicate-content 403 into PermanentFailure', async () => {
    const sent = post();
    await channel().post(sent, options);
    const failure = await failureOf(channel().post(sent, options));
    expect(failure).toBeInstanceOf(PermanentFailure);
    expect(failure).toMatchObject({ code: 'x_duplicate' });
    expect((failure as PermanentFailure).response).toMatch(/duplicate content/);
  });

  it('reports a tweet request that never gets an answer as UncertainOutcome', async () => {
    x.scriptNext('/2/tweets', { hang: true });
    const failure = await failureOf(channel({ timeoutMs: 300 }).post(post(), options));
    expect(failure).toBeInstanceOf(UncertainOutcome);
    expect(failure).toMatchObject({ code: 'network_timeout' });
  });

  it('reports a hung media upload as TransientFailure: no tweet can exist yet', async () => {
    x.scriptNext('/2/media/upload/initialize', { hang: true });
    const failure = await failureOf(
      channel({ timeoutMs: 300 }).post(post({ image: { url: x.imageUrl, alt: '' } }), options),
    );
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'network_timeout' });
  });

  it('reports a refused connection as TransientFailure', async () => {
    const refused = await holdRefusedPort();
    const failure = await failureOf(channel({ baseUrl: refused.url('https') }).post(post(), options)).finally(() => refused.release());
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'network_unreachable' });
  });

  it('posts without the image when the image cannot be fetched', async () => {
    const result = await channel().post(post({ image: { url: `${x.url}/assets/missing.png`, alt: 'gone' } }), options);
    expect(x.tweets.find((t) => t.id === result.remoteId)?.mediaIds).toEqual([]);
  });
});
