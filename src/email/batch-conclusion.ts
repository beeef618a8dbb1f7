// What the end of one run means for its batch: done, run again after a backoff (temporary failures, an unreachable
// server, messages still unanswered), wait for a provider group or the next day's warm-up cap, or stop. The email
// batch worker maps each outcome onto BullMQ (workers/email-batch-worker.ts).
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { cappedBackoffMs } from '../queue/job-outcome.js';
import { closeBatch, markWaiting, pendingCount } from './batch-claims.js';
import type { RunEnd } from './batch-run.js';
import type { ProviderPacer } from './pacing/provider-pacer.js';
import type { Clock } from '../runtime/clock.js';

export type BatchOutcome =
  | { kind: 'done'; sent: number; failed: number; blocked: number; skipped: number }
  /** Some deliveries failed temporarily (or the server is unreachable): run the batch again after `delayMs`. */
  | { kind: 'retry'; sent: number; deferred: number; delayMs: number; reason: string }
  /** The transport itself is pushing back (a provider API's account limit): pause the whole queue until `resetAt`. */
  | { kind: 'throttled'; resetAt: Date }
  /** Readers of provider groups that are slowed down were left pending: run the batch again after `delayMs`. */
  | { kind: 'paced'; sent: number; waiting: number; groups: string[]; delayMs: number }
  /** Today's warm-up cap is spent: the rest of the batch waits for the next day (`delayMs` from now). */
  | { kind: 'warmup_wait'; sent: number; cap: number; delayMs: number }
  /** The dispatch was paused (by an editor or the reputation guard) or cancelled: stop here. */
  | { kind: 'stopped'; status: string }
  /** This process is shutting down: nothing more was claimed, the rest of the batch goes back to the queue. */
  | { kind: 'handed_back' };

/** How soon a batch whose last messages were left to finish on their own looks again. */
const STRAGGLER_RECHECK_MS = 2000;

export interface ConclusionContext {
  db: Kysely<Database>;
  batch: { dispatchId: number; batchNo: number };
  pacer: ProviderPacer;
  clock: Clock;
  /** Temporary failures wait `backoffMs`·2ⁿ (n: the deliveries' attempts so far), at most `backoffMaxMs`. */
  retry: { backoffMs: number; backoffMaxMs: number };
  /** Messages of this batch still in flight after an earlier run of it returned. */
  stragglersLeft: boolean;
  log: Logger;
}

export async function concludeRun(end: RunEnd, ctx: ConclusionContext): Promise<BatchOutcome> {
  const { halt, tally } = end;
  const { sent } = tally.totals;
  const { db, batch, pacer } = ctx;
  if (end.detached || ctx.stragglersLeft) {
    ctx.log.info({ event: 'email.batch_stragglers', ...batch }, 'last messages still unanswered; the batch looks again shortly');
    return { kind: 'retry', sent, deferred: 0, delayMs: STRAGGLER_RECHECK_MS, reason: 'messages still in flight' };
  }
  if (halt?.kind === 'stopped' || halt?.kind === 'handed_back' || halt?.kind === 'throttled') return halt;
  if (end.warmupSpent && (await pendingCount(db, batch)) > 0) {
    const { cap, resumeAt } = end.warmupSpent;
    await markWaiting(db, batch, `waiting: today's warm-up cap of ${cap} messages is reached; goes out from ${new Date(resumeAt).toISOString().slice(0, 10)}`);
    return { kind: 'warmup_wait', sent, cap, delayMs: Math.max(1000, resumeAt - ctx.clock.now()) };
  }
  const pacedGroups = new Set([...tally.paced.values(), ...tally.behindPause]);
  // The soonest a paced group can take its readers again (one waiting for a slot or its next turn: shortly).
  const pacedDelayMs = Math.max(50, Math.min(...[...pacedGroups].map((g) => pacer.waitMs(g)).map((ms) => (ms > 0 && Number.isFinite(ms) ? ms : 250))));
  if (tally.deferred.size > 0 || halt?.kind === 'unreachable') {
    const attempts = Math.max(1, ...tally.deferred.values());
    const backoff = cappedBackoffMs(attempts, ctx.retry.backoffMs, ctx.retry.backoffMaxMs);
    return {
      kind: 'retry',
      sent,
      deferred: tally.deferred.size,
      delayMs: pacedGroups.size > 0 ? Math.min(backoff, pacedDelayMs) : backoff,
      reason: halt?.kind === 'unreachable' ? halt.reason : `${tally.deferred.size} deliveries deferred after a temporary failure`,
    };
  }
  if (pacedGroups.size > 0) {
    const { paced, behindPause } = tally;
    const waiting = paced.size + (behindPause.size > 0 ? await pendingCount(db, batch) - paced.size : 0);
    return { kind: 'paced', sent, waiting: Math.max(paced.size, waiting), groups: [...pacedGroups].sort(), delayMs: pacedDelayMs };
  }
  await closeBatch(db, batch);
  return { kind: 'done', ...tally.totals };
}
