// One transport's health as a circuit breaker: closed (sending), open (not used) after a run of failures or an
// account block, half-open (one probe message at a time) once the cool-down has passed, closed again when a probe
// succeeds. Pure logic over an injected clock; the failover transport asks it and tells it what happened.

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Why an open breaker opened: a run of transient failures, or the transport refusing the account (blocked). */
export type OpenReason = 'failures' | 'blocked';

export interface BreakerOptions {
  /** Transient failures or timeouts in a row (without a success between) that open it. EMAIL_BREAKER_FAILURES, default 5. */
  failureThreshold: number;
  /** How long it stays open before a probe may go through. EMAIL_BREAKER_COOLDOWN_MS, default 30 s. */
  coolDownMs: number;
  /** Milliseconds since the epoch; Date.now unless a test holds the clock. */
  now?: () => number;
  /** Called on every change of state (logs, metrics). */
  onChange?: (from: BreakerState, to: BreakerState, reason?: OpenReason) => void;
}

export class CircuitBreaker {
  private current: 'closed' | 'open' | 'half_open' = 'closed';
  private failures = 0;
  private openedAt = 0;
  private why: OpenReason | undefined;
  /** Half-open: a probe is in flight; no other message goes through until it is answered. */
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state as of now: an open breaker whose cool-down has passed is half-open. */
  state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.coolDownMs) this.move('half_open');
    return this.current;
  }

  /** Why it is open (or half-open after opening); undefined while closed. */
  openReason(): OpenReason | undefined {
    return this.current === 'closed' ? undefined : this.why;
  }

  /** When it last opened; undefined while closed. */
  openedSince(): Date | undefined {
    return this.current === 'closed' ? undefined : new Date(this.openedAt);
  }

  /**
   * May a message go through now? Closed: yes. Half-open: yes for one message at a time, the probe (this call takes
   * the slot; its outcome, reported below, frees it). Open: no.
   */
  tryAcquire(): boolean {
    const state = this.state();
    if (state === 'closed') return true;
    if (state === 'half_open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /** The transport answered as a working transport does (accepted, or refused one address): closes it. */
  succeeded(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== 'closed') this.move('closed');
  }

  /** A transient failure or a timeout: one more in the run; a failed probe opens it again for another cool-down. */
  failed(): void {
    this.failures++;
    this.probing = false;
    if (this.current === 'closed' && this.failures < this.options.failureThreshold) return;
    this.open('failures');
  }

  /** The transport refused the account itself (suspended, bad credentials): open at once. */
  blocked(): void {
    this.probing = false;
    this.open('blocked');
  }

  private open(reason: OpenReason): void {
    this.openedAt = this.now();
    this.why = reason;
    if (this.current !== 'open') this.move('open', reason);
  }

  private move(to: BreakerState, reason?: OpenReason): void {
    const from = this.current;
    this.current = to;
    if (to === 'closed') this.why = undefined;
    this.options.onChange?.(from, to, reason);
  }
}
