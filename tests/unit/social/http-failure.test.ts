// The social adapters' one failure classifier: HTTP refusals and transport errors → permanent, transient, rate-limited
// or uncertain, with a stable code each; rate-limit reset headers → the time to wait until.
import { describe, expect, it } from 'vitest';
import { RateLimited } from '../../../src/delivery/failure.js';
import {
  DEFAULT_RATE_LIMIT_WAIT_MS,
  failureFromRefusal,
  failureFromTransportError,
  resetFromEpochSeconds,
  resetFromIsoTime,
} from '../../../src/social/http-failure.js';

const now = Date.parse('2026-03-01T12:00:00Z');
const refusal = (status: number, more: object = {}) => failureFromRefusal('x', { status, message: 'said so', ...more }, now);
const outcome = (failure: { kind: string; code: string }) => ({ kind: failure.kind, code: failure.code });

describe('an HTTP refusal', () => {
  it('is a rate limit for a 429, waiting until the network’s reset, with no other reading', () => {
    const resetAt = new Date(now + 15 * 60_000);
    const failure = refusal(429, { resetAt });
    expect(outcome(failure)).toEqual({ kind: 'rate_limited', code: 'x_429' });
    expect((failure as RateLimited).resetAt).toEqual(resetAt);
    expect(failure.message).toBe('x answered 429: said so');
  });

  it('waits a minute after a 429 without a reset time', () => {
    expect((refusal(429) as RateLimited).resetAt.getTime()).toBe(now + DEFAULT_RATE_LIMIT_WAIT_MS);
  });

  it('waits at least a second when the reset is already past (clock skew), so the network is not hammered', () => {
    expect((refusal(429, { resetAt: new Date(now - 60_000) }) as RateLimited).resetAt.getTime()).toBe(now + 1000);
  });

  it('is a rate limit whatever status carried the network’s own signal (Facebook answers 400), coded as a 429', () => {
    const failure = failureFromRefusal('facebook', { status: 400, message: 'too many calls', rateLimited: true }, now);
    expect(outcome(failure)).toEqual({ kind: 'rate_limited', code: 'facebook_429' });
  });

  it.each([500, 502, 503, 504, 408, 425])('is transient for %i', (status) => {
    expect(outcome(refusal(status))).toEqual({ kind: 'transient', code: `x_${status}` });
  });

  it('is transient when the network says a retry may succeed, whatever the status', () => {
    expect(outcome(refusal(400, { transient: true }))).toEqual({ kind: 'transient', code: 'x_400' });
  });

  it.each([400, 401, 403, 404, 413, 422])('is permanent for %i: the same request is refused the same way', (status) => {
    expect(outcome(refusal(status))).toEqual({ kind: 'permanent_policy', code: `x_${status}` });
  });

  it('is permanent for a duplicate post, with its own code, even when the status looks temporary', () => {
    expect(outcome(refusal(403, { duplicate: true }))).toEqual({ kind: 'permanent_policy', code: 'x_duplicate' });
    expect(outcome(refusal(503, { duplicate: true }))).toEqual({ kind: 'permanent_policy', code: 'x_duplicate' });
  });

  it('ranks a rate limit above everything else', () => {
    expect(outcome(refusal(429, { duplicate: true, transient: true }))).toEqual({ kind: 'rate_limited', code: 'x_429' });
  });

  it('keeps what the network said for the editor', () => {
    expect(refusal(401, { message: 'Invalid or expired token' }).describe()).toBe('x_401: Invalid or expired token');
  });
});

const errorWith = (code: string, message = code) => Object.assign(new Error(message), { code });
const wrapped = (cause: unknown) => new Error('fetch failed', { cause });

describe('a transport error', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'CERT_HAS_EXPIRED'])(
    'is transient when nothing was sent (%s), even on the call that posts',
    (code) => {
      const failure = failureFromTransportError('mastodon', wrapped(errorWith(code)), { mayHaveLanded: true });
      expect(outcome(failure)).toEqual({ kind: 'transient', code: 'network_unreachable' });
      expect(failure.message).toContain(code);
    },
  );

  it('is uncertain when the posting call timed out: the post may be out', () => {
    for (const error of [wrapped(errorWith('ETIMEDOUT')), wrapped(errorWith('UND_ERR_HEADERS_TIMEOUT')), Object.assign(new Error('aborted'), { name: 'TimeoutError' })]) {
      const failure = failureFromTransportError('bluesky', error, { mayHaveLanded: true });
      expect(outcome(failure)).toEqual({ kind: 'uncertain', code: 'network_timeout' });
      expect(failure.message).toMatch(/^bluesky did not answer in time after the post was sent; it may have been published/);
    }
  });

  it('takes the library’s own timeout signal when the error does not show one', () => {
    expect(outcome(failureFromTransportError('x', new Error('request aborted'), { mayHaveLanded: true, timedOut: true })))
      .toEqual({ kind: 'uncertain', code: 'network_timeout' });
  });

  it('is uncertain when the connection broke during the posting call', () => {
    const failure = failureFromTransportError('x', wrapped(errorWith('ECONNRESET', 'socket hang up')), { mayHaveLanded: true });
    expect(outcome(failure)).toEqual({ kind: 'uncertain', code: 'network_error' });
    expect(failure.message).toMatch(/connection broke after the post was sent/);
  });

  it('is transient on a preparatory call (login, upload, limits): nothing visible can have been created', () => {
    expect(outcome(failureFromTransportError('x', wrapped(errorWith('ETIMEDOUT')), { mayHaveLanded: false })))
      .toEqual({ kind: 'transient', code: 'network_timeout' });
    expect(outcome(failureFromTransportError('x', wrapped(errorWith('ECONNRESET')), { mayHaveLanded: false })))
      .toEqual({ kind: 'transient', code: 'network_error' });
  });

  it('follows a cause chain that loops back on itself without hanging', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(outcome(failureFromTransportError('x', a, { mayHaveLanded: true }))).toEqual({ kind: 'uncertain', code: 'network_error' });
  });
});

describe('rate-limit reset headers', () => {
  it('reads epoch seconds (X `x-rate-limit-reset`, Bluesky `ratelimit-reset`), also the first of repeated headers', () => {
    expect(resetFromEpochSeconds('1700000000')).toEqual(new Date(1_700_000_000_000));
    expect(resetFromEpochSeconds(['1700000000', '1800000000'])).toEqual(new Date(1_700_000_000_000));
  });

  it.each([undefined, null, '', '0', '-5', 'soon'])('has no reset for %j (the one-minute default applies)', (value) => {
    expect(resetFromEpochSeconds(value)).toBeUndefined();
  });

  it('reads an ISO time (Mastodon `X-RateLimit-Reset`)', () => {
    expect(resetFromIsoTime('2026-03-01T12:05:00.000Z')).toEqual(new Date('2026-03-01T12:05:00Z'));
    expect(resetFromIsoTime(null)).toBeUndefined();
    expect(resetFromIsoTime('not a time')).toBeUndefined();
  });
});
