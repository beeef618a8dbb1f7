// Posts to a Mastodon account through masto: POST /api/v1/statuses with an Idempotency-Key (replies too), PUT to edit, DELETE to retract; reads the instance's limits.
import { createRestAPIClient, MastoHttpError, MastoUnexpectedError, type mastodon } from 'masto';
import { type DeliveryFailure, TransientFailure } from '../delivery/failure.js';
import type { PostOptions, PostResult, SocialChannel, SocialPost } from './channel.js';
import { deadlineSignal } from '../net/deadline-signal.js';
import { count, type Engagement } from './engagement.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  failureFromRefusal,
  failureFromTransportError,
  resetFromIsoTime,
} from './http-failure.js';

export interface MastodonSettings {
  /** The instance, e.g. https://mastodon.social. */
  url: string;
  /** An access token with the write:statuses scope. */
  accessToken: string;
  /** Shown as the channel's account, e.g. `@herald@mastodon.social`. Default: the instance host. */
  account?: string;
  /** ISO 639-1 language of the posts, e.g. `en`; left to the instance when unset. */
  language?: string;
  /** Per request; a post whose request times out is reported as UncertainOutcome. Default 30 000 ms. */
  timeoutMs?: number;
}

export interface MastodonLimits {
  maxCharacters: number;
  /** Mastodon counts every URL as this many characters, whatever its length. */
  charactersReservedPerUrl: number;
}

/** Mastodon's own defaults, for instances whose /api/v2/instance predates `configuration`. */
const DEFAULT_LIMITS: MastodonLimits = { maxCharacters: 500, charactersReservedPerUrl: 23 };

export class MastodonChannel implements SocialChannel {
  readonly network = 'mastodon' as const;
  readonly account: string;
  private readonly client: mastodon.rest.Client;
  private cachedLimits?: Promise<MastodonLimits>;
  /** Each call's deadline (see meta). */
  private readonly timeoutMs: number;

  constructor(private readonly settings: MastodonSettings) {
    this.account = settings.account ?? new URL(settings.url).host;
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.client = createRestAPIClient({
      url: settings.url,
      accessToken: settings.accessToken,
    });
  }

  /**
   * Per-call options: the deadline goes in each call's own signal, not masto's `timeout` option, which it combines
   * with `AbortSignal.any` and which a garbage collection can then lose (see deadline-signal.ts).
   */
  private meta(headers?: Record<string, string>): { requestInit: RequestInit } {
    return { requestInit: { signal: deadlineSignal(this.timeoutMs), ...(headers ? { headers } : {}) } };
  }

  /**
   * No media is attached: Mastodon shows the article's preview card (from its Open Graph tags) only on statuses
   * without media, and the card carries the image already.
   */
  async post(post: SocialPost, options: PostOptions): Promise<PostResult> {
    try {
      const status = await this.client.v1.statuses.create(
        { status: post.text, visibility: 'public', language: this.settings.language, inReplyToId: options.replyTo?.parent.remoteId },
        // masto passes per-call headers through `requestInit` (this.meta); Mastodon returns the first status for a repeated key
        // (kept for an hour), so a retried delivery never posts twice.
        this.meta({ 'Idempotency-Key': options.idempotencyKey }),
      );
      return { remoteId: status.id, remoteUrl: status.url ?? status.uri };
    } catch (error) {
      throw classifyMastoError(error, true);
    }
  }

  /** POST /api/v1/statuses with `in_reply_to_id`, public like the post; the Idempotency-Key as for a post. */
  async reply(parentRemoteId: string, text: string, options: PostOptions): Promise<PostResult> {
    const parent = { remoteId: parentRemoteId };
    return this.post({ text, link: '', title: '', description: '' }, { ...options, replyTo: { root: parent, parent } });
  }

  /** PUT /api/v1/statuses/:id (Mastodon 3.5+): the status keeps its id, and shows it was edited. */
  async edit(remoteId: string, text: string): Promise<PostResult> {
    try {
      const status = await this.client.v1.statuses.$select(remoteId).update({ status: text, language: this.settings.language }, this.meta());
      return { remoteId: status.id, remoteUrl: status.url ?? status.uri };
    } catch (error) {
      throw classifyMastoError(error, false); // an edit repeated gives the same status
    }
  }

  /** DELETE /api/v1/statuses/:id (write:statuses); a status that is gone answers 404. */
  async delete(remoteId: string): Promise<void> {
    try {
      await this.client.v1.statuses.$select(remoteId).remove(undefined, this.meta());
    } catch (error) {
      throw classifyMastoError(error, false);
    }
  }

  /** GET /api/v1/statuses/:id: the status's favourites, reblogs and replies (read:statuses, or none for a public one). */
  async engagement(remoteId: string): Promise<Engagement> {
    try {
      const status = await this.client.v1.statuses.$select(remoteId).fetch(undefined, this.meta());
      return {
        available: true,
        metrics: { favourites: count(status.favouritesCount), reblogs: count(status.reblogsCount), replies: count(status.repliesCount) },
      };
    } catch (error) {
      throw classifyMastoError(error, false);
    }
  }

  /** GET /api/v1/accounts/verify_credentials: the account the token belongs to. */
  async verify(): Promise<string> {
    try {
      const account = await this.client.v1.accounts.verifyCredentials(undefined, this.meta());
      return `@${account.acct}@${new URL(this.settings.url).host}`;
    } catch (error) {
      throw classifyMastoError(error, false);
    }
  }

  /** The instance's status limits from GET /api/v2/instance, fetched once per channel (retried after a failure). */
  limits(): Promise<MastodonLimits> {
    this.cachedLimits ??= this.client.v2.instance.fetch(undefined, this.meta()).then(
      (instance) => {
        const statuses = instance.configuration?.statuses;
        return {
          maxCharacters: statuses?.maxCharacters ?? DEFAULT_LIMITS.maxCharacters,
          charactersReservedPerUrl: statuses?.charactersReservedPerUrl ?? DEFAULT_LIMITS.charactersReservedPerUrl,
        };
      },
      (error: unknown) => {
        this.cachedLimits = undefined;
        throw classifyMastoError(error, false);
      },
    );
    return this.cachedLimits;
  }
}

function classifyMastoError(error: unknown, mayHaveLanded: boolean): DeliveryFailure {
  if (error instanceof MastoHttpError) {
    const response = error.cause instanceof Response ? error.cause : undefined;
    return failureFromRefusal('mastodon', {
      status: error.statusCode,
      message: error.description ? `${error.message}: ${error.description}` : error.message,
      resetAt: resetFromIsoTime(response?.headers.get('x-ratelimit-reset')),
    });
  }
  // masto cannot read non-JSON error pages (a proxy's 502/503 while the instance is down): it throws
  // MastoUnexpectedError for text, and a TypeError while destructuring an HTML body. The status is lost, but such a
  // page means the instance is unwell; retrying is safe even if the status landed, thanks to the Idempotency-Key.
  if (error instanceof MastoUnexpectedError || (error instanceof TypeError && !error.cause && /destructure/.test(error.message))) {
    return new TransientFailure(`mastodon answered with an unreadable error page: ${error.message}`, 'mastodon_bad_response', error.message);
  }
  return failureFromTransportError('mastodon', error, { mayHaveLanded });
}
