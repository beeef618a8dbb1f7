// The pace of each provider group in this process: how many of its messages may be in flight, how fast they may
// start, and what a "slow down" from that provider does to it (the rate halves and the group waits out the reset,
// then ramps back up a step at a time). Other groups are untouched. No I/O; the clock is injected.
import type { Clock } from '../../runtime/clock.js';

export interface PaceLimits {
  /** Messages of the group in flight at once (each holds one SMTP connection or API call); 0: no cap of its own. */
  connections: number;
  /** Messages of the group started per second; 0: as fast as the window allows, until the provider objects. */
  ratePerSecond: number;
}

export interface PacerOptions {
  limits(group: string): PaceLimits;
  /** After a throttle, the rate rises by an eighth of its target every this many ms without another. */
  rampEveryMs: number;
  clock: Clock;
}

/** One message of a group handed to the transport: what `finished` is told about. */
export interface PaceTicket {
  group: string;
  startedAt: number;
}

/** A group's pace as it stands (logs, the dashboard, tests). */
export interface PaceState {
  inFlight: number;
  /** Messages per second it may start now; undefined: no limit. */
  ratePerSecond?: number;
  /** Set while it is slowed down after a throttle: the rate it ramps back to. */
  backoff?: { targetPerSecond: number; pausedUntil: number };
}

/** Slowest pace a throttled group is brought down to: halving further would take a day over a few readers. */
export const MIN_RATE_PER_SECOND = 1;
/** Recent starts are counted over this long, so a group with no rate of its own can be halved from what it did. */
const OBSERVE_MS = 5000;

interface Group {
  inFlight: number;
  rate?: number;
  nextStartAt: number;
  pausedUntil: number;
  backoff?: { target: number; lastChangeAt: number; throttledAt: number };
  /** Starts per second over the last OBSERVE_MS: [second, count]. */
  starts: [number, number][];
  firstStartAt?: number;
}

export class ProviderPacer {
  private readonly groups = new Map<string, Group>();
  private waiters: (() => void)[] = [];

  constructor(private readonly options: PacerOptions) {}

  /** How long before a message of `group` may start: 0 now; Infinity while it is at its connection cap. */
  waitMs(group: string): number {
    const now = this.options.clock.now();
    const g = this.group(group, now);
    const { connections } = this.options.limits(group);
    const timed = Math.max(0, g.pausedUntil - now, g.nextStartAt - now);
    if (timed > 0) return timed;
    return connections > 0 && g.inFlight >= connections ? Number.POSITIVE_INFINITY : 0;
  }

  /**
   * How many messages of `group` a run may keep waiting for it: as many as it could start within `horizonMs` at its
   * rate, and no more than its connection cap (they take the slots as they free up).
   */
  capacityWithin(group: string, horizonMs: number): number {
    const now = this.options.clock.now();
    const g = this.group(group, now);
    const { connections } = this.options.limits(group);
    if (Math.max(g.pausedUntil, g.nextStartAt) - now > horizonMs) return 0;
    const byCap = connections > 0 ? connections : Number.POSITIVE_INFINITY;
    const byRate = g.rate ? Math.max(0, Math.floor(((horizonMs - Math.max(0, g.nextStartAt - now)) * g.rate) / 1000) + 1) : Number.POSITIVE_INFINITY;
    return Math.min(byCap, byRate);
  }

  /** A message of `group` goes to the transport now. */
  start(group: string): PaceTicket {
    const now = this.options.clock.now();
    const g = this.group(group, now);
    g.inFlight++;
    if (g.rate) g.nextStartAt = Math.max(now, g.nextStartAt) + 1000 / g.rate;
    const second = Math.floor(now / 1000);
    const last = g.starts.at(-1);
    if (last && last[0] === second) last[1]++;
    else g.starts.push([second, 1]);
    g.firstStartAt ??= now;
    return { group, startedAt: now };
  }

  /**
   * The message came back. `throttledUntil`: the provider said "slow down" (reset at that time): the group's rate
   * halves (once per throttle: answers to messages already in flight when it was slowed only extend the wait) and it
   * starts nothing before the reset. Returns whether this answer slowed the group down.
   */
  finished(ticket: PaceTicket, throttledUntil?: number): boolean {
    const now = this.options.clock.now();
    const g = this.group(ticket.group, now);
    g.inFlight = Math.max(0, g.inFlight - 1);
    let slowed = false;
    if (throttledUntil !== undefined) {
      g.pausedUntil = Math.max(g.pausedUntil, throttledUntil);
      if (!g.backoff || ticket.startedAt > g.backoff.throttledAt) {
        const current = g.rate ?? Math.max(MIN_RATE_PER_SECOND, this.observedRate(g, now));
        const base = this.options.limits(ticket.group).ratePerSecond;
        const target = g.backoff?.target ?? (base > 0 ? base : current);
        g.rate = Math.max(MIN_RATE_PER_SECOND, current / 2);
        g.backoff = { target, lastChangeAt: now, throttledAt: now };
        g.nextStartAt = Math.max(g.nextStartAt, g.pausedUntil);
        slowed = true;
      }
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return slowed;
  }

  /** Resolves at the next finish anywhere in the process: a group at its cap may then have room. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  state(group: string): PaceState {
    const now = this.options.clock.now();
    const g = this.group(group, now);
    return {
      inFlight: g.inFlight,
      ...(g.rate ? { ratePerSecond: g.rate } : {}),
      ...(g.backoff ? { backoff: { targetPerSecond: g.backoff.target, pausedUntil: g.pausedUntil } } : {}),
    };
  }

  /** Groups that cannot start anything within `horizonMs` (waiting out a throttle, or a rate slower than that). */
  pausedBeyond(horizonMs: number): Set<string> {
    const now = this.options.clock.now();
    return new Set([...this.groups.keys()].filter((name) => {
      const g = this.group(name, now);
      return Math.max(g.pausedUntil, g.nextStartAt) - now > horizonMs;
    }));
  }

  /** The group's state, with its ramp brought up to `now`. */
  private group(name: string, now: number): Group {
    let g = this.groups.get(name);
    if (!g) {
      const base = this.options.limits(name).ratePerSecond;
      g = { inFlight: 0, nextStartAt: 0, pausedUntil: 0, starts: [], ...(base > 0 ? { rate: base } : {}) };
      this.groups.set(name, g);
    }
    const { backoff } = g;
    if (backoff && now >= g.pausedUntil) {
      // One step per quiet interval since the last change (a group idle for a while catches up at once).
      const steps = Math.floor((now - Math.max(backoff.lastChangeAt, g.pausedUntil)) / this.options.rampEveryMs);
      if (steps > 0) {
        g.rate = Math.min(backoff.target, (g.rate ?? backoff.target) + (steps * backoff.target) / 8);
        backoff.lastChangeAt = Math.max(backoff.lastChangeAt, g.pausedUntil) + steps * this.options.rampEveryMs;
        if (g.rate >= backoff.target) {
          // Back where it was: its own rate, or none.
          const base = this.options.limits(name).ratePerSecond;
          g.rate = base > 0 ? base : undefined;
          g.backoff = undefined;
        }
      }
    }
    const oldest = Math.floor((now - OBSERVE_MS) / 1000);
    while (g.starts.length > 0 && g.starts[0][0] < oldest) g.starts.shift();
    return g;
  }

  private observedRate(g: Group, now: number): number {
    const count = g.starts.reduce((sum, [, n]) => sum + n, 0);
    const spanMs = Math.min(OBSERVE_MS, Math.max(1000, now - (g.firstStartAt ?? now)));
    return (count * 1000) / spanMs;
  }
}
