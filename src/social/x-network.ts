// X as Herald knows it: its variables (OAuth 1.0a keys or an OAuth 2.0 token), its weighted count, its adapter.
import twitterText from 'twitter-text';
import { optionalString, url } from '../config/env-values.js';
import { xLength } from './length-units.js';
import type { SocialChannel } from './channel.js';
import { defineNetwork } from './network-definition.js';
import type { XSettings } from './x.js';

/** OAuth 1.0a's four keys, or an OAuth 2.0 user token. */
export function hasXCredentials(s: {
  apiKey?: string;
  apiSecret?: string;
  accessToken?: string;
  accessSecret?: string;
  bearerToken?: string;
}): boolean {
  return !!s.bearerToken || !!(s.apiKey && s.apiSecret && s.accessToken && s.accessSecret);
}

const OAUTH1_KEYS = ['X_API_KEY', 'X_API_SECRET', 'X_ACCESS_TOKEN', 'X_ACCESS_SECRET'] as const;

export const xNetwork = defineNetwork({
  name: 'x',
  label: 'X',
  env: {
    /** X, OAuth 1.0a user context: all four from the app's "Keys and tokens" page. Unset: X in preview mode. */
    X_API_KEY: optionalString,
    X_API_SECRET: optionalString,
    X_ACCESS_TOKEN: optionalString,
    X_ACCESS_SECRET: optionalString,
    /** X, instead of the four above: an OAuth 2.0 user-context token (tweet.write, users.read, media.write). */
    X_BEARER_TOKEN: optionalString,
    /** Unset: X itself. An https:// origin every X API call goes to instead (a proxy, a test stand-in). */
    X_API_BASE_URL: url('https://api.x.com').refine((u) => u.startsWith('https://'), 'must be an https:// URL').optional(),
  },
  settings(env, { timeoutMs, fetcher, log }): XSettings | undefined {
    const settings: XSettings = {
      apiKey: env.X_API_KEY,
      apiSecret: env.X_API_SECRET,
      accessToken: env.X_ACCESS_TOKEN,
      accessSecret: env.X_ACCESS_SECRET,
      bearerToken: env.X_BEARER_TOKEN,
      baseUrl: env.X_API_BASE_URL,
      timeoutMs,
      fetcher,
      log,
    };
    return hasXCredentials(settings) ? settings : undefined;
  },
  missing(env) {
    if (env.X_BEARER_TOKEN) return [];
    const oauth1 = OAUTH1_KEYS.filter((name) => !env[name]);
    return oauth1.length === OAUTH1_KEYS.length ? [`X_BEARER_TOKEN (or ${OAUTH1_KEYS.join(', ')})`] : oauth1;
  },
  account: () => 'x',
  length: {
    limit: 280,
    count: xLength,
    unitNote: ' (links count as 23, CJK characters and emoji as 2)',
    // X also rejects a few code points outright (U+FEFF, U+FFFE, U+FFFF); twitter-text knows which.
    refusal: (text, limit) =>
      twitterText.parseTweet(text, { ...twitterText.configs.defaults, maxWeightedTweetLength: limit }).valid
        ? undefined
        : 'The X post contains characters X does not accept (such as U+FEFF or U+FFFF).',
  },
  template: 'x.txt',
  capabilities: { images: true, cards: true, threads: true, delete: true, edit: false },
  createChannel: async (settings: XSettings): Promise<SocialChannel> => new (await import('./x.js')).XChannel(settings),
});
