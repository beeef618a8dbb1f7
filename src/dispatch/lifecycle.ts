// A dispatch's lifecycle, declared once: which statuses mean "not started", "active" and "final", and which
// changes are allowed from where. Every status check and transition in Herald reads these sets.
import type { DispatchStatus } from '../db/schema.js';

/** Waiting for its time or for an editor: nothing has been sent, its content and schedule may still change. */
export const NOT_STARTED: readonly DispatchStatus[] = ['scheduled', 'pending', 'held'];
/** Sending, or stopped for a while (by an editor or by the reputation guard). */
export const ACTIVE: readonly DispatchStatus[] = ['running', 'paused'];
/** Nothing will change any more. */
export const FINAL: readonly DispatchStatus[] = ['completed', 'completed_with_failures', 'cancelled', 'failed'];
/** Finished sending (all deliveries have an outcome), with or without failures. */
export const FINISHED: readonly DispatchStatus[] = ['completed', 'completed_with_failures'];

export const isNotStarted = (status: string) => (NOT_STARTED as readonly string[]).includes(status);
export const isFinal = (status: string) => (FINAL as readonly string[]).includes(status);

/** From where each change may be made; `to` is decided by the caller where it depends on the row. */
export const TRANSITIONS = {
  /** The start gate claims a due dispatch. */
  start: { from: ['pending', 'scheduled'], to: 'running' },
  /** Too late to send without an editor. */
  hold: { from: ['pending', 'scheduled'], to: 'held' },
  /** An editor (or the reputation guard) stops sending for a while. */
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: [...NOT_STARTED, ...ACTIVE], to: 'cancelled' },
  /** Only the worker layer makes this change (src/dispatch/complete-dispatch.ts, called from workers/). */
  complete: { from: ['running'], to: ['completed', 'completed_with_failures'] },
  /** An editor moves, releases or edits one that has not started. */
  reschedule: { from: NOT_STARTED },
  edit: { from: NOT_STARTED },
} as const satisfies Record<string, { from: readonly DispatchStatus[]; to?: DispatchStatus | readonly DispatchStatus[] }>;

/** Delivery statuses that count as "did not reach the reader as it should": they make a completion `_with_failures`. */
export const FAILED_DELIVERY_STATUSES = ['failed', 'blocked', 'uncertain'] as const;
