// What the batch sender paces with, built once per process from config: the provider directory (groups, MX cache),
// the pacer (each group's cap, rate and backoff) and, when a warm-up schedule is set, the shared daily counter.
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../../db/schema.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import { MxDirectory, systemMxResolver, type MxResolver } from './mx-directory.js';
import { paceLimitsOf, pacingSettings, providerGroupsOf, warmupScheduleOf } from './pacing-settings.js';
import { ProviderPacer } from './provider-pacer.js';
import { BUILT_IN_GROUPS, domainOf } from './provider-groups.js';
import { WarmupCounter } from './warmup-counter.js';

export interface SendPacing {
  directory: MxDirectory;
  pacer: ProviderPacer;
  /** Set with HERALD_WARMUP_SCHEDULE: today's cap, shared through the database. */
  warmup?: WarmupCounter;
  clock: Clock;
}

type PacingConfig = z.output<z.ZodObject<typeof pacingSettings>> & { MAIL_FROM: string };

/** The sending domain the warm-up counts for: MAIL_FROM's (`Herald <news@example.org>` → example.org). */
export function sendingDomainOf(mailFrom: string): string {
  return domainOf(/<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom);
}

export function sendPacingFrom(
  config: PacingConfig,
  deps: { db: Kysely<Database>; clock?: Clock; resolver?: MxResolver },
): SendPacing {
  const clock = deps.clock ?? systemClock;
  const schedule = warmupScheduleOf(config);
  return {
    directory: new MxDirectory({
      groups: providerGroupsOf(config),
      resolver: deps.resolver ?? systemMxResolver(config.EMAIL_MX_LOOKUP_TIMEOUT_MS),
      ttlMs: config.EMAIL_MX_CACHE_SECONDS * 1000,
      timeoutMs: config.EMAIL_MX_LOOKUP_TIMEOUT_MS,
      clock,
    }),
    pacer: new ProviderPacer({ limits: paceLimitsOf(config), rampEveryMs: config.EMAIL_PACE_RAMP_MS, clock }),
    ...(schedule ? { warmup: new WarmupCounter(deps.db, schedule, sendingDomainOf(config.MAIL_FROM), clock) } : {}),
    clock,
  };
}

/** Pacing that only groups by domain name (no DNS) and limits nothing: a sender built without config (tests). */
export function unlimitedPacing(clock: Clock = systemClock): SendPacing {
  return {
    directory: new MxDirectory({ groups: BUILT_IN_GROUPS, resolver: { resolveMx: async () => [] }, ttlMs: 3_600_000, timeoutMs: 1000, clock }),
    pacer: new ProviderPacer({ limits: () => ({ connections: 0, ratePerSecond: 0 }), rampEveryMs: 30_000, clock }),
    clock,
  };
}
