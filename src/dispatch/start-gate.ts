// The moment a start job fires, decided against the row: too early (the row was rescheduled), too late (Herald was
// down longer than HERALD_MAX_LATENESS_MINUTES: held for an editor), or due, in which case the row is claimed.
import type { Kysely } from 'kysely';
import type { Database, DispatchRow, DispatchStatus } from '../db/schema.js';
import { lockDispatch, setDispatchStatus } from './dispatch-control.js';
import { TRANSITIONS } from './lifecycle.js';

/** A delayed job may wake a little before its time (clocks of Redis and Node differ); that still counts as due. */
export const EARLY_TOLERANCE_MS = 1000;

export type StartGate =
  | { kind: 'claimed'; dispatch: DispatchRow }
  /** The row says later: the job must wait until `at` (a reschedule whose job update did not land). */
  | { kind: 'early'; at: Date }
  | { kind: 'held'; dueAt: Date; lateMinutes: number }
  /** Not scheduled or pending any more (started by another job, cancelled, held): startDispatch decides. */
  | { kind: 'not-claimable'; status: DispatchStatus | 'missing' };

/**
 * Checks the time and claims (scheduled/pending → running, or → held) under one row lock, so a reschedule or
 * cancel can never slip in between the check and the claim. startDispatch then reads the row running, as it does
 * for a re-run job, and sets its channels going; it claims nothing itself.
 */
export async function claimDueDispatch(
  db: Kysely<Database>,
  id: number,
  options: { now: Date; maxLatenessMs: number },
): Promise<StartGate> {
  const now = options.now.getTime();
  return db.transaction().execute(async (tx) => {
    const row = await lockDispatch(tx, id);
    if (!row) return { kind: 'not-claimable', status: 'missing' } as const;
    if (!(TRANSITIONS.start.from as readonly string[]).includes(row.status)) return { kind: 'not-claimable', status: row.status } as const;
    if (row.scheduledAt && row.scheduledAt.getTime() - now > EARLY_TOLERANCE_MS) return { kind: 'early', at: row.scheduledAt } as const;

    // Due since its scheduled time, or since it was published when it had none.
    const dueAt = row.scheduledAt ?? row.createdAt;
    const lateMs = now - dueAt.getTime();
    const held = lateMs > options.maxLatenessMs;
    const lateMinutes = Math.floor(lateMs / 60_000);
    const to: DispatchStatus = held ? 'held' : 'running';
    const error = held
      ? `due at ${dueAt.toISOString()} but Herald only got to it ${lateMinutes} minutes later; held for an editor to release, reschedule or cancel`
      : null;
    const dispatch = await setDispatchStatus(tx, row, to, {
      cause: 'scheduler',
      ...(held ? { set: { error }, detail: { dueAt: dueAt.toISOString(), lateMinutes } } : {}),
    });
    return held ? ({ kind: 'held', dueAt, lateMinutes } as const) : ({ kind: 'claimed', dispatch } as const);
  });
}
