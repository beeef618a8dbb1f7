// A Facebook Page as Herald knows it: its variables, its count (code points), its adapter.
import { optionalString, url } from '../config/env-values.js';
import type { FacebookSettings } from './facebook.js';
import { facebookLength } from './length-units.js';
import type { SocialChannel } from './channel.js';
import { defineNetwork } from './network-definition.js';

export const facebookNetwork = defineNetwork({
  name: 'facebook',
  label: 'Facebook',
  env: {
    /** The Facebook Page posted to, with a Page access token (pages_manage_posts). Unset: preview mode. */
    FACEBOOK_PAGE_ID: optionalString,
    FACEBOOK_PAGE_TOKEN: optionalString,
    FACEBOOK_GRAPH_URL: url('https://graph.facebook.com').default('https://graph.facebook.com'),
  },
  settings(env, { timeoutMs }): FacebookSettings | undefined {
    if (!env.FACEBOOK_PAGE_ID || !env.FACEBOOK_PAGE_TOKEN) return undefined;
    return { pageId: env.FACEBOOK_PAGE_ID, pageAccessToken: env.FACEBOOK_PAGE_TOKEN, graphUrl: env.FACEBOOK_GRAPH_URL, timeoutMs };
  },
  missing: (env) => (['FACEBOOK_PAGE_ID', 'FACEBOOK_PAGE_TOKEN'] as const).filter((name) => !env[name]),
  account: (env) => env.FACEBOOK_PAGE_ID ?? 'facebook',
  length: { limit: 63_206, count: facebookLength },
  template: 'facebook.txt',
  // The card is Facebook's own, built from the article's Open Graph tags; no image is uploaded.
  capabilities: { images: false, cards: true, threads: false, delete: true, edit: true },
  createChannel: async (settings: FacebookSettings): Promise<SocialChannel> => new (await import('./facebook.js')).FacebookPageChannel(settings),
});
