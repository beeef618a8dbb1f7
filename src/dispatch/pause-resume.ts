// Pausing and resuming a running dispatch, and what a cancel left behind. Pausing only flips the row: batch and
// social jobs re-read it before every chunk and post, and wait while it says `paused` (workers/*-worker.ts).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { jobIds, type Queues } from '../queue/queues.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { changeDispatch, type ControlOutcome } from './dispatch-control.js';
import { TRANSITIONS } from './lifecycle.js';
import { viewDispatch, type DispatchView } from './dispatch-repository.js';

export async function pauseDispatch(db: Kysely<Database>, id: number, cause: string): Promise<ControlOutcome> {
  return changeDispatch(db, id, { ...TRANSITIONS.pause, cause });
}

/**
 * Back to running. Waiting jobs are woken now rather than at their next re-check, and a `complete` job lets a
 * worker finish a dispatch whose last deliveries ended while it was paused (no other job would look at it again;
 * only the worker layer completes a dispatch). Resuming after the reputation guard paused it tells the guard to
 * leave this dispatch alone: an editor looked and decided.
 */
export async function resumeDispatch(db: Kysely<Database>, queues: Queues, id: number, cause: string, clock: Clock = systemClock): Promise<ControlOutcome> {
  const outcome = await changeDispatch(db, id, {
    ...TRANSITIONS.resume,
    cause,
    set: {
      pauseReason: null,
      reputationOverriddenAt: sql<Date | null>`case when pause_reason is not null then now() else reputation_overridden_at end`,
    },
  });
  if (outcome.kind !== 'done') return outcome;
  await wakeWaitingJobs(db, queues, id, clock).catch(() => undefined); // only a speed-up: the jobs re-check on their own
  await queues.dispatch.add('complete', { dispatchId: id }, { jobId: jobIds.dispatchComplete(id, outcome.dispatch.updatedAt) });
  return outcome;
}

async function wakeWaitingJobs(db: Kysely<Database>, queues: Queues, id: number, clock: Clock): Promise<void> {
  const batches = await db.selectFrom('emailBatches').select('batchNo').where('dispatchId', '=', id).where('status', '!=', 'done').execute();
  const posts = await db
    .selectFrom('deliveries')
    .select('channel')
    .distinct()
    .where('dispatchId', '=', id)
    .where('channel', '!=', 'email')
    .where('status', '=', 'pending')
    .execute();
  // Waves whose instant passed while paused go now; the others keep their time.
  const dueWaves = await db
    .selectFrom('dispatchWaves')
    .select('waveNo')
    .where('dispatchId', '=', id)
    .where('status', 'in', ['scheduled', 'fanning_out'])
    .where('fireAt', '<=', new Date(clock.now()))
    .execute();
  const jobs = [
    ...dueWaves.map((w) => queues.dispatch.getJob(jobIds.wave(id, w.waveNo))),
    ...batches.map((b) => queues.emailBatch.getJob(jobIds.emailBatch(id, b.batchNo))),
    ...posts.map((p) => queues.social.getJob(jobIds.social(id, p.channel))),
  ];
  for (const job of await Promise.all(jobs)) {
    if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
  }
}

export interface CancelReport extends DispatchView {
  /** Deliveries that went out before the cancel took hold (every channel). */
  sent: number;
  /** Deliveries the cancel stopped. */
  unsent: number;
  /** Still in the hands of a transport after the wait: their outcome follows in the progress. */
  inFlight: number;
}

/**
 * A cancelled dispatch's final count. Deliveries already handed to a transport (`sending`, at most one chunk per
 * running batch) finish on their own; this waits up to `waitMs` for them, so `sent` is what really went out.
 */
export async function cancelReport(db: Kysely<Database>, id: number, waitMs = 15_000): Promise<CancelReport | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const view = await viewDispatch(db, id);
    if (!view) return undefined;
    const count = (status: string) => view.progress.reduce((n, c) => n + (c.counts[status] ?? 0), 0);
    const inFlight = count('sending');
    if (inFlight === 0 || Date.now() > deadline) return { ...view, sent: count('sent'), unsent: count('cancelled'), inFlight };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
