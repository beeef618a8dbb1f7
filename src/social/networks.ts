// The social networks Herald posts to, listed once: config, validation, the dashboard and the doctor read this list.
import { blueskyNetwork } from './bluesky-network.js';
import { facebookNetwork } from './facebook-network.js';
import { mastodonNetwork } from './mastodon-network.js';
import type { NetworkDefinition } from './network-definition.js';
import { xNetwork } from './x-network.js';

/** In the order editors see them. Adding a network: its definition file, one line here, its template (docs/ARCHITECTURE.md). */
export const NETWORK_DEFINITIONS = [xNetwork, facebookNetwork, mastodonNetwork, blueskyNetwork] as const;

type Definitions = (typeof NETWORK_DEFINITIONS)[number];

/** A channel name that is a social network. */
export type NetworkName = Definitions['name'];

/** The definition of one network, with its own settings type. */
export type DefinitionOf<N extends NetworkName> = Extract<Definitions, { name: N }>;

/** The settings each network's adapter is built from. */
export type SettingsOf<N extends NetworkName> = DefinitionOf<N> extends NetworkDefinition<N, infer _Env, infer S> ? S : never;

export const NETWORK_NAMES: readonly NetworkName[] = NETWORK_DEFINITIONS.map((d) => d.name);

const byName = new Map<string, Definitions>(NETWORK_DEFINITIONS.map((d) => [d.name, d]));

export const isNetwork = (channel: string): channel is NetworkName => byName.has(channel);

/** The definition of a network Herald knows; throws for any other name. */
export function networkDefinition<N extends NetworkName>(name: N): DefinitionOf<N> {
  const definition = byName.get(name);
  if (!definition) throw new RangeError(`Unknown network: ${String(name)}`);
  return definition as DefinitionOf<N>;
}

/** Every channel's label as editors read it: `Email`, then each network's own. */
export const CHANNEL_LABELS: Readonly<Record<'email' | NetworkName, string>> = {
  email: 'Email',
  ...(Object.fromEntries(NETWORK_DEFINITIONS.map((d) => [d.name, d.label])) as Record<NetworkName, string>),
};

/** The label of a channel, or the name itself for one Herald no longer knows. */
export function channelLabel(channel: string): string {
  return Object.hasOwn(CHANNEL_LABELS, channel) ? CHANNEL_LABELS[channel as NetworkName] : channel;
}

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void ? I : never;

/** Every network's environment variables, as one zod shape for src/config/config.ts's schema. */
export const socialEnvShape = Object.assign({}, ...NETWORK_DEFINITIONS.map((d) => d.env)) as UnionToIntersection<Definitions['env']>;
