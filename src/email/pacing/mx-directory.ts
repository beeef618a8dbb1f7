// Groups recipients by mailbox provider: the domain's own name first, else its MX hosts, looked up once per domain
// and kept for EMAIL_MX_CACHE_SECONDS. The resolver is injected (node:dns/promises' Resolver by default; tests
// hand in their own), and so is the clock.
import { Resolver } from 'node:dns/promises';
import type { Clock } from '../../runtime/clock.js';
import { domainOf, groupByDomain, groupByMx, isReservedDomain, OTHER_GROUP, type ProviderGroup } from './provider-groups.js';

/** What the directory asks of DNS (node:dns/promises' Resolver has this shape). */
export interface MxResolver {
  resolveMx(domain: string): Promise<{ exchange: string; priority: number }[]>;
}

export interface MxDirectoryOptions {
  groups: ProviderGroup[];
  resolver: MxResolver;
  /** How long a domain's group is kept once looked up. */
  ttlMs: number;
  /** A lookup that fails (or times out) is `other` for this long, then tried again. */
  failedTtlMs?: number;
  /** Longest wait for one lookup: the message waits for its group, so DNS must not hold it long. */
  timeoutMs: number;
  clock: Clock;
  /** Domains kept at most; the oldest go first. */
  maxEntries?: number;
}

/** node:dns/promises with a short timeout and one try: a slow DNS answer only makes a domain `other` for a while. */
export function systemMxResolver(timeoutMs: number): MxResolver {
  return new Resolver({ timeout: timeoutMs, tries: 1 });
}

export class MxDirectory {
  private readonly cache = new Map<string, { group: string; until: number }>();
  private readonly lookups = new Map<string, Promise<string>>();

  constructor(private readonly options: MxDirectoryOptions) {}

  /** The group of an address: by its domain's name, else by its MX hosts (cached), else `other`. */
  async groupOf(address: string): Promise<string> {
    const domain = domainOf(address);
    const named = groupByDomain(domain, this.options.groups);
    if (named) return named;
    if (isReservedDomain(domain)) return OTHER_GROUP;
    const cached = this.cache.get(domain);
    if (cached && cached.until > this.options.clock.now()) return cached.group;
    // Concurrent messages to one new domain share one lookup.
    let lookup = this.lookups.get(domain);
    if (!lookup) {
      lookup = this.lookUp(domain).finally(() => this.lookups.delete(domain));
      this.lookups.set(domain, lookup);
    }
    return lookup;
  }

  /** Domains known (named by a group, or looked up and not expired) to belong to one of `groups`. */
  domainsOf(groups: ReadonlySet<string>, limit = 1000): string[] {
    const now = this.options.clock.now();
    const named = this.options.groups.filter((g) => groups.has(g.name)).flatMap((g) => g.domains);
    const looked = [...this.cache].filter(([, e]) => e.until > now && groups.has(e.group)).map(([d]) => d);
    return [...named, ...looked].slice(0, limit);
  }

  private async lookUp(domain: string): Promise<string> {
    const { resolver, timeoutMs, ttlMs, failedTtlMs = 5 * 60_000, clock } = this.options;
    let group = OTHER_GROUP;
    let ttl = ttlMs;
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('MX lookup timed out')), timeoutMs);
        timer.unref();
      });
      const records = await Promise.race([resolver.resolveMx(domain), timeout]).finally(() => clearTimeout(timer));
      const hosts = [...records].sort((a, b) => a.priority - b.priority).map((r) => r.exchange);
      group = groupByMx(hosts, this.options.groups) ?? OTHER_GROUP;
    } catch {
      ttl = Math.min(ttlMs, failedTtlMs);
    }
    const { maxEntries = 50_000 } = this.options;
    if (this.cache.size >= maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.delete(domain);
    this.cache.set(domain, { group, until: clock.now() + ttl });
    return group;
  }
}
