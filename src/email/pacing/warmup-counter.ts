// The warm-up's shared daily count: a run reserves slots of today's cap in the database before it claims that many
// deliveries, and gives back what it did not hand to the transport. One row per sending domain and UTC day
// (migration 0013), so every batch and process shares the cap; a crash between reserve and give-back only sends fewer.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../../runtime/clock.js';
import { capOn, dayOf, nextDayStart, type WarmupSchedule } from './warmup-schedule.js';

/** Slots of one day's cap, held by a run. */
export interface WarmupGrant {
  day: string;
  granted: number;
  /** The cap is spent for `day`: what is left waits until `resumeAt`. */
  exhausted?: { cap: number; resumeAt: number };
}

export class WarmupCounter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly schedule: WarmupSchedule,
    private readonly sendingDomain: string,
    private readonly clock: Clock,
  ) {}

  /** Reserves up to `wanted` of today's slots (all of them once the schedule is over). */
  async reserve(wanted: number): Promise<WarmupGrant> {
    const now = this.clock.now();
    const day = dayOf(now);
    const cap = capOn(this.schedule, day);
    if (cap === undefined) return { day, granted: wanted };
    await this.db.insertInto('warmupDays').values({ sendingDomain: this.sendingDomain, day, sent: 0 })
      .onConflict((oc) => oc.columns(['sendingDomain', 'day']).doNothing()).execute();
    // The row is locked by the CTE, so concurrent reservations take turns and never grant past the cap together.
    const result = await sql<{ granted: number }>`
      with cur as (
        select sent from warmup_days where sending_domain = ${this.sendingDomain} and day = ${day}::date for update
      )
      update warmup_days w set sent = w.sent + greatest(0, least(${wanted}::int, ${cap}::int - cur.sent))
      from cur where w.sending_domain = ${this.sendingDomain} and w.day = ${day}::date
      returning greatest(0, least(${wanted}::int, ${cap}::int - cur.sent)) as granted
    `.execute(this.db);
    const granted = Number(result.rows[0]?.granted ?? 0);
    return granted < wanted ? { day, granted, exhausted: { cap, resumeAt: nextDayStart(now) } } : { day, granted };
  }

  /** Gives back slots a run reserved and did not use (claimed readers who had left, a run handed back). */
  async release(day: string, unused: number): Promise<void> {
    if (unused <= 0 || capOn(this.schedule, day) === undefined) return;
    await sql`update warmup_days set sent = greatest(0, sent - ${unused}::int)
      where sending_domain = ${this.sendingDomain} and day = ${day}::date`.execute(this.db);
  }

  /** Messages counted against `day`'s cap so far. */
  async sentOn(day: string): Promise<number> {
    const row = await sql<{ sent: number }>`select sent from warmup_days
      where sending_domain = ${this.sendingDomain} and day = ${day}::date`.execute(this.db);
    return Number(row.rows[0]?.sent ?? 0);
  }
}
