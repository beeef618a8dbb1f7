// Maps Herald's config onto each network's settings (through its definition), and names every network's account.
import type { Config } from '../config/config.js';
import { outboundFetcher } from '../net/outbound-fetch.js';
import type { Network } from './channel.js';
import type { SharedSocialSettings } from './network-definition.js';
import { NETWORK_DEFINITIONS, networkDefinition, type NetworkName, type SettingsOf, type socialEnvShape } from './networks.js';
import type { SocialLog } from './post-image.js';

/** The adapter settings of every configured network. */
export type SocialSettings = { [N in NetworkName]?: SettingsOf<N> };

/** Every network's variables, and the ones they share. */
type SocialConfig = Pick<Config, keyof typeof socialEnvShape | 'SOCIAL_TIMEOUT_MS'>
  & Partial<Pick<Config, 'HERALD_FETCH_ALLOW_HOSTS'>>;

/** The definition of a network, taking the whole social config (each reads only its own variables). */
type AnyDefinition = {
  settings(env: SocialConfig, shared: SharedSocialSettings): unknown;
  missing(env: SocialConfig): string[];
  account(env: SocialConfig): string;
};
const definitionOf = (network: Network) => networkDefinition(network) as unknown as AnyDefinition;

/** Settings for every network whose credentials are complete; exactly those post, the others preview. */
export function socialSettingsFrom(config: SocialConfig, log?: SocialLog): SocialSettings {
  // Article images are content URLs: fetched only through the guarded fetcher, with the operator's exceptions.
  const shared: SharedSocialSettings = {
    timeoutMs: config.SOCIAL_TIMEOUT_MS,
    fetcher: outboundFetcher({ HERALD_FETCH_ALLOW_HOSTS: config.HERALD_FETCH_ALLOW_HOSTS ?? [] }),
    log,
  };
  const settings: Record<string, unknown> = {};
  for (const { name } of NETWORK_DEFINITIONS) {
    const own = definitionOf(name).settings(config, shared);
    if (own) settings[name] = own;
  }
  return settings as SocialSettings;
}

/** The variables a network still needs before it can post; empty when it is configured. */
export function missingCredentials(config: SocialConfig, network: Network): string[] {
  return definitionOf(network).missing(config);
}

/**
 * The account a network's deliveries are addressed to (the delivery's `recipient`), the same whether the network
 * is configured or previewed: the adapters' own defaults, else the network's name.
 */
export function accountName(config: SocialConfig, network: Network): string {
  return definitionOf(network).account(config);
}
