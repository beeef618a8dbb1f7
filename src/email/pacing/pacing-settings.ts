// The settings of per-provider pacing and the warm-up (merged into the one schema in src/config/config.ts), their
// built-in defaults, and what the batch sender is built from.
import { z } from 'zod';
import { optionalString, positiveInt, type SettingProblem } from '../../config/env-values.js';
import type { PaceLimits } from './provider-pacer.js';
import { BUILT_IN_GROUPS, BUILT_IN_GROUP_NAMES, OTHER_GROUP, parseProviderGroups, type ProviderGroup } from './provider-groups.js';
import { parseWarmupCaps, type WarmupSchedule } from './warmup-schedule.js';

/**
 * Messages in flight per group in one process, before any setting: what the big providers take from one sender
 * without complaint. Rates start unlimited: a provider's "slow down" finds its rate (and halves it) better than a guess.
 */
export const DEFAULT_LIMITS: Record<string, PaceLimits> = {
  gmail: { connections: 20, ratePerSecond: 0 },
  outlook: { connections: 10, ratePerSecond: 0 },
  yahoo: { connections: 5, ratePerSecond: 0 },
  icloud: { connections: 5, ratePerSecond: 0 },
  [OTHER_GROUP]: { connections: 0, ratePerSecond: 0 },
};

/** A zod transform that turns a parser's thrown message into the setting's problem. */
const parsed = <T>(parse: (value: string) => T) => (value: string, ctx: z.RefinementCtx): T => {
  try {
    return parse(value);
  } catch (error) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    return z.NEVER;
  }
};

/** `gmail=20:50, yahoo=5:10`: a group, its connections and its messages per second (0: none of its own). */
function parseLimits(value: string): Record<string, PaceLimits> {
  const limits: Record<string, PaceLimits> = {};
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const match = /^([a-z0-9][a-z0-9_-]*)\s*=\s*(\d+)\s*:\s*(\d+(?:\.\d+)?)$/.exec(entry.toLowerCase());
    if (!match) throw new Error(`"${entry}" is not group=connections:rate, e.g. gmail=20:50`);
    limits[match[1]] = { connections: Number(match[2]), ratePerSecond: Number(match[3]) };
  }
  return limits;
}

export const pacingSettings = {
  /**
   * Provider groups of the operator's own, paced apart from the rest: `name=domain|domain|mx:suffix, …` (a domain
   * exactly, or every domain whose MX host ends in the suffix). Tried before the built-in gmail, outlook, yahoo and icloud.
   */
  EMAIL_PROVIDER_GROUPS: z.string().optional().transform((v, ctx) => (v ? parsed(parseProviderGroups)(v, ctx) : [])),
  /** Per group, `group=connections:rate` (0: none of its own), over DEFAULT_LIMITS; `other` is every other domain. */
  EMAIL_PROVIDER_LIMITS: z.string().optional().transform((v, ctx) => (v ? parsed(parseLimits)(v, ctx) : {})),
  /** After a throttle, a group's rate rises by an eighth of where it was every this many ms without another. */
  EMAIL_PACE_RAMP_MS: positiveInt(30_000),
  /** How long a domain's provider group, found by its MX hosts, is kept. */
  EMAIL_MX_CACHE_SECONDS: positiveInt(3600),
  /** Longest wait for one MX lookup; a domain whose lookup fails is `other` for five minutes. */
  EMAIL_MX_LOOKUP_TIMEOUT_MS: positiveInt(3000),
  /** Warm-up: daily caps of a new sending domain, day 1 first (`500,1000,2000`); after the last day, no cap. */
  HERALD_WARMUP_SCHEDULE: z.string().optional().transform((v, ctx) => (v ? parsed(parseWarmupCaps)(v, ctx) : undefined)),
  /** Warm-up: day 1 of HERALD_WARMUP_SCHEDULE (`YYYY-MM-DD`, UTC). */
  HERALD_WARMUP_START: optionalString.pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-01')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'must be a real date').optional()),
  /**
   * How often a batch waiting for the next day's warm-up cap looks again (it goes at the day's start anyway): a raised
   * schedule or a removed warm-up is picked up within this.
   */
  HERALD_WARMUP_RECHECK_MS: positiveInt(60_000),
};

const schema = z.object(pacingSettings);
type PacingEnv = z.output<typeof schema>;

export function pacingProblems(s: PacingEnv): SettingProblem[] {
  const known = new Set([...BUILT_IN_GROUP_NAMES, ...s.EMAIL_PROVIDER_GROUPS.map((g) => g.name)]);
  const unknown = Object.keys(s.EMAIL_PROVIDER_LIMITS).filter((name) => !known.has(name));
  return [
    ...(unknown.length > 0 ? [{ variable: 'EMAIL_PROVIDER_LIMITS', message: `names no provider group: ${unknown.join(', ')} (known: ${[...known].join(', ')})` }] : []),
    ...(Boolean(s.HERALD_WARMUP_SCHEDULE) !== Boolean(s.HERALD_WARMUP_START)
      ? [{ variable: 'HERALD_WARMUP_START', message: 'HERALD_WARMUP_SCHEDULE and HERALD_WARMUP_START go together' }] : []),
  ];
}

/** The groups in the order they are tried: the operator's first, then the built-in ones. */
export function providerGroupsOf(s: PacingEnv): ProviderGroup[] {
  return [...s.EMAIL_PROVIDER_GROUPS, ...BUILT_IN_GROUPS];
}

/** Each group's limits: its setting, else its default, else the `other` group's. */
export function paceLimitsOf(s: PacingEnv): (group: string) => PaceLimits {
  return (group) => s.EMAIL_PROVIDER_LIMITS[group] ?? DEFAULT_LIMITS[group] ?? s.EMAIL_PROVIDER_LIMITS[OTHER_GROUP] ?? DEFAULT_LIMITS[OTHER_GROUP];
}

export function warmupScheduleOf(s: PacingEnv): WarmupSchedule | undefined {
  return s.HERALD_WARMUP_SCHEDULE && s.HERALD_WARMUP_START ? { start: s.HERALD_WARMUP_START, caps: s.HERALD_WARMUP_SCHEDULE } : undefined;
}
