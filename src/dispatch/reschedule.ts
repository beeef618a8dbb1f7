// Moving a dispatch in time before it starts: reschedule to another moment, or release a held one to go now.
import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, DispatchRow, DispatchStatus } from '../db/schema.js';
import { changeDispatch, type ControlOutcome } from './dispatch-control.js';
import { TRANSITIONS } from './lifecycle.js';
import { resolveScheduledTime, scheduleInput } from './schedule.js';
import { placeStartJob } from './start-job.js';

/** Not started yet: the new time still reaches every channel. */
export const RESCHEDULABLE: readonly DispatchStatus[] = TRANSITIONS.reschedule.from;

/** A time this far in the past is taken as "now" (a form submitted a little late); anything older is refused. */
const PAST_GRACE_MS = 5 * 60_000;

function notLongPast(s: { at: string; timezone?: string }): boolean {
  try {
    return resolveScheduledTime(s.at, s.timezone).getTime() > Date.now() - PAST_GRACE_MS;
  } catch {
    return true; // a malformed time is reported by the field's own check
  }
}

export const rescheduleInput = scheduleInput.refine(notLongPast, {
  message: 'is in the past; pick a later time (or release a held dispatch to send it now)',
  path: ['at'],
});

export type RescheduleInput = z.infer<typeof rescheduleInput>;

export async function rescheduleDispatch(
  db: Kysely<Database>,
  startQueue: Queue,
  id: number,
  input: RescheduleInput,
  cause: string,
): Promise<ControlOutcome> {
  const requested = resolveScheduledTime(input.at, input.timezone);
  const at = new Date(Math.max(requested.getTime(), Date.now()));
  const outcome = await changeDispatch(db, id, {
    from: RESCHEDULABLE,
    to: () => (at.getTime() > Date.now() ? 'scheduled' : 'pending'),
    cause,
    event: 'dispatch.rescheduled',
    set: { scheduledAt: at, timezone: input.timezone ?? null, error: null },
    detail: { at: at.toISOString(), timezone: input.timezone ?? null },
  });
  if (outcome.kind === 'done') await moveStartJob(db, startQueue, outcome.dispatch, at);
  return outcome;
}

/** A held dispatch goes out now: its time becomes now, so the lateness rule lets it through. */
export async function releaseDispatch(db: Kysely<Database>, startQueue: Queue, id: number, cause: string): Promise<ControlOutcome> {
  const now = new Date();
  const outcome = await changeDispatch(db, id, {
    from: ['held'],
    to: 'pending',
    cause,
    event: 'dispatch.released',
    set: { scheduledAt: now, error: null },
  });
  if (outcome.kind === 'done') {
    await moveStartJob(db, startQueue, outcome.dispatch, now);
    // The original time stays in the event log (dispatch.created / dispatch.rescheduled).
  }
  return outcome;
}

async function moveStartJob(db: Kysely<Database>, queue: Queue, { id, priority }: DispatchRow, at: Date): Promise<void> {
  // If Redis is down this throws after the row changed; the relay would not re-add a job it believes exists, so the
  // row is marked unqueued first and the relay takes over when the add fails.
  await db.updateTable('dispatches').set({ enqueuedAt: null }).where('id', '=', id).execute();
  await placeStartJob(queue, id, at, priority);
  await db.updateTable('dispatches').set({ enqueuedAt: new Date() }).where('id', '=', id).execute();
}
