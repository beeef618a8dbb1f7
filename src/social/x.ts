// Posts to X through twitter-api-v2: v2 chunked media upload with alt text, then v2 POST /2/tweets; replies; deletes tweets.
import {
  ApiPartialResponseError,
  ApiRequestError,
  ApiResponseError,
  type ITwitterApiClientPlugin,
  type SendTweetV2Params,
  TwitterApi,
  type TwitterApiReadWrite,
} from 'twitter-api-v2';
import type { DeliveryFailure } from '../delivery/failure.js';
import { PermanentFailure } from '../delivery/failure.js';
import type { PostOptions, PostResult, SocialChannel, SocialPost } from './channel.js';
import { count, type Engagement } from './engagement.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  failureFromRefusal,
  failureFromTransportError,
  resetFromEpochSeconds,
} from './http-failure.js';
import { OutboundFetcher } from '../net/outbound-fetch.js';
import { isSkipped, loadPostImage, type SocialLog } from './post-image.js';
import { hasXCredentials } from './x-network.js';

export interface XSettings {
  /** OAuth 1.0a user context: all four, from the app's "Keys and tokens" page. */
  apiKey?: string;
  apiSecret?: string;
  accessToken?: string;
  accessSecret?: string;
  /** Or an OAuth 2.0 user-context access token (scopes tweet.write, users.read, media.write). */
  bearerToken?: string;
  /**
   * Sends every call (api.x.com, api.twitter.com, upload.*) to this HTTPS origin instead, e.g. a proxy or a test
   * stand-in. twitter-api-v2 only speaks HTTPS, so this must be https://. Default: X itself.
   */
  baseUrl?: string;
  /** Shown as the channel's account, e.g. `@herald`. Default: `x`. */
  account?: string;
  /** Per request; a post whose request times out is reported as UncertainOutcome. Default 30 000 ms. */
  timeoutMs?: number;
  /** Fetches the article's image (guarded). Default: one that allows no private address. */
  fetcher?: OutboundFetcher;
  log?: SocialLog;
}

/** X's image limit for tweet_image (5 MB) and the types it accepts. */
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
/** X caps alt text at 1000 characters and rejects longer. */
const MAX_ALT_LENGTH = 1000;
const X_HOSTS = new Set(['api.x.com', 'api.twitter.com', 'upload.x.com', 'upload.twitter.com']);


export class XChannel implements SocialChannel {
  readonly network = 'x' as const;
  readonly account: string;
  private readonly client: TwitterApiReadWrite;
  private readonly timeoutMs: number;

  constructor(private readonly settings: XSettings) {
    if (!hasXCredentials(settings)) throw new Error('X needs OAuth 1.0a keys or an OAuth 2.0 user token');
    this.account = settings.account ?? 'x';
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const plugins = [routingPlugin(settings.baseUrl ? new URL(settings.baseUrl) : undefined, this.timeoutMs)];
    const api = settings.bearerToken
      ? new TwitterApi(settings.bearerToken, { plugins })
      : new TwitterApi(
          {
            appKey: settings.apiKey!,
            appSecret: settings.apiSecret!,
            accessToken: settings.accessToken!,
            accessSecret: settings.accessSecret!,
          },
          { plugins },
        );
    this.client = api.readWrite;
  }

  // X honours no idempotency key, hence UncertainOutcome on a timeout: repeating is the worker's decision.
  async post(post: SocialPost, options?: PostOptions): Promise<PostResult> {
    const uploaded = post.image ? await this.uploadImage(post.image) : undefined;
    const mediaId = uploaded?.mediaId;
    const params: Partial<SendTweetV2Params> = mediaId ? { media: { media_ids: [mediaId] } } : {};
    if (options?.replyTo) params.reply = { in_reply_to_tweet_id: options.replyTo.parent.remoteId };
    try {
      const { data } = await this.client.v2.tweet(post.text, params);
      return { remoteId: data.id, remoteUrl: `https://x.com/i/web/status/${data.id}`, ...(uploaded?.skipped ? { imageSkipped: uploaded.skipped } : {}) };
    } catch (error) {
      throw classifyXError(error, true);
    }
  }

  /** POST /2/tweets with `reply.in_reply_to_tweet_id`: a reply under one of Herald's tweets. */
  async reply(parentRemoteId: string, text: string, options?: PostOptions): Promise<PostResult> {
    const parent = { remoteId: parentRemoteId };
    return this.post({ text, link: '', title: '', description: '' }, { idempotencyKey: options?.idempotencyKey ?? '', replyTo: { root: parent, parent } });
  }

  /** DELETE /2/tweets/:id (tweet.write), answered `{data: {deleted: true}}`. */
  async delete(remoteId: string): Promise<void> {
    try {
      await this.client.v2.deleteTweet(remoteId);
    } catch (error) {
      throw classifyXError(error, false); // a repeated delete does no harm, so a timeout is only transient
    }
  }

  /**
   * GET /2/tweets/:id?tweet.fields=public_metrics. X gives reads only to paid access tiers: its 403 for the tier
   * (client-forbidden, "Appropriate Level of API Access") means "not available", not a failure.
   */
  async engagement(remoteId: string): Promise<Engagement> {
    try {
      const { data } = await this.client.v2.singleTweet(remoteId, { 'tweet.fields': ['public_metrics'] });
      const m = data.public_metrics;
      if (!m) return { available: false, reason: 'X answered without public_metrics' };
      return {
        available: true,
        metrics: {
          likes: count(m.like_count), reposts: count(m.retweet_count), replies: count(m.reply_count), quotes: count(m.quote_count),
          ...(m.bookmark_count !== undefined ? { bookmarks: count(m.bookmark_count) } : {}),
          ...(m.impression_count !== undefined ? { impressions: count(m.impression_count) } : {}),
        },
      };
    } catch (error) {
      if (error instanceof ApiResponseError && error.code === 403) {
        return { available: false, reason: `X refuses reads for this access tier: ${xMessage(error.data) ?? error.message}` };
      }
      throw classifyXError(error, false);
    }
  }

  /** GET /2/users/me: the account the credentials act for. */
  async verify(): Promise<string> {
    try {
      const { data } = await this.client.v2.me();
      return `@${data.username}`;
    } catch (error) {
      throw classifyXError(error, false);
    }
  }

  /**
   * twitter-api-v2 1.29's v2 `uploadMedia` uses X's v2 chunked endpoints on api.x.com
   * (/2/media/upload/initialize, /{id}/append, /{id}/finalize) and `createMediaMetadata` /2/media/metadata;
   * the v1.1 upload.x.com endpoints are deprecated by X.
   */
  private async uploadImage(image: { url: string; alt: string }): Promise<{ mediaId?: string; skipped?: string }> {
    const { log } = this.settings;
    const loaded = await loadPostImage(image, {
      network: 'x',
      maxBytes: MAX_IMAGE_BYTES,
      accept: IMAGE_TYPES,
      timeoutMs: this.timeoutMs,
      fetcher: this.settings.fetcher ?? new OutboundFetcher(),
      log,
    });
    if (isSkipped(loaded)) return loaded;
    try {
      const mediaId = await this.client.v2.uploadMedia(loaded.bytes, {
        media_type: loaded.mimeType as (typeof IMAGE_TYPES)[number],
        media_category: 'tweet_image',
      });
      if (loaded.alt.trim()) {
        await this.client.v2.createMediaMetadata(mediaId, { alt_text: { text: loaded.alt.slice(0, MAX_ALT_LENGTH) } });
      }
      return { mediaId };
    } catch (error) {
      const failure = classifyXError(error, false);
      // X refusing this one image (format, size) must not cost the post; refused credentials or limits must.
      if (failure instanceof PermanentFailure && failure.code !== 'x_401' && failure.code !== 'x_403') {
        log?.warn({ event: 'social_image_skipped', network: 'x', url: image.url, reason: failure.message }, 'posting without the image');
        return { skipped: `X refused the image: ${failure.message}` };
      }
      throw failure;
    }
  }
}

/**
 * twitter-api-v2 has no base-URL option. `onBeforeRequestConfig` runs before the request is signed, so the
 * OAuth 1.0a signature covers the URL actually called, as the receiving server recomputes it.
 */
function routingPlugin(baseUrl: URL | undefined, timeoutMs: number): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      params.timeout ??= timeoutMs;
      if (!baseUrl) return;
      const target = new URL(params.url);
      if (!X_HOSTS.has(target.hostname)) return;
      const prefix = baseUrl.pathname.replace(/\/+$/, '');
      params.url = `${baseUrl.origin}${prefix}${target.pathname}${target.search}`;
    },
  };
}

function classifyXError(error: unknown, mayHaveLanded: boolean): DeliveryFailure {
  if (error instanceof ApiResponseError) {
    const message = xMessage(error.data) ?? error.message;
    return failureFromRefusal('x', {
      status: error.code,
      message,
      resetAt: latestExhaustedReset(error.headers),
      duplicate: error.code === 403 && /duplicate/i.test(message),
    });
  }
  if (error instanceof ApiRequestError) {
    // 1.29 stores the cause as `_options.error` while its `requestError` getter reads `_options.requestError`
    // (always undefined): read both so a fixed version keeps working.
    const cause = error.requestError ?? (error as unknown as { _options?: { error?: Error } })._options?.error;
    // twitter-api-v2 destroys the request with this exact message when the socket timeout fires.
    const timedOut = cause?.message === 'Request timeout.';
    return failureFromTransportError('x', cause ?? error, { mayHaveLanded, timedOut });
  }
  if (error instanceof ApiPartialResponseError) {
    return failureFromTransportError('x', error.responseError ?? error, { mayHaveLanded });
  }
  return failureFromTransportError('x', error, { mayHaveLanded });
}

/** v2 problem (`detail`), v2 `errors[]` or v1.1 `errors[].message`. */
function xMessage(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return typeof data === 'string' && data ? data : undefined;
  const d = data as { detail?: string; title?: string; errors?: { message?: string; detail?: string }[] };
  return d.detail ?? d.errors?.[0]?.message ?? d.errors?.[0]?.detail ?? d.title;
}

/**
 * A 429 may come from the 15-minute window or from a 24-hour user/app cap, each with its own reset header;
 * wait for the latest reset among the exhausted ones.
 */
function latestExhaustedReset(headers: Record<string, string | string[] | undefined> = {}): Date | undefined {
  const resets = ['x-rate-limit', 'x-user-limit-24hour', 'x-app-limit-24hour']
    .filter((p) => p === 'x-rate-limit' || headers[`${p}-remaining`] === '0')
    .map((p) => resetFromEpochSeconds(headers[`${p}-reset`]))
    .filter((d): d is Date => !!d);
  return resets.length ? new Date(Math.max(...resets.map((d) => d.getTime()))) : undefined;
}
