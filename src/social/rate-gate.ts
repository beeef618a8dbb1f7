// Per-network "wait until" shared by every worker process through Redis: one network's 429 holds only that network.
import type { Redis } from 'ioredis';
import type { Network } from './channel.js';

/**
 * The social queue carries every network, so BullMQ's queue-wide rate limit would stop Facebook and Mastodon
 * while X's 24-hour cap runs out. Instead, a 429 records the network's reset time here; each of that network's jobs
 * sees it before posting and moves itself to the delayed set until then, and no attempt is spent.
 */
export class NetworkRateGate {
  constructor(
    private readonly redis: Redis,
    /** The queue prefix, so tests and deployments sharing a Redis keep separate gates. */
    private readonly prefix: string,
  ) {}

  /** Milliseconds until `network` may be called again; 0 when it is open. */
  async remainingMs(network: Network): Promise<number> {
    const until = Number(await this.redis.get(this.key(network)));
    return Number.isFinite(until) ? Math.max(0, until - Date.now()) : 0;
  }

  /** Closes the gate until `until`; an earlier time never shortens a later hold. */
  async hold(network: Network, until: Date): Promise<void> {
    const ms = until.getTime() - Date.now();
    if (ms <= 0) return;
    const current = Number(await this.redis.get(this.key(network)));
    if (Number.isFinite(current) && current >= until.getTime()) return;
    await this.redis.set(this.key(network), String(until.getTime()), 'PX', ms);
  }

  private key(network: Network): string {
    return `${this.prefix}:social-rate-limit:${network}`;
  }
}
