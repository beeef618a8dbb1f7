// The social accounts of this Herald, one per network: each with its adapter when configured, or in preview mode without one.
import type { Config } from '../config/config.js';
import type { Network, SocialChannel } from './channel.js';
import { LazyChannel } from './lazy-channel.js';
import { NETWORK_NAMES, networkDefinition } from './networks.js';
import type { SocialLog } from './post-image.js';
import { accountName, missingCredentials, socialSettingsFrom } from './settings.js';

export interface SocialAccount {
  network: Network;
  /** The delivery's recipient: page id, handle, instance host, or the network's name. */
  account: string;
  /** Absent in preview mode (no credentials): posts are composed and stored, never sent. */
  channel?: SocialChannel;
  /** Variables still unset for this network; empty when it posts. */
  missing: string[];
}

/** How long composing waits for a network's live limit (a Mastodon instance's) before using the network's default. */
const LIMITS_WAIT_MS = 5_000;

export class SocialAccounts {
  private readonly byNetwork: Map<Network, SocialAccount>;

  constructor(
    accounts: SocialAccount[],
    private readonly log?: SocialLog,
    /** SOCIAL_THREAD_ARTICLES: a composed post that does not fit one post becomes a thread rather than shortened. */
    readonly threadArticles = false,
  ) {
    this.byNetwork = new Map(accounts.map((a) => [a.network, a]));
  }

  /** Builds clients only: no request is made until a channel posts or a limit is asked for. */
  static fromConfig(config: Config, log?: SocialLog): SocialAccounts {
    const settings = socialSettingsFrom(config, log) as Record<Network, unknown>;
    return new SocialAccounts(
      NETWORK_NAMES.map((network) => {
        // The recipient stays the same name whether the network posts or previews.
        const account = accountName(config, network);
        const own = settings[network];
        if (!own) return { network, account, missing: missingCredentials(config, network) };
        const create = networkDefinition(network).createChannel as (settings: unknown) => Promise<SocialChannel>;
        return { network, account, channel: new LazyChannel(network, account, () => create(own)), missing: [] };
      }),
      log,
      config.SOCIAL_THREAD_ARTICLES === 'on',
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
   * The post limit composing and validation use: the account's live limit where the network has one (a configured
   * Mastodon instance's own `max_characters`), otherwise the network's default. An account that cannot be asked right
   * now must not hold up a post: the default is used.
   */
  async limit(network: Network): Promise<number> {
    const configured = this.byNetwork.get(network)?.channel;
    const { label, length, liveLimit } = networkDefinition(network);
    if (!liveLimit || !configured) return length.limit;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${LIMITS_WAIT_MS} ms`)), LIMITS_WAIT_MS);
    });
    try {
      const askAccount = async () => liveLimit(configured instanceof LazyChannel ? await configured.loaded() : configured);
      return await Promise.race([askAccount(), gaveUp]);
    } catch (error) {
      this.log?.warn(
        { event: 'social.limits_unavailable', network, reason: (error as Error).message },
        `using ${label}’s default post limit`,
      );
      return length.limit;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Limits of every network, for validating and previewing texts. */
  async limits(): Promise<Record<Network, number>> {
    const entries = await Promise.all(NETWORK_NAMES.map(async (n) => [n, await this.limit(n)] as const));
    return Object.fromEntries(entries) as Record<Network, number>;
  }
}
