// How a failed send is classified, once, so every worker reacts the same way.
// Each class is named for what the worker must do next; `code` is stable for logs and the API.

export type FailureKind = 'permanent' | 'transient' | 'rate_limited' | 'uncertain';

export abstract class DeliveryFailure extends Error {
  abstract readonly kind: FailureKind;
  constructor(
    message: string,
    /** Stable machine-readable reason, e.g. `smtp_550`, `x_401`, `network_timeout`. */
    readonly code: string,
    /** What the remote side said (status line, SMTP reply), kept for the editor. */
    readonly response?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Will never succeed as it stands (bad address, revoked credentials, duplicate content): stop, record why. */
export class PermanentFailure extends DeliveryFailure {
  readonly kind = 'permanent' as const;
}

/** Might succeed later (4xx SMTP reply, 5xx HTTP, connection reset before sending): retry with backoff. */
export class TransientFailure extends DeliveryFailure {
  readonly kind = 'transient' as const;
}

/** The remote asked us to slow down: wait until `resetAt` without spending an attempt. */
export class RateLimited extends DeliveryFailure {
  readonly kind = 'rate_limited' as const;
  constructor(message: string, code: string, readonly resetAt: Date, response?: string) {
    super(message, code, response);
  }
}

/** The request may have landed (timeout after sending, connection lost after DATA): never blindly repeat. */
export class UncertainOutcome extends DeliveryFailure {
  readonly kind = 'uncertain' as const;
}
