// One run's share of the warm-up cap: slots of today's cap reserved before a claim (src/email/pacing/warmup-counter.ts),
// the ones the run did not hand to the transport given back when it ends. Without a warm-up schedule it allows all.
import type { Clock } from '../../runtime/clock.js';
import type { WarmupCounter } from './warmup-counter.js';
import { dayOf } from './warmup-schedule.js';

export class WarmupAllowance {
  /** Slots of `day` this run reserved and has not handed to the transport; `wait`: the day's cap is spent. */
  private held: { day: string; unused: number; wait?: { cap: number; resumeAt: number } } | undefined;

  constructor(private readonly counter: WarmupCounter | undefined, private readonly clock: Clock) {}

  /** How many of `wanted` the run may claim now, reserved from today's cap. */
  async take(wanted: number): Promise<number> {
    if (!this.counter) return wanted;
    const today = dayOf(this.clock.now());
    if (this.held?.wait && this.held.day === today) return 0; // spent: no need to ask again today
    const grant = await this.counter.reserve(wanted);
    const held = this.held;
    if (held && held.day !== grant.day) await this.counter.release(held.day, held.unused);
    this.held = { day: grant.day, unused: (held?.day === grant.day ? held.unused : 0) + grant.granted };
    if (grant.exhausted) this.held.wait = grant.exhausted;
    return grant.granted;
  }

  /** `n` reserved slots went to readers now being sent. */
  used(n: number): void {
    if (this.held) this.held.unused -= n;
  }

  /** A claimed reader went back to pending unsent: its slot is free again. */
  handedBack(): void {
    if (this.held) this.held.unused++;
  }

  /** Today's cap is spent: what is left of the batch waits until `resumeAt`. */
  get spent(): { cap: number; resumeAt: number } | undefined {
    return this.held?.wait;
  }

  /** The run ends: gives back the slots it did not use. */
  async giveBack(): Promise<void> {
    if (this.counter && this.held) await this.counter.release(this.held.day, this.held.unused);
    if (this.held) this.held.unused = 0;
  }
}
