// Turns a network's HTTP refusal or a transport error into exactly one DeliveryFailure, the same way for every adapter.
import {
  type DeliveryFailure,
  PermanentFailure,
  RateLimited,
  TransientFailure,
  UncertainOutcome,
} from '../delivery/failure.js';
import type { Network } from './channel.js';

/** Every adapter's per-request timeout unless its settings say otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** How long to wait after a 429 when the network gives no reset time (Facebook never does). */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

export interface HttpRefusal {
  status: number;
  /** What the network said, in its own words: kept for the editor. */
  message: string;
  /** When the network says the limit resets; defaults to one minute from now. */
  resetAt?: Date;
  /** The network's own signal that it is a rate limit even without a 429 (Facebook's error codes 4, 17, 32, 613). */
  rateLimited?: boolean;
  /** The network's own signal that a retry may succeed (Facebook's `is_transient`). */
  transient?: boolean;
  /** The network refused the text as a copy of an earlier post. */
  duplicate?: boolean;
}

/**
 * Codes: `{network}_429` for every rate limit (whatever status carried it), `{network}_duplicate`,
 * otherwise `{network}_{status}`.
 */
export function failureFromRefusal(network: Network, refusal: HttpRefusal, now = Date.now()): DeliveryFailure {
  const { status, message } = refusal;
  const said = `${network} answered ${status}: ${message}`;
  if (status === 429 || refusal.rateLimited) {
    // A reset in the past (clock skew) would make the worker hammer the network: wait at least a second.
    const resetAt = new Date(Math.max(refusal.resetAt?.getTime() ?? now + DEFAULT_RATE_LIMIT_WAIT_MS, now + 1000));
    return new RateLimited(said, `${network}_429`, resetAt, message);
  }
  if (refusal.duplicate) return new PermanentFailure(said, `${network}_duplicate`, message);
  if (status >= 500 || status === 408 || status === 425 || refusal.transient) {
    return new TransientFailure(said, `${network}_${status}`, message);
  }
  // 400, 401, 403, 404, 413, 422...: the same request will be refused the same way.
  return new PermanentFailure(said, `${network}_${status}`, message);
}

/** Errors raised while connecting: no byte of the request left, so nothing can have landed. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET_CLOSED_BEFORE_CONNECT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface TransportContext {
  /**
   * True for the call that creates the post: a timeout or reset there may hide a post that went out.
   * False for preparatory calls (login, media upload, limits): nothing visible can have been created.
   */
  mayHaveLanded: boolean;
  /** The library's own timeout signal when it is not recognisable from the error (twitter-api-v2). */
  timedOut?: boolean;
}

/** Codes: `network_unreachable` (never sent), `network_timeout`, `network_error` (reset, broken response). */
export function failureFromTransportError(
  network: Network,
  error: unknown,
  { mayHaveLanded, timedOut }: TransportContext,
): DeliveryFailure {
  const chain = causeChain(error);
  const codes = chain.map((e) => (typeof e.code === 'string' ? e.code : undefined)).filter(Boolean) as string[];
  const detail = chain.map((e) => e.message).filter(Boolean).join(': ') || String(error);
  const notSent = codes.find((c) => NOT_SENT_CODES.has(c));
  if (notSent) {
    return new TransientFailure(`${network} unreachable (${notSent}): ${detail}`, 'network_unreachable', detail);
  }
  const isTimeout =
    timedOut === true ||
    chain.some((e) => e.name === 'TimeoutError' || e.name === 'MastoTimeoutError') ||
    codes.some((c) => TIMEOUT_CODES.has(c));
  const code = isTimeout ? 'network_timeout' : 'network_error';
  if (!mayHaveLanded) return new TransientFailure(`${network} request failed: ${detail}`, code, detail);
  return new UncertainOutcome(
    `${network} ${isTimeout ? 'did not answer in time' : 'connection broke'} after the post was sent; it may have been published: ${detail}`,
    code,
    detail,
  );
}

/** `1700000000` → Date (X `x-rate-limit-reset`, Bluesky `ratelimit-reset`). */
export function resetFromEpochSeconds(value: string | string[] | null | undefined): Date | undefined {
  const seconds = Number(Array.isArray(value) ? value[0] : value);
  return value != null && Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
}

/** `2025-01-01T12:00:00.000Z` → Date (Mastodon `X-RateLimit-Reset`). */
export function resetFromIsoTime(value: string | null | undefined): Date | undefined {
  const time = value ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? new Date(time) : undefined;
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
}

function causeChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < 8 && !chain.includes(current as ErrorLike)) {
    chain.push(current as ErrorLike);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}
