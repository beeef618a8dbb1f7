// What the HTTP provider transports (SES, Mailgun, Postmark) share: their request settings, one fetch with a
// timeout, and how a broken request, a server error and a "slow down" hint read in the failure vocabulary. The
// URLs come from config (an operator's endpoint, or a stand-in on loopback), not from content, so this is not the
// guarded fetcher of src/net/outbound-fetch.ts.
import { z } from 'zod';
import { positiveInt } from '../../config/env-values.js';
import { type DeliveryFailure, TransientFailure, UncertainOutcome } from '../../delivery/failure.js';

export const providerApiSettings = z.object({
  /** Per request to a provider's API; a send that times out is uncertain (the provider may have queued it). */
  EMAIL_API_TIMEOUT_MS: positiveInt(30_000),
  /** Requests in flight at once to a provider's API, per process. */
  EMAIL_API_CONCURRENCY: positiveInt(10),
  /** How long sending pauses after a provider says "too many requests" without saying for how long. */
  EMAIL_API_THROTTLE_WAIT_MS: positiveInt(30_000),
});

export type ProviderApiSettings = z.output<typeof providerApiSettings>;

/** A provider's answer that was not a 2xx: its status, headers and body, read by the provider's classifier. */
export class ProviderHttpError extends Error {
  constructor(
    readonly provider: string,
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
  ) {
    super(`${provider} answered HTTP ${status}: ${body.slice(0, 300)}`);
    this.name = 'ProviderHttpError';
  }
}

/** Sends one request; resolves with the body of a 2xx, rejects with ProviderHttpError or fetch's own error. */
export async function callProvider(provider: string, url: string, init: RequestInit, timeoutMs: number): Promise<string> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  if (!response.ok) throw new ProviderHttpError(provider, response.status, response.headers, body);
  return body;
}

/** System errors of a connection that never carried the request: nothing can have landed. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/** The system code of a failed request, wherever fetch (`cause`) or the AWS SDK (the error itself) keeps it. */
function systemCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.cause?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A request that got no answer: refused or unresolved before connecting → transient; a timeout or a connection
 * lost once the request was on its way → uncertain, since the provider may have queued the message. Undefined when
 * the error is not of that kind (an answer the provider's classifier reads).
 */
export function unansweredRequest(error: unknown, provider: string): DeliveryFailure | undefined {
  const code = systemCode(error);
  const text = error instanceof Error ? error.message : String(error);
  // The AWS SDK's connectionTimeout says so in words: the socket never connected.
  if ((code && NEVER_CONNECTED.has(code)) || /without establishing a connection/i.test(text)) {
    const reason = (code ?? 'connect_timeout').toLowerCase();
    return new TransientFailure(`${provider} unreachable (${reason})`, `${provider}_${reason}`, text);
  }
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ETIMEDOUT') {
    return new UncertainOutcome(`${provider} did not answer in time`, `${provider}_timeout`, text);
  }
  if (code || (error instanceof TypeError && /fetch failed/.test(text))) {
    return new UncertainOutcome(`${provider} connection lost (${code ?? 'no answer'})`, `${provider}_connection_lost`, text);
  }
  return undefined;
}

/**
 * A 5xx: 502 and 503 say the request never reached a sender (a gateway, or the service refusing work) → transient;
 * any other (500, 504) may have been queued before it failed → uncertain.
 */
export function serverError(provider: string, status: number, said: string): DeliveryFailure {
  return status === 502 || status === 503
    ? new TransientFailure(`${provider} unavailable (HTTP ${status})`, `${provider}_${status}`, said)
    : new UncertainOutcome(`${provider} failed with HTTP ${status}: the message may have been queued`, `${provider}_${status}`, said);
}

/**
 * When a provider that said "slow down" takes requests again: Retry-After (seconds or an HTTP date), else
 * X-RateLimit-Reset (an epoch in seconds or milliseconds, or seconds from now), else `fallbackMs` from now.
 */
export function resetHint(headers: Headers | Record<string, string | undefined> | undefined, fallbackMs: number, now = Date.now()): Date {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers?.[name]) ?? undefined;
  const retryAfter = get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return new Date(now + seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return new Date(Math.max(now, date));
  }
  const reset = Number(get('x-ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) {
    if (reset > 1e12) return new Date(Math.max(now, reset));
    if (reset > 1e9) return new Date(Math.max(now, reset * 1000));
    return new Date(now + reset * 1000);
  }
  return new Date(now + fallbackMs);
}

/** The `message` of a provider's JSON error body, or the body itself. */
export function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the body says it as text
  }
  return body.trim();
}
