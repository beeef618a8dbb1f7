// Every status change of a dispatch (start, completion, an editor's reschedule, release, pause, resume, cancel):
// one locked status check and update, with its event, answering why it could not be made.
import { sql, type Kysely, type UpdateObject } from 'kysely';
import type { Database, DispatchRow, DispatchStatus } from '../db/schema.js';
import { recordEvent } from '../events/event-log.js';
import { isFinal } from './lifecycle.js';

export type ControlOutcome =
  | { kind: 'done'; dispatch: DispatchRow; before: Pick<DispatchRow, 'status' | 'scheduledAt'> }
  | { kind: 'not-found' }
  /** The dispatch is in a status this change does not apply to. */
  | { kind: 'wrong-status'; status: DispatchStatus };

export interface DispatchChange {
  from: readonly DispatchStatus[];
  /** The new status; a function of the row when it depends on it (a reschedule into the past is `pending`). */
  to: DispatchStatus | ((row: Pick<DispatchRow, 'status' | 'scheduledAt'>) => DispatchStatus);
  cause: string;
  /** Event name; `dispatch.status` by default. */
  event?: string;
  set?: Omit<UpdateObject<Database, 'dispatches'>, 'status' | 'updatedAt'>;
  detail?: Record<string, unknown>;
}

/**
 * Reads a dispatch and locks its row until the transaction ends: every status change and edit goes through this,
 * so they are serialised and each decides on the row as it is.
 */
export function lockDispatch(tx: Kysely<Database>, id: number): Promise<DispatchRow | undefined> {
  return tx.selectFrom('dispatches').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}


/**
 * Moves a dispatch from one of `from` to `to` under a row lock; returns the row when this caller won the change, so
 * two workers (or a worker and an editor) can never both act on the same transition.
 */
export async function transitionDispatch(
  db: Kysely<Database>,
  id: number,
  from: readonly DispatchStatus[],
  to: DispatchStatus,
  cause: string,
): Promise<DispatchRow | undefined> {
  const outcome = await changeDispatch(db, id, { from, to, cause });
  return outcome.kind === 'done' ? outcome.dispatch : undefined;
}

/**
 * Writes a status change to a row the caller has locked (lockDispatch), with its timestamps and its event.
 * The one place a dispatch's status is written, whether an editor, a worker or the start gate decided it.
 */
export async function setDispatchStatus(
  tx: Kysely<Database>,
  before: DispatchRow,
  to: DispatchStatus,
  change: Pick<DispatchChange, 'cause' | 'event' | 'set' | 'detail'>,
): Promise<DispatchRow> {
  const dispatch = await tx
    .updateTable('dispatches')
    .set({
      ...change.set,
      status: to,
      updatedAt: sql<Date>`now()`,
      ...(to === 'running' ? { startedAt: sql<Date>`coalesce(started_at, now())` } : {}),
      ...(isFinal(to) ? { completedAt: sql<Date>`now()` } : {}),
    })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(tx, {
    subjectType: 'dispatch',
    subjectId: before.id,
    event: change.event ?? 'dispatch.status',
    fromStatus: before.status,
    toStatus: to,
    cause: change.cause,
    ...(change.detail ? { detail: change.detail } : {}),
  });
  return dispatch;
}

export async function changeDispatch(db: Kysely<Database>, id: number, change: DispatchChange): Promise<ControlOutcome> {
  return db.transaction().execute(async (tx) => {
    const before = await lockDispatch(tx, id);
    if (!before) return { kind: 'not-found' } as const;
    if (!change.from.includes(before.status)) return { kind: 'wrong-status', status: before.status } as const;
    const to = typeof change.to === 'function' ? change.to(before) : change.to;
    const dispatch = await setDispatchStatus(tx, before, to, change);
    return { kind: 'done', dispatch, before } as const;
  });
}
