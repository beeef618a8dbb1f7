// A fixed-window rate limiter in Redis: one counter per key and window, shared by every Herald process.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HttpError } from './errors.js';

export interface RateLimitOptions {
  /** Redis key prefix; include the queue prefix so tests (and several Heralds on one Redis) stay apart. */
  prefix: string;
  /** Requests allowed per key and window. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  /** Seconds until the window ends (what Retry-After says when refused). */
  retryAfterSeconds: number;
}

/** A 429 that carries when to come back; error handlers turn it into a Retry-After header. */
export class TooManyRequestsError extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, `too many requests; try again in ${retryAfterSeconds} seconds`);
  }
}

export class FixedWindowLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly options: RateLimitOptions,
  ) {}

  /** Counts one request for `key`. Keys are hashed, so addresses never sit in Redis in the clear. */
  async hit(key: string): Promise<RateLimitVerdict> {
    const redisKey = `${this.options.prefix}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;
    const windowMs = this.options.windowSeconds * 1000;
    // One transaction: create the window with its expiry if it does not exist, count, and read what is left of it.
    const results = await this.redis.multi().set(redisKey, 0, 'PX', windowMs, 'NX').incr(redisKey).pttl(redisKey).exec();
    if (!results) throw new Error('rate limit transaction was aborted');
    const [, [countError, count], [, ttl]] = results;
    if (countError) throw countError;
    const retryAfterSeconds = Math.max(1, Math.ceil((Number(ttl) > 0 ? Number(ttl) : windowMs) / 1000));
    return { allowed: Number(count) <= this.options.limit, retryAfterSeconds };
  }

  /** Counts the request and throws TooManyRequestsError when it is over the limit. */
  async enforce(key: string): Promise<void> {
    const verdict = await this.hit(key);
    if (!verdict.allowed) throw new TooManyRequestsError(verdict.retryAfterSeconds);
  }
}
