// Maps Herald's config onto the adapters' settings, and names the account of every network, configured or not.
import type { Config } from '../config/config.js';
import { outboundFetcher } from '../net/outbound-fetch.js';
import type { Network } from './channel.js';
import type { SocialLog } from './post-image.js';
import type { SocialSettings } from './registry.js';

export const NETWORKS: readonly Network[] = ['x', 'facebook', 'mastodon', 'bluesky'];

type SocialConfig = Pick<
  Config,
  | 'X_API_KEY' | 'X_API_SECRET' | 'X_ACCESS_TOKEN' | 'X_ACCESS_SECRET' | 'X_BEARER_TOKEN' | 'X_API_BASE_URL'
  | 'FACEBOOK_PAGE_ID' | 'FACEBOOK_PAGE_TOKEN' | 'FACEBOOK_GRAPH_URL'
  | 'MASTODON_URL' | 'MASTODON_TOKEN'
  | 'BLUESKY_SERVICE' | 'BLUESKY_HANDLE' | 'BLUESKY_APP_PASSWORD'
  | 'SOCIAL_TIMEOUT_MS'
> & Partial<Pick<Config, 'HERALD_FETCH_ALLOW_HOSTS'>>;

/** Settings for every network whose credentials are complete; the registry builds a channel for exactly those. */
export function socialSettingsFrom(config: SocialConfig, log?: SocialLog): SocialSettings {
  const timeoutMs = config.SOCIAL_TIMEOUT_MS;
  // Article images are content URLs: fetched only through the guarded fetcher, with the operator's exceptions.
  const fetcher = outboundFetcher({ HERALD_FETCH_ALLOW_HOSTS: config.HERALD_FETCH_ALLOW_HOSTS ?? [] });
  const settings: SocialSettings = {};
  if (missingCredentials(config, 'x').length === 0) {
    settings.x = {
      apiKey: config.X_API_KEY,
      apiSecret: config.X_API_SECRET,
      accessToken: config.X_ACCESS_TOKEN,
      accessSecret: config.X_ACCESS_SECRET,
      bearerToken: config.X_BEARER_TOKEN,
      baseUrl: config.X_API_BASE_URL,
      timeoutMs,
      fetcher,
      log,
    };
  }
  if (config.FACEBOOK_PAGE_ID && config.FACEBOOK_PAGE_TOKEN) {
    settings.facebook = {
      pageId: config.FACEBOOK_PAGE_ID,
      pageAccessToken: config.FACEBOOK_PAGE_TOKEN,
      graphUrl: config.FACEBOOK_GRAPH_URL,
      timeoutMs,
    };
  }
  if (config.MASTODON_URL && config.MASTODON_TOKEN) {
    settings.mastodon = { url: config.MASTODON_URL, accessToken: config.MASTODON_TOKEN, timeoutMs };
  }
  if (config.BLUESKY_HANDLE && config.BLUESKY_APP_PASSWORD) {
    settings.bluesky = {
      identifier: config.BLUESKY_HANDLE,
      appPassword: config.BLUESKY_APP_PASSWORD,
      service: config.BLUESKY_SERVICE,
      timeoutMs,
      fetcher,
      log,
    };
  }
  return settings;
}

/** The variables a network still needs before it can post; empty when it is configured. */
export function missingCredentials(config: SocialConfig, network: Network): string[] {
  const unset = (names: (keyof SocialConfig)[]) => names.filter((name) => !config[name]);
  switch (network) {
    case 'x': {
      if (config.X_BEARER_TOKEN) return [];
      const oauth1 = unset(['X_API_KEY', 'X_API_SECRET', 'X_ACCESS_TOKEN', 'X_ACCESS_SECRET']);
      return oauth1.length === 4 ? ['X_BEARER_TOKEN (or X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET)'] : oauth1;
    }
    case 'facebook':
      return unset(['FACEBOOK_PAGE_ID', 'FACEBOOK_PAGE_TOKEN']);
    case 'mastodon':
      return unset(['MASTODON_URL', 'MASTODON_TOKEN']);
    case 'bluesky':
      return unset(['BLUESKY_HANDLE', 'BLUESKY_APP_PASSWORD']);
  }
}

/**
 * The account a network's deliveries are addressed to (the delivery's `recipient`), the same whether the network
 * is configured or previewed: the adapters' own defaults, else the network's name.
 */
export function accountName(config: SocialConfig, network: Network): string {
  switch (network) {
    case 'x':
      return 'x';
    case 'facebook':
      return config.FACEBOOK_PAGE_ID ?? 'facebook';
    case 'mastodon':
      return config.MASTODON_URL ? new URL(config.MASTODON_URL).host : 'mastodon';
    case 'bluesky':
      return config.BLUESKY_HANDLE ?? 'bluesky';
  }
}
