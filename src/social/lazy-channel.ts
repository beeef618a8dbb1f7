// A channel whose adapter is imported on its first use, so deciding which networks post loads no client library.
import { PermanentFailure } from '../delivery/failure.js';
import type { Network, PostOptions, PostResult, SocialChannel, SocialPost } from './channel.js';
import type { Engagement } from './engagement.js';

/**
 * A channel whose adapter module is imported on its first use. X's, Bluesky's and Mastodon's client libraries weigh
 * about 60 MB of RSS together: a process that never posts there (email-only workers, the API) never carries them.
 */
export class LazyChannel implements SocialChannel {
  private channel: Promise<SocialChannel> | undefined;

  constructor(
    readonly network: Network,
    readonly account: string,
    private readonly load: () => Promise<SocialChannel>,
  ) {}

  /** The adapter itself, imported on the first call. */
  loaded(): Promise<SocialChannel> {
    this.channel ??= this.load().catch((error: unknown) => {
      this.channel = undefined; // a failed import is retried by the next post
      throw error;
    });
    return this.channel;
  }

  post(post: SocialPost, options: PostOptions): Promise<PostResult> {
    return this.loaded().then((channel) => channel.post(post, options));
  }

  verify(): Promise<string> {
    return this.loaded().then((channel) => channel.verify());
  }

  /** Always there, since the adapter is not loaded yet; an adapter without `delete` refuses permanently. */
  delete(remoteId: string): Promise<void> {
    return this.loaded().then((channel) => {
      if (!channel.delete) throw new PermanentFailure(`${this.network} cannot delete posts`, `${this.network}_no_delete`);
      return channel.delete(remoteId);
    });
  }

  /** Always there, like delete; an adapter that cannot read metrics says they are not available. */
  engagement(remoteId: string): Promise<Engagement> {
    return this.loaded().then((channel) =>
      channel.engagement ? channel.engagement(remoteId) : { available: false as const, reason: `${this.network} gives no post metrics` });
  }

  /** Always there, like `delete`; an adapter without replies refuses permanently. */
  reply(parentRemoteId: string, text: string, options: PostOptions): Promise<PostResult> {
    return this.loaded().then((channel) => {
      if (!channel.reply) throw new PermanentFailure(`${this.network} cannot reply to posts`, `${this.network}_no_reply`);
      return channel.reply(parentRemoteId, text, options);
    });
  }

  /** Whether the loaded adapter can edit a post in place (a correction replies where it cannot). */
  async canEdit(): Promise<boolean> {
    return typeof (await this.loaded()).edit === 'function';
  }

  edit(remoteId: string, text: string): Promise<PostResult> {
    return this.loaded().then((channel) => {
      if (!channel.edit) throw new PermanentFailure(`${this.network} cannot edit posts`, `${this.network}_no_edit`);
      return channel.edit(remoteId, text);
    });
  }
}
