// A clock a test sets to the moment it needs; it then runs on at real speed, so BullMQ's delays still elapse.
import type { Clock } from '../../src/runtime/clock.js';

export class TestClock implements Clock {
  private offsetMs = 0;

  /** From now on, now() reads `at` plus the real time that passes. */
  set(at: Date | string): void {
    this.offsetMs = new Date(at).getTime() - Date.now();
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }
}
