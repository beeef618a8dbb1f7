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

/** When a dispatch's start job fires, against its row's time: wait, go, or hold for an editor. */
export type StartTiming =
  | { kind: 'early'; at: Date }
  | { kind: 'due' | 'late'; dueAt: Date; lateMinutes: number };

/**
 * The lateness rule, pure. A dispatch is due at its scheduled time, or when it was published if it had none. More
 * than `maxLatenessMs` after that (Herald was down) it is late, held for an editor rather than sent hours off;
 * exactly `maxLatenessMs` late still goes. A job up to EARLY_TOLERANCE_MS before the time counts as due.
 */
export function startTiming(
  row: Pick<DispatchRow, 'scheduledAt' | 'createdAt'>,
  { now, maxLatenessMs }: { now: Date; maxLatenessMs: number },
): StartTiming {
  if (row.scheduledAt && row.scheduledAt.getTime() - now.getTime() > EARLY_TOLERANCE_MS) return { kind: 'early', at: row.scheduledAt };
  const dueAt = row.scheduledAt ?? row.createdAt;
  const lateMs = now.getTime() - dueAt.getTime();
  return { kind: lateMs > maxLatenessMs ? 'late' : 'due', dueAt, lateMinutes: Math.floor(lateMs / 60_000) };
}

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
  return db.transaction().execute(async (tx) => {
    const row = await lockDispatch(tx, id);
    if (!row) return { kind: 'not-claimable', status: 'missing' } as const;
    if (!(TRANSITIONS.start.from as readonly string[]).includes(row.status)) return { kind: 'not-claimable', status: row.status } as const;
    const timing = startTiming(row, options);
    if (timing.kind === 'early') return timing;

    const { dueAt, lateMinutes } = timing;
    const held = timing.kind === 'late';
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
