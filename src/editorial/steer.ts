// Use cases that steer a dispatch: reschedule or release it before it starts, pause and resume it while it runs.
// Each is one guarded status change (src/dispatch/dispatch-control.ts) plus the queue work that goes with it.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ControlOutcome } from '../dispatch/dispatch-control.js';
import { pauseDispatch, resumeDispatch } from '../dispatch/pause-resume.js';
import { releaseDispatch, rescheduleDispatch, type RescheduleInput } from '../dispatch/reschedule.js';
import type { Queues } from '../queue/queues.js';
import type { Clock } from '../runtime/clock.js';

export interface SteerDeps {
  db: Kysely<Database>;
  queues: Queues;
  /** The clock waves are timed on; the system clock unless a test sets one. */
  clock?: Clock;
}

/** A new time for a dispatch that has not started (its start job moves with it), or for a local-time one's unsent waves. */
export function reschedule(deps: SteerDeps, id: number, input: RescheduleInput, cause: string): Promise<ControlOutcome> {
  return rescheduleDispatch(deps.db, deps.queues.dispatch, id, input, cause, deps.clock);
}

/** A held dispatch goes out now. */
export function release(deps: SteerDeps, id: number, cause: string): Promise<ControlOutcome> {
  return releaseDispatch(deps.db, deps.queues.dispatch, id, cause);
}

/** A running dispatch stops claiming; what is in flight finishes. */
export function pause(deps: SteerDeps, id: number, cause: string): Promise<ControlOutcome> {
  return pauseDispatch(deps.db, id, cause);
}

/** A paused dispatch carries on where it stopped, without duplicates. */
export function resume(deps: SteerDeps, id: number, cause: string): Promise<ControlOutcome> {
  return resumeDispatch(deps.db, deps.queues, id, cause, deps.clock);
}
