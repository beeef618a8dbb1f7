// Mastodon as Herald knows it: its variables, its count (URLs 23, remote mentions short), the instance's own limit.
import { optionalString, url } from '../config/env-values.js';
import { mastodonLength } from './length-units.js';
import type { MastodonChannel, MastodonSettings } from './mastodon.js';
import type { SocialChannel } from './channel.js';
import { defineNetwork } from './network-definition.js';

export const mastodonNetwork = defineNetwork({
  name: 'mastodon',
  label: 'Mastodon',
  env: {
    /** The Mastodon instance, e.g. https://mastodon.social, with a write:statuses token. Unset: preview mode. */
    MASTODON_URL: url('https://mastodon.social').optional(),
    MASTODON_TOKEN: optionalString,
  },
  settings(env, { timeoutMs }): MastodonSettings | undefined {
    if (!env.MASTODON_URL || !env.MASTODON_TOKEN) return undefined;
    return { url: env.MASTODON_URL, accessToken: env.MASTODON_TOKEN, timeoutMs };
  },
  missing: (env) => (['MASTODON_URL', 'MASTODON_TOKEN'] as const).filter((name) => !env[name]),
  account: (env) => (env.MASTODON_URL ? new URL(env.MASTODON_URL).host : 'mastodon'),
  length: { limit: 500, count: mastodonLength, unitNote: ' (links count as 23)' },
  template: 'mastodon.txt',
  // No media is attached: Mastodon shows the article's preview card only on statuses without media.
  capabilities: {
    images: false,
    cards: true,
    threads: true,
    delete: true,
    edit: true,
    // Mastodon keeps an Idempotency-Key for an hour; ten minutes are left for clock skew between Herald and the instance.
    idempotencyKeyMemoryMs: 50 * 60_000,
  },
  createChannel: async (settings: MastodonSettings): Promise<SocialChannel> => new (await import('./mastodon.js')).MastodonChannel(settings),
  liveLimit: async (channel: SocialChannel): Promise<number> => (await (channel as MastodonChannel).limits()).maxCharacters,
});
