// Builds one channel per configured network; a network without credentials is absent, and the caller previews it.
import type { BlueskySettings } from './bluesky.js';
import type { Network, PostOptions, PostResult, SocialChannel, SocialPost } from './channel.js';
import { type FacebookSettings, FacebookPageChannel } from './facebook.js';
import type { MastodonSettings } from './mastodon.js';
import type { XSettings } from './x.js';
import { hasXCredentials } from './x-credentials.js';

export type { BlueskySettings, FacebookSettings, MastodonSettings, XSettings };

export interface SocialSettings {
  x?: XSettings;
  facebook?: FacebookSettings;
  mastodon?: MastodonSettings;
  bluesky?: BlueskySettings;
}

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
}

/** Builds clients only: no request is made until a channel posts (Bluesky logs in on its first post). */
export function createSocialChannels(settings: SocialSettings): SocialChannel[] {
  const { x, facebook, mastodon, bluesky } = settings;
  const channels: (SocialChannel | false | '' | undefined)[] = [
    x && hasXCredentials(x) &&
      new LazyChannel('x', x.account ?? 'x', async () => new (await import('./x.js')).XChannel(x)),
    facebook?.pageId && facebook.pageAccessToken && new FacebookPageChannel(facebook),
    mastodon?.url && mastodon.accessToken &&
      new LazyChannel('mastodon', mastodon.account ?? new URL(mastodon.url).host, async () => new (await import('./mastodon.js')).MastodonChannel(mastodon)),
    bluesky?.identifier && bluesky.appPassword &&
      new LazyChannel('bluesky', bluesky.identifier, async () => new (await import('./bluesky.js')).BlueskyChannel(bluesky)),
  ];
  return channels.filter((c): c is SocialChannel => !!c);
}
