// Use case: cancel a dispatch that has not finished, and say how many deliveries went out before it took hold.
import type { Kysely } from 'kysely';
import type { Database, DispatchStatus } from '../db/schema.js';
import { cancelDispatch, findDispatch } from '../dispatch/dispatch-repository.js';
import { cancelReport, type CancelReport } from '../dispatch/pause-resume.js';
import { jobIds, type Queues } from '../queue/queues.js';

export interface CancelDeps {
  db: Kysely<Database>;
  queues: Pick<Queues, 'dispatch'>;
}

export type CancelOutcome =
  | { kind: 'cancelled'; report: CancelReport }
  | { kind: 'not-found' }
  /** Already finished (completed, failed or cancelled before): nothing changed. */
  | { kind: 'wrong-status'; status: DispatchStatus };

export async function cancel(deps: CancelDeps, id: number, cause: string): Promise<CancelOutcome> {
  const cancelled = await cancelDispatch(deps.db, id, cause);
  if (!cancelled) {
    const current = await findDispatch(deps.db, id);
    return current ? { kind: 'wrong-status', status: current.status } : { kind: 'not-found' };
  }
  // The row is the source of truth; removing a still-delayed start job just saves a wake-up.
  await deps.queues.dispatch.remove(jobIds.dispatchStart(id)).catch(() => 0);
  // Its cancelled waves' delayed jobs too (cancelDispatch marked the rows).
  const waves = await deps.db.selectFrom('dispatchWaves').select('waveNo').where('dispatchId', '=', id).where('status', '=', 'cancelled').execute();
  for (const { waveNo } of waves) await deps.queues.dispatch.remove(jobIds.wave(id, waveNo)).catch(() => 0);
  // What went out before the cancel took hold (deliveries in flight awaited).
  const report = await cancelReport(deps.db, id);
  return report ? { kind: 'cancelled', report } : { kind: 'not-found' };
}
