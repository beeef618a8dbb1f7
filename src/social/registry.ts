// Builds one channel per configured network; a network without credentials is absent, and the caller previews it.
import { type BlueskySettings, BlueskyChannel } from './bluesky.js';
import type { SocialChannel } from './channel.js';
import { type FacebookSettings, FacebookPageChannel } from './facebook.js';
import { type MastodonSettings, MastodonChannel } from './mastodon.js';
import { hasXCredentials, type XSettings, XChannel } from './x.js';

export type { BlueskySettings, FacebookSettings, MastodonSettings, XSettings };

export interface SocialSettings {
  x?: XSettings;
  facebook?: FacebookSettings;
  mastodon?: MastodonSettings;
  bluesky?: BlueskySettings;
}

/** Builds clients only: no request is made until a channel posts (Bluesky logs in on its first post). */
export function createSocialChannels(settings: SocialSettings): SocialChannel[] {
  const { x, facebook, mastodon, bluesky } = settings;
  const channels: (SocialChannel | false | '' | undefined)[] = [
    x && hasXCredentials(x) && new XChannel(x),
    facebook?.pageId && facebook.pageAccessToken && new FacebookPageChannel(facebook),
    mastodon?.url && mastodon.accessToken && new MastodonChannel(mastodon),
    bluesky?.identifier && bluesky.appPassword && new BlueskyChannel(bluesky),
  ];
  return channels.filter((c): c is SocialChannel => !!c);
}
