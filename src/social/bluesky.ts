// Posts to Bluesky through @atproto/api: one login per channel, an app.bsky.feed.post with link facets and a card; replies with strong refs; deleteRecord to retract.
import { AtpAgent, AtUri, type BlobRef, XRPCError } from '@atproto/api';
import type { DeliveryFailure } from '../delivery/failure.js';
import { PermanentFailure, UncertainOutcome } from '../delivery/failure.js';
import type { PostOptions, PostRef, PostResult, SocialChannel, SocialPost } from './channel.js';
import { count, type Engagement } from './engagement.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  failureFromRefusal,
  failureFromTransportError,
  resetFromEpochSeconds,
} from './http-failure.js';
import { deadlineSignal } from '../net/deadline-signal.js';
import { OutboundFetcher } from '../net/outbound-fetch.js';
import { isSkipped, loadPostImage, type SocialLog } from './post-image.js';

export interface BlueskySettings {
  /** Handle or DID, e.g. `herald.bsky.social`. */
  identifier: string;
  /** An app password (Settings → App passwords), never the account password. */
  appPassword: string;
  /** The PDS or entryway to log in to. Default https://bsky.social. */
  service?: string;
  /** Languages of the posts (BCP-47), e.g. `['en']`; omitted from the record when unset. */
  langs?: string[];
  /** Per request; a post whose request times out is reported as UncertainOutcome. Default 30 000 ms. */
  timeoutMs?: number;
  /** Fetches the article's image (guarded). Default: one that allows no private address. */
  fetcher?: OutboundFetcher;
  log?: SocialLog;
}

/** The app.bsky.embed.external thumb limit. */
const MAX_THUMB_BYTES = 1_000_000;
const THUMB_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

export interface LinkFacet {
  index: { byteStart: number; byteEnd: number };
  features: { $type: 'app.bsky.richtext.facet#link'; uri: string }[];
}

/**
 * Facets index the text in UTF-8 bytes, not UTF-16 code units: emoji, CJK and Arabic before the link shift a
 * code-unit offset off the link. Marks every occurrence of the link, or of its scheme-less form if the composer
 * shortened it so.
 */
export function linkFacets(text: string, link: string): LinkFacet[] {
  const shown = text.includes(link) ? link : link.replace(/^https?:\/\//, '');
  const facets: LinkFacet[] = [];
  for (let at = text.indexOf(shown); at !== -1 && shown; at = text.indexOf(shown, at + shown.length)) {
    const byteStart = Buffer.byteLength(text.slice(0, at), 'utf8');
    facets.push({
      index: { byteStart, byteEnd: byteStart + Buffer.byteLength(shown, 'utf8') },
      features: [{ $type: 'app.bsky.richtext.facet#link', uri: link }],
    });
  }
  return facets;
}

export class BlueskyChannel implements SocialChannel {
  readonly network = 'bluesky' as const;
  readonly account: string;
  private readonly agent: AtpAgent;
  private readonly timeoutMs: number;
  private pendingLogin?: Promise<unknown>;

  constructor(private readonly settings: BlueskySettings) {
    this.account = settings.identifier;
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.agent = new AtpAgent({
      service: settings.service ?? 'https://bsky.social',
      fetch: (input, init) => this.timedFetch(input, init),
      // The library refreshes an expired access token itself (on 401 / ExpiredToken) and reports here; when even the
      // refresh token is refused it drops the session, and the next post logs in again.
      persistSession: (event) => {
        if (event === 'expired') this.settings.log?.warn({ event: 'bluesky_session_expired' }, 'logging in again on next post');
      },
    });
  }

  // Bluesky honours no idempotency key, hence UncertainOutcome on a timeout: repeating is the worker's decision.
  async post(post: SocialPost, options?: PostOptions): Promise<PostResult> {
    await this.ensureSession();
    const uploaded = post.image ? await this.uploadThumb(post.image) : undefined;
    const thumb = uploaded?.thumb;
    const facets = linkFacets(post.text, post.link);
    const record = {
      $type: 'app.bsky.feed.post',
      text: post.text,
      createdAt: new Date().toISOString(),
      ...(this.settings.langs?.length ? { langs: this.settings.langs } : {}),
      ...(facets.length ? { facets } : {}),
      ...(options?.replyTo ? { reply: { root: strongRef(options.replyTo.root), parent: strongRef(options.replyTo.parent) } } : {}),
      // The link card goes on the post that starts a thread, not on every reply under it.
      ...(options?.replyTo
        ? {}
        : {
            embed: {
              $type: 'app.bsky.embed.external',
              external: { uri: post.link, title: post.title, description: post.description, ...(thumb ? { thumb } : {}) },
            },
          }),
    };
    const create = () =>
      this.agent.com.atproto.repo.createRecord({ repo: this.agent.session!.did, collection: 'app.bsky.feed.post', record });
    let created: Awaited<ReturnType<typeof create>>;
    try {
      created = await create();
    } catch (error) {
      // A 401 after the library's refresh failed: the session is gone, not necessarily the app password. A 401 means
      // nothing was written, so log in again and try once more; a revoked password then fails the login itself.
      if (!(error instanceof XRPCError && error.status === 401 && !this.agent.hasSession)) throw classify(error, true);
      await this.ensureSession();
      created = await create().catch((retryError: unknown) => Promise.reject(classify(retryError, true)));
    }
    const rkey = new AtUri(created.data.uri).rkey;
    if (!rkey) throw new UncertainOutcome(`bluesky returned an odd uri ${created.data.uri}`, 'bluesky_invalid_response');
    const handle = this.agent.session?.handle ?? this.settings.identifier;
    return {
      remoteId: created.data.uri,
      remoteUrl: `https://bsky.app/profile/${handle}/post/${rkey}`,
      cid: created.data.cid,
      ...(uploaded?.skipped ? { imageSkipped: uploaded.skipped } : {}),
    };
  }

  /**
   * An app.bsky.feed.post whose `reply` holds strong refs ({uri, cid}) to the parent and to its thread's root, both
   * read with com.atproto.repo.getRecord (Herald records only the post's uri). Link facets as for a post, no card.
   */
  async reply(parentRemoteId: string, text: string, _options?: PostOptions): Promise<PostResult> {
    await this.ensureSession();
    const parentUri = new AtUri(parentRemoteId);
    let parent: { uri: string; cid: string; root?: { uri: string; cid: string } };
    try {
      const { data } = await this.agent.com.atproto.repo.getRecord({ repo: parentUri.host, collection: parentUri.collection, rkey: parentUri.rkey });
      if (!data.cid) throw new UncertainOutcome(`bluesky returned ${parentRemoteId} without a cid`, 'bluesky_invalid_response');
      const root = (data.value as { reply?: { root?: { uri: string; cid: string } } }).reply?.root;
      parent = { uri: data.uri, cid: data.cid, root };
    } catch (error) {
      throw error instanceof UncertainOutcome ? error : classify(error, false);
    }
    const links = [...text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
    const facets = [...new Set(links)].flatMap((link) => linkFacets(text, link));
    const record = {
      $type: 'app.bsky.feed.post',
      text,
      createdAt: new Date().toISOString(),
      ...(this.settings.langs?.length ? { langs: this.settings.langs } : {}),
      ...(facets.length ? { facets } : {}),
      reply: { root: parent.root ?? { uri: parent.uri, cid: parent.cid }, parent: { uri: parent.uri, cid: parent.cid } },
    };
    let created: { uri: string };
    try {
      ({ data: created } = await this.agent.com.atproto.repo.createRecord({ repo: this.agent.session!.did, collection: 'app.bsky.feed.post', record }));
    } catch (error) {
      throw classify(error, true);
    }
    const rkey = new AtUri(created.uri).rkey;
    const handle = this.agent.session?.handle ?? this.settings.identifier;
    return { remoteId: created.uri, remoteUrl: `https://bsky.app/profile/${handle}/post/${rkey}` };
  }

  /**
   * com.atproto.repo.deleteRecord of the post's own at:// uri (the repo is the uri's DID, so only what Herald
   * created is named). Deleting a record that is gone succeeds on a PDS: nothing to tell apart.
   */
  async delete(remoteId: string): Promise<void> {
    await this.ensureSession();
    try {
      await this.agent.deletePost(remoteId);
    } catch (error) {
      throw classify(error, false);
    }
  }

  /**
   * app.bsky.feed.getPosts for the post's at:// uri, through the account's PDS (which proxies it to the app view):
   * likes, reposts, replies and quotes. A post the app view does not know (deleted, not indexed yet) has none.
   */
  async engagement(remoteId: string): Promise<Engagement> {
    await this.ensureSession();
    try {
      const { data } = await this.agent.app.bsky.feed.getPosts({ uris: [remoteId] });
      const post = data.posts.find((p) => p.uri === remoteId);
      if (!post) return { available: false, reason: 'the Bluesky app view does not know this post (deleted, or not indexed yet)' };
      return {
        available: true,
        metrics: { likes: count(post.likeCount), reposts: count(post.repostCount), replies: count(post.replyCount), quotes: count(post.quoteCount) },
      };
    } catch (error) {
      throw classify(error, false);
    }
  }

  /** A session (com.atproto.server.createSession): the app password works; resolves with the account's handle. */
  async verify(): Promise<string> {
    await this.ensureSession();
    return `@${this.agent.session?.handle ?? this.settings.identifier}`;
  }

  /** Logs in only when there is no session: createSession is rate limited hard (30 per 5 minutes per account). */
  private async ensureSession(): Promise<void> {
    if (this.agent.hasSession) return;
    this.pendingLogin ??= this.agent
      .login({ identifier: this.settings.identifier, password: this.settings.appPassword })
      .finally(() => (this.pendingLogin = undefined));
    try {
      await this.pendingLogin;
    } catch (error) {
      throw classify(error, false);
    }
  }

  private async uploadThumb(image: { url: string; alt: string }): Promise<{ thumb?: BlobRef; skipped?: string }> {
    const loaded = await loadPostImage(image, {
      network: 'bluesky',
      maxBytes: MAX_THUMB_BYTES,
      accept: THUMB_TYPES,
      timeoutMs: this.timeoutMs,
      fetcher: this.settings.fetcher ?? new OutboundFetcher(),
      log: this.settings.log,
    });
    if (isSkipped(loaded)) return loaded;
    try {
      const { data } = await this.agent.com.atproto.repo.uploadBlob(loaded.bytes, { encoding: loaded.mimeType });
      return { thumb: data.blob };
    } catch (error) {
      throw classify(error, false);
    }
  }

  /** The library has no timeout option; its fetch hook is where one goes, on top of any signal it passes. */
  private timedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    return fetch(input, { ...init, signal: deadlineSignal(this.timeoutMs, own) });
  }
}

/** A com.atproto.repo.strongRef: a reply must name the exact version (cid) of the post it answers. */
function strongRef(ref: PostRef): { uri: string; cid: string } {
  if (!ref.cid) throw new PermanentFailure(`bluesky needs the cid of ${ref.remoteId} to reply to it`, 'bluesky_reply_without_cid');
  return { uri: ref.remoteId, cid: ref.cid };
}

function classify(error: unknown, mayHaveLanded: boolean): DeliveryFailure {
  if (error instanceof XRPCError && error.status >= 400) {
    return failureFromRefusal('bluesky', {
      status: error.status,
      message: error.error && error.error !== error.message ? `${error.error}: ${error.message}` : error.message,
      resetAt: resetFromEpochSeconds(error.headers?.['ratelimit-reset']),
      // The session could not be renewed this time (the refresh call itself failed): the next attempt logs in.
      transient: error.error === 'ExpiredToken' || error.error === 'InvalidToken',
    });
  }
  if (error instanceof XRPCError && error.status === 2 && mayHaveLanded) {
    // A success status with a body the lexicon rejects: the record was most likely written.
    return new UncertainOutcome(`bluesky answered oddly: ${error.message}`, 'bluesky_invalid_response', error.message);
  }
  return failureFromTransportError('bluesky', error instanceof XRPCError && error.cause ? error.cause : error, {
    mayHaveLanded,
  });
}
