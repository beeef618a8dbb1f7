// Herald's one failure vocabulary: every transport (SMTP, every social network) throws one of these, already
// classified, and src/queue/job-outcome.ts maps it to what the queue does next. Each class is named for what
// happens next; `kind` is the stable failure code (logs, API, the `deliveries.failure` column), `code` the
// transport's own detail (`smtp_550`, `x_401`, `network_timeout`).

export type FailureKind =
  /** The address does not take mail (hard bounce): stop, the subscriber is bounced. */
  | 'permanent_address'
  /** Refused for the sender's or the content's sake (policy, spam, authentication, duplicate): stop, blame nobody. */
  | 'permanent_policy'
  /** Might succeed later (4xx, connection refused, timeout before the message was handed over): retry with backoff. */
  | 'transient'
  /** The remote asked us to slow down: wait until the reset, no attempt spent. */
  | 'rate_limited'
  /** The message or post may have landed (connection lost after DATA, timeout after the request): never blindly repeat. */
  | 'uncertain';

export abstract class DeliveryFailure extends Error {
  abstract readonly kind: FailureKind;
  constructor(
    message: string,
    /** The transport's own reason, e.g. `smtp_550`, `x_401`, `network_timeout`. */
    readonly code: string,
    /** What the remote side said (status line, SMTP reply), kept for the editor. */
    readonly response?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** `kind code: what the remote said`, as stored in a delivery's last response. */
  describe(): string {
    return `${this.code}: ${this.response ?? this.message}`.slice(0, 1000);
  }
}

/** Will never succeed as it stands and is nobody's address problem (policy block, revoked credentials, duplicate). */
export class PermanentFailure extends DeliveryFailure {
  readonly kind: 'permanent_address' | 'permanent_policy' = 'permanent_policy';
}

/**
 * The sending account itself may not send (suspended, paused, credentials or sender identity refused): nothing can
 * leave through that transport, so its circuit breaker opens at once and the message may go out through another
 * (src/email/transports/failover-transport.ts). Everything else treats it as the policy refusal it also is.
 */
export class TransportBlocked extends PermanentFailure {}

/** The address itself is refused (RFC 3463 5.1.x, "no such user"): stop and bounce the subscriber. */
export class AddressRejected extends PermanentFailure {
  override readonly kind = 'permanent_address' as const;
}

/** Might succeed later: retry with backoff (for email, for as long as SMTP_RETRY_WINDOW_MINUTES allows). */
export class TransientFailure extends DeliveryFailure {
  readonly kind = 'transient' as const;
  constructor(
    message: string,
    code: string,
    response?: string,
    /** The reader's mailbox said "not now" (full, busy: a soft bounce), rather than the connection failing. */
    readonly softBounce = false,
  ) {
    super(message, code, response);
  }
}

/**
 * Who asked to slow down: the `transport` itself (a provider API's account limit: everything it sends waits) or the
 * recipient's mailbox provider, through an SMTP reply to one message (`destination`: only that provider's group
 * waits, src/email/pacing).
 */
export type RateLimitScope = 'transport' | 'destination';

/** The remote asked us to slow down: wait until `resetAt` without spending an attempt. */
export class RateLimited extends DeliveryFailure {
  readonly kind = 'rate_limited' as const;
  constructor(message: string, code: string, readonly resetAt: Date, response?: string, readonly scope: RateLimitScope = 'transport') {
    super(message, code, response);
  }
}

/** The request may have landed (timeout after sending, connection lost after DATA): never blindly repeat. */
export class UncertainOutcome extends DeliveryFailure {
  readonly kind = 'uncertain' as const;
}
