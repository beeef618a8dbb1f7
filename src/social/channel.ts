// One interface every social network adapter implements; the worker knows nothing else about a network.

import type { Engagement } from './engagement.js';
import type { NetworkName } from './networks.js';

/** A social network's name, derived from the registry (src/social/networks.ts). */
export type Network = NetworkName;

/** A composed post, ready for one network: the text already fits that network's limit. */
export interface SocialPost {
  text: string;
  /** The article URL; always present in full in `text` or as the network's link field. */
  link: string;
  title: string;
  description: string;
  image?: { url: string; alt: string };
}

export interface PostResult {
  remoteId: string;
  remoteUrl?: string;
  /** Posted without its image, and why (kept on the delivery). */
  imageSkipped?: string;
  /** Bluesky: the record's cid, which a reply's strong ref needs besides the uri (`remoteId`). */
  cid?: string;
}

/** A post Herald made, as a reply names it: its remote id and, on Bluesky, its record's cid. */
export interface PostRef {
  remoteId: string;
  cid?: string;
}

/** Where a reply goes: under `parent`, in the thread that starts at `root` (Bluesky names both; X and Mastodon the parent). */
export interface ReplyTarget {
  root: PostRef;
  parent: PostRef;
}

export interface PostOptions {
  /** Deterministic per delivery, so a network that honours it (Mastodon) never posts twice. */
  idempotencyKey: string;
  /** Post as a reply (the next part of a thread); absent: a post of its own. Only on networks with `threads`. */
  replyTo?: ReplyTarget;
}

export interface SocialChannel {
  readonly network: Network;
  /** Human name of the account posted to, e.g. `@herald@mastodon.social` or the page id. */
  readonly account: string;
  /** Posts and resolves with the remote id, or throws a DeliveryFailure subclass (src/delivery/failure.ts). */
  post(post: SocialPost, options: PostOptions): Promise<PostResult>;
  /**
   * One read-only call that proves the credentials work (`herald doctor`); resolves with what the network calls
   * the account, or throws a DeliveryFailure. Never posts.
   */
  verify(): Promise<string>;
  /**
   * Deletes one post Herald made, by the remote id `post` resolved with; present when the network's definition
   * declares `capabilities.delete`. Resolves once the post is gone (also when the network says it already was);
   * throws a DeliveryFailure otherwise, a post that is not there as the network's 404 (`{network}_404`).
   */
  delete?(remoteId: string): Promise<void>;
  /**
   * Reads one post's public metrics (likes, reposts, replies…) by the remote id `post` resolved with; throws a
   * DeliveryFailure (a rate limit as RateLimited, with the network's reset).
   */
  engagement?(remoteId: string): Promise<Engagement>;
  /**
   * Posts `text` as a reply under one of Herald's posts (a correction), by the remote id `post` resolved with; the
   * reply carries no card or image. Throws a DeliveryFailure like `post`; `options.idempotencyKey` as there.
   */
  reply?(parentRemoteId: string, text: string, options: PostOptions): Promise<PostResult>;
  /**
   * Replaces the text of one of Herald's posts in place (Mastodon); absent where the network's API cannot edit.
   * Resolves with the same remote id; repeating it does no harm.
   */
  edit?(remoteId: string, text: string): Promise<PostResult>;
}
