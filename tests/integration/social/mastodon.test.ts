// The Mastodon adapter through the real masto client against the Mastodon stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentFailure, RateLimited, TransientFailure, UncertainOutcome } from '../../../src/delivery/failure.js';
import type { SocialPost } from '../../../src/social/channel.js';
import { MastodonChannel, type MastodonSettings } from '../../../src/social/mastodon.js';
import { MastodonStandIn } from '../../support/networks/mastodon-server.js';
import { holdRefusedPort } from '../../support/refused-port.js';

const accessToken = 'mastodon-access-token';
let mastodon: MastodonStandIn;

beforeAll(async () => {
  mastodon = await new MastodonStandIn({ accessToken, maxCharacters: 640 }).start();
});
afterAll(() => mastodon?.close());

function channel(overrides: Partial<MastodonSettings> = {}): MastodonChannel {
  return new MastodonChannel({ url: mastodon.url, accessToken, language: 'en', timeoutMs: 5_000, ...overrides });
}

let n = 0;
function post(): SocialPost {
  n += 1;
  return {
    text: `Budget day ${n}: what changes for you https://news.example.org/budget-${n}`,
    link: `https://news.example.org/budget-${n}`,
    title: 'Budget day',
    description: 'What changes for you',
  };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the post should have failed'),
    (error: unknown) => error,
  );
}

describe('Mastodon adapter', () => {
  it('posts a public status carrying the delivery\'s Idempotency-Key', async () => {
    const sent = post();
    const result = await channel().post(sent, { idempotencyKey: 'delivery-a' });

    const status = mastodon.statuses.find((s) => s.id === result.remoteId);
    expect(status).toMatchObject({ text: sent.text, visibility: 'public', language: 'en', idempotencyKey: 'delivery-a' });
    expect(result.remoteUrl).toBe(`${mastodon.url}/@herald/${result.remoteId}`);
    expect(mastodon.requestsTo('/api/v1/statuses').at(-1)?.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('sends the same Idempotency-Key on a repeat, so the instance keeps one status', async () => {
    const sent = post();
    const before = mastodon.statuses.length;
    const first = await channel().post(sent, { idempotencyKey: 'delivery-b' });
    const again = await channel().post(sent, { idempotencyKey: 'delivery-b' });

    expect(again.remoteId).toBe(first.remoteId);
    expect(mastodon.statuses.length).toBe(before + 1);
    const keys = mastodon.requestsTo('/api/v1/statuses').slice(-2).map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual(['delivery-b', 'delivery-b']);
  });

  it('reads the status limits from /api/v2/instance once', async () => {
    const mastodonChannel = channel();
    const before = mastodon.requestsTo('/api/v2/instance').length;
    expect(await mastodonChannel.limits()).toEqual({ maxCharacters: 640, charactersReservedPerUrl: 23 });
    await mastodonChannel.limits();
    expect(mastodon.requestsTo('/api/v2/instance').length).toBe(before + 1);
  });

  it('turns 429 into RateLimited until X-RateLimit-Reset', async () => {
    const reset = new Date(Date.now() + 5 * 60_000);
    reset.setMilliseconds(0);
    mastodon.scriptNext('/api/v1/statuses', {
      status: 429,
      headers: { 'X-RateLimit-Limit': '300', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset.toISOString() },
      body: { error: 'Too many requests' },
    });
    const failure = await failureOf(channel().post(post(), { idempotencyKey: 'delivery-c' }));
    expect(failure).toBeInstanceOf(RateLimited);
    expect(failure).toMatchObject({ code: 'mastodon_429', resetAt: reset });
  });

  it('turns 503 into TransientFailure', async () => {
    mastodon.scriptNext('/api/v1/statuses', { status: 503, body: { error: 'Service Unavailable' } });
    const failure = await failureOf(channel().post(post(), { idempotencyKey: 'delivery-d' }));
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'mastodon_503' });
  });

  it('turns a proxy\'s HTML error page, which masto cannot read, into TransientFailure', async () => {
    mastodon.scriptNext('/api/v1/statuses', {
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
    });
    const failure = await failureOf(channel().post(post(), { idempotencyKey: 'delivery-e' }));
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'mastodon_bad_response' });
  });

  it('turns a refused token into PermanentFailure with Mastodon\'s message', async () => {
    const failure = await failureOf(channel({ accessToken: 'revoked' }).post(post(), { idempotencyKey: 'delivery-f' }));
    expect(failure).toBeInstanceOf(PermanentFailure);
    expect(failure).toMatchObject({ code: 'mastodon_401', response: 'The access token is invalid' });
  });

  it('turns a validation refusal (422) into PermanentFailure', async () => {
    const long = { ...post(), text: 'x'.repeat(641) };
    const failure = await failureOf(channel().post(long, { idempotencyKey: 'delivery-g' }));
    expect(failure).toBeInstanceOf(PermanentFailure);
    expect(failure).toMatchObject({ code: 'mastodon_422', response: 'Validation failed: Text character limit of 640 exceeded' });
  });

  it('reports a status request that never gets an answer as UncertainOutcome', async () => {
    mastodon.scriptNext('/api/v1/statuses', { hang: true });
    const failure = await failureOf(channel({ timeoutMs: 300 }).post(post(), { idempotencyKey: 'delivery-h' }));
    expect(failure).toBeInstanceOf(UncertainOutcome);
    expect(failure).toMatchObject({ code: 'network_timeout' });
  });

  it('reports a refused connection as TransientFailure', async () => {
    const refused = await holdRefusedPort();
    const failure = await failureOf(channel({ url: refused.url() }).post(post(), { idempotencyKey: 'delivery-i' })).finally(() => refused.release());
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure).toMatchObject({ code: 'network_unreachable' });
  });
});
