// Moving a dispatch in time before it starts: reschedule to another moment, or release a held one to go now; and
// moving the unsent waves of a running local-time dispatch to another local time.
import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, DispatchRow, DispatchStatus } from '../db/schema.js';
import { changeDispatch, type ControlOutcome } from './dispatch-control.js';
import { TRANSITIONS } from './lifecycle.js';
import { resolveScheduledTime, scheduleInput } from './schedule.js';
import { placeStartJob } from './start-job.js';
import { localTimeInput } from './local-time.js';
import { placeWaveJob } from './wave-jobs.js';
import { moveUnsentWaves } from './waves.js';
import { systemClock, type Clock } from '../runtime/clock.js';

/** Not started yet: the new time still reaches every channel. */
export const RESCHEDULABLE: readonly DispatchStatus[] = TRANSITIONS.reschedule.from;

/** A time this far in the past is taken as "now" (a form submitted a little late); anything older is refused. */
const PAST_GRACE_MS = 5 * 60_000;

function notLongPast(s: { at?: string; timezone?: string }): boolean {
  if (!s.at) return true;
  try {
    return resolveScheduledTime(s.at, s.timezone).getTime() > Date.now() - PAST_GRACE_MS;
  } catch {
    return true; // a malformed time is reported by the field's own check
  }
}

export const rescheduleInput = scheduleInput
  .partial({ at: true })
  .extend({
    /** "HH:MM": the email goes out at that time in each reader's zone; on a running dispatch it moves the unsent waves. */
    localTime: localTimeInput.optional(),
  })
  .refine((s) => s.at !== undefined || s.localTime !== undefined, { message: 'is required (or localTime)', path: ['at'] })
  .refine(notLongPast, {
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
  clock: Clock = systemClock,
): Promise<ControlOutcome> {
  const current = await db.selectFrom('dispatches').select(['status', 'localTime']).where('id', '=', id).executeTakeFirst();
  if (current?.localTime && input.localTime && WAVES_MOVABLE.includes(current.status)) return rescheduleWaves(db, startQueue, id, input.localTime, cause, clock);
  if (!input.at) {
    // Only the local time of a dispatch not started yet: its start stays where it is.
    return changeDispatch(db, id, {
      from: RESCHEDULABLE,
      to: (row) => row.status,
      cause,
      event: 'dispatch.rescheduled',
      set: { localTime: input.localTime },
      detail: { localTime: input.localTime },
    });
  }
  const requested = resolveScheduledTime(input.at, input.timezone);
  const at = new Date(Math.max(requested.getTime(), Date.now()));
  const outcome = await changeDispatch(db, id, {
    from: RESCHEDULABLE,
    to: () => (at.getTime() > Date.now() ? 'scheduled' : 'pending'),
    cause,
    event: 'dispatch.rescheduled',
    set: { scheduledAt: at, timezone: input.timezone ?? null, error: null, ...(input.localTime ? { localTime: input.localTime } : {}) },
    detail: { at: at.toISOString(), timezone: input.timezone ?? null, ...(input.localTime ? { localTime: input.localTime } : {}) },
  });
  if (outcome.kind === 'done') await moveStartJob(db, startQueue, outcome.dispatch, at);
  return outcome;
}

/** A running (or paused) local-time dispatch whose waves are planned: a new local time moves the waves not yet sent. */
const WAVES_MOVABLE: readonly DispatchStatus[] = ['running', 'paused'];

async function rescheduleWaves(db: Kysely<Database>, queue: Queue, id: number, localTime: string, cause: string, clock: Clock): Promise<ControlOutcome> {
  const outcome = await changeDispatch(db, id, {
    from: WAVES_MOVABLE,
    to: (row) => row.status,
    cause,
    event: 'dispatch.rescheduled',
    detail: { localTime },
  });
  if (outcome.kind !== 'done') return outcome;
  if (!outcome.dispatch.localTime) return { kind: 'wrong-status', status: outcome.dispatch.status };
  for (const wave of await moveUnsentWaves(db, id, localTime, new Date(clock.now()))) await placeWaveJob(queue, wave, outcome.dispatch.priority, clock);
  return { ...outcome, dispatch: { ...outcome.dispatch, localTime } };
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
