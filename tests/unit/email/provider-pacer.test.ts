// The pace of a provider group: its connection cap and rate, what a throttle does (rate halved, the reset waited
// out, once per throttle), the gradual ramp back, and that other groups never notice. On a clock the test moves.
import { describe, expect, it } from 'vitest';
import { ProviderPacer, type PaceLimits } from '../../../src/email/pacing/provider-pacer.js';

class ManualClock {
  at = 1_000_000;
  now = () => this.at;
  advance(ms: number) {
    this.at += ms;
  }
}

const limits: Record<string, PaceLimits> = {
  gmail: { connections: 2, ratePerSecond: 0 },
  yahoo: { connections: 0, ratePerSecond: 10 },
  other: { connections: 0, ratePerSecond: 0 },
};
const pacerOn = (clock: ManualClock) => new ProviderPacer({ limits: (g) => limits[g] ?? limits.other, rampEveryMs: 1000, clock });

describe('ProviderPacer', () => {
  it('holds a group at its connection cap until one of its messages comes back', () => {
    const clock = new ManualClock();
    const pacer = pacerOn(clock);
    const a = pacer.start('gmail');
    pacer.start('gmail');
    expect(pacer.waitMs('gmail')).toBe(Number.POSITIVE_INFINITY);
    expect(pacer.waitMs('other')).toBe(0);
    pacer.finished(a);
    expect(pacer.waitMs('gmail')).toBe(0);
  });

  it('spaces a group with a rate', () => {
    const clock = new ManualClock();
    const pacer = pacerOn(clock);
    pacer.start('yahoo');
    expect(pacer.waitMs('yahoo')).toBe(100);
    clock.advance(100);
    expect(pacer.waitMs('yahoo')).toBe(0);
    // Within one second, it could start ten more.
    expect(pacer.capacityWithin('yahoo', 1000)).toBe(11);
  });

  it('halves only the throttled group, waits out the reset, then ramps back a step at a time', () => {
    const clock = new ManualClock();
    const pacer = pacerOn(clock);
    const tickets = Array.from({ length: 3 }, () => pacer.start('yahoo'));
    expect(pacer.finished(tickets[0], clock.now() + 5000)).toBe(true);
    expect(pacer.state('yahoo')).toEqual({ inFlight: 2, ratePerSecond: 5, backoff: { targetPerSecond: 10, pausedUntil: clock.now() + 5000 } });
    // Answers to messages already in flight when it slowed down do not halve it again.
    expect(pacer.finished(tickets[1], clock.now() + 6000)).toBe(false);
    expect(pacer.state('yahoo').ratePerSecond).toBe(5);
    expect(pacer.waitMs('yahoo')).toBe(6000);
    expect(pacer.pausedBeyond(1000)).toEqual(new Set(['yahoo']));
    expect(pacer.waitMs('other')).toBe(0);

    clock.advance(6000);
    expect(pacer.waitMs('yahoo')).toBe(0);
    expect(pacer.state('yahoo').ratePerSecond).toBe(5);
    clock.advance(1000);
    expect(pacer.state('yahoo').ratePerSecond).toBe(6.25);
    clock.advance(2000);
    expect(pacer.state('yahoo').ratePerSecond).toBe(8.75);
    clock.advance(1000);
    expect(pacer.state('yahoo')).toEqual({ inFlight: 1, ratePerSecond: 10 });
  });

  it('halves a group without a rate of its own from what it was sending, and lifts the limit once back there', () => {
    const clock = new ManualClock();
    const pacer = pacerOn(clock);
    let last = pacer.start('other');
    for (let i = 0; i < 199; i++) {
      clock.advance(25);
      pacer.finished(last);
      last = pacer.start('other');
    }
    // 200 starts in 5 s: 40 a second, so 20 after the throttle.
    pacer.finished(last, clock.now() + 1000);
    const slowed = pacer.state('other');
    expect(slowed.ratePerSecond).toBeCloseTo(20, 0);
    expect(slowed.backoff?.targetPerSecond).toBeCloseTo(40, 0);
    clock.advance(1000 + 8 * 1000);
    expect(pacer.state('other')).toEqual({ inFlight: 0 });
    expect(pacer.waitMs('other')).toBe(0);
  });

  it('halves again on a throttle after it slowed down, never below one a second', () => {
    const clock = new ManualClock();
    const pacer = pacerOn(clock);
    for (let i = 0; i < 6; i++) {
      const ticket = pacer.start('yahoo');
      pacer.finished(ticket, clock.now() + 10);
      clock.advance(200);
    }
    expect(pacer.state('yahoo').ratePerSecond).toBe(1);
    expect(pacer.state('yahoo').backoff?.targetPerSecond).toBe(10);
  });
});
