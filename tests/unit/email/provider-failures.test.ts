// How the provider transports read their providers' answers (pure): SES' error names, Mailgun's statuses and
// Postmark's ErrorCodes, each as one failure of the vocabulary, and the reset hints of a "slow down".
import { describe, expect, it } from 'vitest';
import { AddressRejected, PermanentFailure, RateLimited, TransientFailure, UncertainOutcome } from '../../../src/delivery/failure.js';
import { classifyMailgunError } from '../../../src/email/transports/mailgun.js';
import { classifyPostmarkError, PostmarkMessageError } from '../../../src/email/transports/postmark.js';
import { ProviderHttpError, resetHint } from '../../../src/email/transports/provider-http.js';
import { classifySesError } from '../../../src/email/transports/ses.js';

/** An error as the SES SDK throws it for a service answer. */
const sesError = (name: string, status: number, message: string, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') =>
  Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });

const mailgunError = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new ProviderHttpError('mailgun', status, new Headers(headers), typeof body === 'string' ? body : JSON.stringify(body));

describe('SES answers', () => {
  it.each([
    ['AccountSuspendedException', 'Your account has been suspended from sending email.', 'ses_accountsuspended'],
    ['SendingPausedException', 'Sending is paused for this account.', 'ses_sendingpaused'],
    ['MailFromDomainNotVerifiedException', 'The MAIL FROM domain is not verified.', 'ses_mailfromdomainnotverified'],
    // The sandbox refuses unverified recipients: the account's limit, not the reader's address.
    ['MessageRejected', 'Email address is not verified. The following identities failed the check in region EU-WEST-1: reader@example.com', 'ses_messagerejected'],
  ])('%s blocks without blaming the reader', (name, message, code) => {
    const failure = classifySesError(sesError(name, 400, message), 30_000);
    expect(failure).toBeInstanceOf(PermanentFailure);
    expect(failure).not.toBeInstanceOf(AddressRejected);
    expect(failure.kind).toBe('permanent_policy');
    expect(failure.code).toBe(code);
  });

  it('throttling and the sending quota are rate-limited, for the default wait without a hint', () => {
    const now = Date.now();
    for (const name of ['TooManyRequestsException', 'LimitExceededException']) {
      const failure = classifySesError(sesError(name, 429, 'Maximum sending rate exceeded.'), 45_000) as RateLimited;
      expect(failure).toBeInstanceOf(RateLimited);
      expect(failure.resetAt.getTime() - now).toBeGreaterThanOrEqual(44_000);
    }
  });

  it('a malformed address is that reader\'s; another bad request is nobody\'s', () => {
    expect(classifySesError(sesError('BadRequestException', 400, "Missing final '@domain'"), 1)).toBeInstanceOf(AddressRejected);
    const other = classifySesError(sesError('BadRequestException', 400, 'Configuration set <x> does not exist'), 1);
    expect(other.kind).toBe('permanent_policy');
  });

  it('a 503 is transient, an internal error uncertain, a broken connection by whether it connected', () => {
    expect(classifySesError(sesError('ServiceUnavailable', 503, 'Service unavailable'), 1)).toBeInstanceOf(TransientFailure);
    expect(classifySesError(sesError('InternalServiceErrorException', 500, 'Internal error'), 1)).toBeInstanceOf(UncertainOutcome);
    expect(classifySesError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 1)).toBeInstanceOf(TransientFailure);
    expect(classifySesError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 1)).toBeInstanceOf(UncertainOutcome);
    expect(classifySesError(Object.assign(new Error('Socket timed out without establishing a connection within 10000 ms'), { name: 'TimeoutError' }), 1))
      .toBeInstanceOf(TransientFailure);
    // The credential chain found nothing: no request left Herald.
    expect(classifySesError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 1).code)
      .toBe('ses_credentials');
  });
});

describe('Mailgun answers', () => {
  it('401, 403 and 404 on the domain block without blaming the reader', () => {
    for (const error of [
      mailgunError(401, 'Forbidden'),
      mailgunError(403, { message: 'Domain mg.example.org is not allowed to send: The domain is disabled.' }),
      mailgunError(404, { message: 'Domain not found: mg.example.org' }),
    ]) {
      const failure = classifyMailgunError(error, 1);
      expect(failure.kind).toBe('permanent_policy');
      expect(failure.describe()).toContain(`mailgun_${error.status}`);
    }
  });

  it('an invalid recipient is that reader\'s address; another 400 is nobody\'s', () => {
    expect(classifyMailgunError(mailgunError(400, { message: 'to parameter is not a valid address. please check documentation' }), 1))
      .toBeInstanceOf(AddressRejected);
    expect(classifyMailgunError(mailgunError(400, { message: "'message' parameter is missing" }), 1).kind).toBe('permanent_policy');
  });

  it('429 waits for its hint; 5xx and broken requests as for any provider', () => {
    const now = Date.now();
    const failure = classifyMailgunError(mailgunError(429, { message: 'Too many requests' }, { 'retry-after': '12' }), 1) as RateLimited;
    expect(failure).toBeInstanceOf(RateLimited);
    expect(failure.resetAt.getTime() - now).toBeGreaterThanOrEqual(11_000);
    expect(classifyMailgunError(mailgunError(502, 'Bad Gateway'), 1)).toBeInstanceOf(TransientFailure);
    expect(classifyMailgunError(mailgunError(504, 'Gateway Timeout'), 1)).toBeInstanceOf(UncertainOutcome);
    expect(classifyMailgunError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }), 1)).toBeInstanceOf(TransientFailure);
    expect(classifyMailgunError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 1)).toBeInstanceOf(UncertainOutcome);
  });
});

describe('Postmark answers', () => {
  const postmarkError = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new ProviderHttpError('postmark', status, new Headers(headers), JSON.stringify(body));

  it('a bad token, a pending account, an inactive recipient block without blaming the reader', () => {
    expect(classifyPostmarkError(postmarkError(401, { ErrorCode: 10, Message: 'The Server Token you provided was invalid.' }), 1).code).toBe('postmark_10');
    for (const code of [412, 406, 405, 400]) {
      const failure = classifyPostmarkError(new PostmarkMessageError(code, 'refused'), 1);
      expect(failure.kind).toBe('permanent_policy');
      expect(failure.code).toBe(`postmark_${code}`);
    }
  });

  it('an invalid To address is that reader\'s; a 429 waits; 5xx as for any provider', () => {
    expect(classifyPostmarkError(new PostmarkMessageError(300, "Invalid 'To' address: 'x'."), 1)).toBeInstanceOf(AddressRejected);
    expect(classifyPostmarkError(new PostmarkMessageError(300, 'Provide either email TextBody or HtmlBody or both.'), 1).kind).toBe('permanent_policy');
    expect(classifyPostmarkError(postmarkError(429, { ErrorCode: 429, Message: 'Rate limit exceeded' }, { 'retry-after': '2' }), 1)).toBeInstanceOf(RateLimited);
    expect(classifyPostmarkError(postmarkError(503, {}), 1)).toBeInstanceOf(TransientFailure);
    expect(classifyPostmarkError(postmarkError(500, {}), 1)).toBeInstanceOf(UncertainOutcome);
  });
});

describe('reset hints', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('reads Retry-After in seconds or as a date, X-RateLimit-Reset as an epoch or seconds, else the fallback', () => {
    expect(resetHint(new Headers({ 'retry-after': '5' }), 1000, now).toISOString()).toBe('2026-12-01T12:00:05.000Z');
    expect(resetHint(new Headers({ 'retry-after': 'Tue, 01 Dec 2026 12:01:00 GMT' }), 1000, now).toISOString()).toBe('2026-12-01T12:01:00.000Z');
    expect(resetHint(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 30) }), 1000, now).toISOString()).toBe('2026-12-01T12:00:30.000Z');
    expect(resetHint(new Headers({ 'x-ratelimit-reset': String(now + 2000) }), 1000, now).toISOString()).toBe('2026-12-01T12:00:02.000Z');
    expect(resetHint(new Headers({ 'x-ratelimit-reset': '20' }), 1000, now).toISOString()).toBe('2026-12-01T12:00:20.000Z');
    expect(resetHint({ 'retry-after': '3' }, 1000, now).toISOString()).toBe('2026-12-01T12:00:03.000Z');
    expect(resetHint(undefined, 1000, now).toISOString()).toBe('2026-12-01T12:00:01.000Z');
  });
});
