// Bluesky as Herald knows it: its variables (handle and app password), its count (graphemes and bytes), its adapter.
import { optionalString, url } from '../config/env-values.js';
import type { BlueskySettings } from './bluesky.js';
import { blueskyLength } from './length-units.js';
import type { SocialChannel } from './channel.js';
import { defineNetwork } from './network-definition.js';

/** Bluesky also caps post text at 3000 UTF-8 bytes (lexicon `app.bsky.feed.post`), whatever the grapheme count. */
export const BLUESKY_MAX_BYTES = 3000;

export const blueskyNetwork = defineNetwork({
  name: 'bluesky',
  label: 'Bluesky',
  env: {
    /** Bluesky: the PDS to log in to, the account's handle and an app password (never the account password). */
    BLUESKY_SERVICE: url('https://bsky.social').default('https://bsky.social'),
    BLUESKY_HANDLE: optionalString,
    BLUESKY_APP_PASSWORD: optionalString,
  },
  settings(env, { timeoutMs, fetcher, log }): BlueskySettings | undefined {
    if (!env.BLUESKY_HANDLE || !env.BLUESKY_APP_PASSWORD) return undefined;
    return { identifier: env.BLUESKY_HANDLE, appPassword: env.BLUESKY_APP_PASSWORD, service: env.BLUESKY_SERVICE, timeoutMs, fetcher, log };
  },
  missing: (env) => (['BLUESKY_HANDLE', 'BLUESKY_APP_PASSWORD'] as const).filter((name) => !env[name]),
  account: (env) => env.BLUESKY_HANDLE ?? 'bluesky',
  length: { limit: 300, count: blueskyLength, maxBytes: BLUESKY_MAX_BYTES },
  template: 'bluesky.txt',
  // The image becomes the link card's thumbnail.
  capabilities: { images: true, cards: true, threads: true, delete: true, edit: false },
  createChannel: async (settings: BlueskySettings): Promise<SocialChannel> => new (await import('./bluesky.js')).BlueskyChannel(settings),
});
