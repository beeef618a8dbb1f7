// The four network stand-ins started together, and the Herald env that points every social setting at them.
import { inject } from 'vitest';
import { BlueskyStandIn } from './networks/bluesky-server.js';
import { FacebookStandIn } from './networks/facebook-server.js';
import { MastodonStandIn } from './networks/mastodon-server.js';
import { XStandIn } from './networks/x-server.js';

export const SOCIAL_CHANNELS = ['x', 'facebook', 'mastodon', 'bluesky'] as const;

export const SOCIAL_ACCOUNTS = {
  x: { apiKey: 'herald-api-key', apiSecret: 'herald-api-secret', accessToken: '1234-herald-access', accessSecret: 'herald-access-secret' },
  facebook: { pageId: '104729', pageAccessToken: 'facebook-page-token' },
  mastodon: { accessToken: 'mastodon-access-token' },
  bluesky: { handle: 'herald.test', did: 'did:plc:heraldtest123', appPassword: 'abcd-efgh-ijkl-mnop' },
};

export interface SocialStandIns {
  x: XStandIn;
  facebook: FacebookStandIn;
  mastodon: MastodonStandIn;
  bluesky: BlueskyStandIn;
  /** Herald settings for all four, credentials included. */
  env: Record<string, string>;
  /** Only the base URLs: Herald talks to no one (preview mode), and any request would show on a stand-in. */
  urlsOnly: Record<string, string>;
  /** Requests received by all four, for "nothing was sent" checks. */
  requestCount(): number;
  close(): Promise<void>;
}

export async function startSocialStandIns(options: { mastodonMaxCharacters?: number } = {}): Promise<SocialStandIns> {
  const tls = inject('standInTls');
  if (!tls) throw new Error('The X stand-in needs the TLS globalSetup of vitest.config.ts');
  const x = await new XStandIn(tls, SOCIAL_ACCOUNTS.x).start();
  const facebook = await new FacebookStandIn(SOCIAL_ACCOUNTS.facebook).start();
  const mastodon = await new MastodonStandIn({ ...SOCIAL_ACCOUNTS.mastodon, maxCharacters: options.mastodonMaxCharacters }).start();
  // The Bluesky stand-in, not the reference PDS: these tests script failures on cue and count every network's requests.
  // What a real PDS holds is checked against it in bluesky*.test.ts and retraction-bluesky.test.ts.
  const bluesky = await new BlueskyStandIn(SOCIAL_ACCOUNTS.bluesky).start();
  const urlsOnly = {
    X_API_BASE_URL: x.url,
    FACEBOOK_GRAPH_URL: facebook.url,
    MASTODON_URL: mastodon.url,
    BLUESKY_SERVICE: bluesky.url,
  };
  const env = {
    ...urlsOnly,
    X_API_KEY: SOCIAL_ACCOUNTS.x.apiKey,
    X_API_SECRET: SOCIAL_ACCOUNTS.x.apiSecret,
    X_ACCESS_TOKEN: SOCIAL_ACCOUNTS.x.accessToken,
    X_ACCESS_SECRET: SOCIAL_ACCOUNTS.x.accessSecret,
    FACEBOOK_PAGE_ID: SOCIAL_ACCOUNTS.facebook.pageId,
    FACEBOOK_PAGE_TOKEN: SOCIAL_ACCOUNTS.facebook.pageAccessToken,
    MASTODON_TOKEN: SOCIAL_ACCOUNTS.mastodon.accessToken,
    BLUESKY_HANDLE: SOCIAL_ACCOUNTS.bluesky.handle,
    BLUESKY_APP_PASSWORD: SOCIAL_ACCOUNTS.bluesky.appPassword,
    SOCIAL_TIMEOUT_MS: '5000',
  };
  const all = [x, facebook, mastodon, bluesky];
  return {
    x,
    facebook,
    mastodon,
    bluesky,
    env,
    urlsOnly,
    requestCount: () => all.reduce((n, s) => n + s.requests.length, 0),
    close: async () => {
      await Promise.all(all.map((s) => s.close()));
    },
  };
}
