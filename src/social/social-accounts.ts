// The four social accounts of this Herald: each with its adapter when configured, or in preview mode without one.
import type { Config } from '../config/config.js';
import type { Network, SocialChannel } from './channel.js';
import { NETWORK_LIMITS } from './length.js';
import type { MastodonChannel } from './mastodon.js';
import type { SocialLog } from './post-image.js';
import { createSocialChannels, LazyChannel } from './registry.js';
import { accountName, missingCredentials, NETWORKS, socialSettingsFrom } from './settings.js';

export interface SocialAccount {
  network: Network;
  /** The delivery's recipient: page id, handle, instance host, or the network's name. */
  account: string;
  /** Absent in preview mode (no credentials): posts are composed and stored, never sent. */
  channel?: SocialChannel;
  /** Variables still unset for this network; empty when it posts. */
  missing: string[];
}

/** How long composing waits for a Mastodon instance's limits before using Mastodon's default of 500. */
const LIMITS_WAIT_MS = 5_000;

export class SocialAccounts {
  private readonly byNetwork: Map<Network, SocialAccount>;

  constructor(accounts: SocialAccount[], private readonly log?: SocialLog) {
    this.byNetwork = new Map(accounts.map((a) => [a.network, a]));
  }

  /** Builds clients only: no request is made until a channel posts or a limit is asked for. */
  static fromConfig(config: Config, log?: SocialLog): SocialAccounts {
    const channels = createSocialChannels(socialSettingsFrom(config, log));
    return new SocialAccounts(
      NETWORKS.map((network) => {
        const channel = channels.find((c) => c.network === network);
        // The recipient stays the same name whether the network posts or previews.
        return { network, account: accountName(config, network), channel, missing: channel ? [] : missingCredentials(config, network) };
      }),
      log,
    );
  }

  all(): SocialAccount[] {
    return [...this.byNetwork.values()];
  }

  get(network: Network): SocialAccount {
    const account = this.byNetwork.get(network);
    if (!account) throw new RangeError(`unknown social network ${network}`);
    return account;
  }

  /**
   * The post limit composing and validation use: a configured Mastodon instance's own `max_characters`, otherwise
   * the network's default. An instance that cannot be asked right now must not hold up a post: its default is used.
   */
  async limit(network: Network): Promise<number> {
    const configured = this.byNetwork.get(network)?.channel;
    if (network !== 'mastodon' || !configured) return NETWORK_LIMITS[network];
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${LIMITS_WAIT_MS} ms`)), LIMITS_WAIT_MS);
    });
    try {
      const instanceLimits = async () =>
        ((configured instanceof LazyChannel ? await configured.loaded() : configured) as MastodonChannel).limits();
      return (await Promise.race([instanceLimits(), gaveUp])).maxCharacters;
    } catch (error) {
      this.log?.warn(
        { event: 'social.limits_unavailable', network, reason: (error as Error).message },
        'using Mastodon’s default post limit',
      );
      return NETWORK_LIMITS.mastodon;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Limits of all four networks, for validating and previewing texts. */
  async limits(): Promise<Record<Network, number>> {
    const entries = await Promise.all(NETWORKS.map(async (n) => [n, await this.limit(n)] as const));
    return Object.fromEntries(entries) as Record<Network, number>;
  }
}
