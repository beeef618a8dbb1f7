// The circuit breaker's states over a held clock: a run of failures opens it (a success in between resets the run),
// an account block opens it at once, the cool-down makes it half-open for one probe at a time, and the probe's
// answer closes it or opens it for another cool-down.
import { describe, expect, it } from 'vitest';
import { type BreakerState, CircuitBreaker } from '../../../src/email/transports/circuit-breaker.js';

function breaker(failureThreshold = 3, coolDownMs = 10_000) {
  const clock = { ms: 1_000_000 };
  const changes: [BreakerState, BreakerState][] = [];
  const b = new CircuitBreaker({ failureThreshold, coolDownMs, now: () => clock.ms, onChange: (from, to) => changes.push([from, to]) });
  return { b, clock, changes };
}

describe('CircuitBreaker', () => {
  it('opens after the configured run of failures, and a success in between starts the run over', () => {
    const { b, changes } = breaker(3);
    b.failed();
    b.failed();
    b.succeeded();
    b.failed();
    b.failed();
    expect(b.state()).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    b.failed();
    expect(b.state()).toBe('open');
    expect(b.openReason()).toBe('failures');
    expect(b.tryAcquire()).toBe(false);
    expect(changes).toEqual([['closed', 'open']]);
  });

  it('opens at once when the account is blocked', () => {
    const { b } = breaker(5);
    b.blocked();
    expect(b.state()).toBe('open');
    expect(b.openReason()).toBe('blocked');
  });

  it('lets one probe through after the cool-down, and closes when it succeeds', () => {
    const { b, clock, changes } = breaker(1, 10_000);
    b.failed();
    const openedAt = b.openedSince();
    clock.ms += 9_999;
    expect(b.tryAcquire()).toBe(false);
    clock.ms += 1;
    expect(b.state()).toBe('half_open');
    expect(b.openedSince()).toEqual(openedAt);
    expect(b.tryAcquire()).toBe(true);
    // The probe is in flight: nobody else goes through until it is answered.
    expect(b.tryAcquire()).toBe(false);
    b.succeeded();
    expect(b.state()).toBe('closed');
    expect(b.openReason()).toBeUndefined();
    expect(b.tryAcquire()).toBe(true);
    expect(changes).toEqual([['closed', 'open'], ['open', 'half_open'], ['half_open', 'closed']]);
  });

  it('opens again for a whole cool-down when the probe fails', () => {
    const { b, clock } = breaker(3, 10_000);
    b.blocked();
    clock.ms += 10_000;
    expect(b.tryAcquire()).toBe(true);
    b.failed();
    expect(b.state()).toBe('open');
    expect(b.openReason()).toBe('failures');
    clock.ms += 9_000;
    expect(b.state()).toBe('open');
    clock.ms += 1_000;
    expect(b.state()).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
  });

  it('closes from open when a message sent through it anyway is accepted', () => {
    const { b } = breaker(1);
    b.failed();
    b.succeeded();
    expect(b.state()).toBe('closed');
  });
});
