// The reputation guard: a send stops itself before it harms the sender's standing with mailbox providers. When
// blocked and hard-bounced emails pass a threshold the dispatch pauses, with the reason, for an editor to resume
// (the guard then leaves it alone) or cancel.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { changeDispatch } from '../dispatch/dispatch-control.js';
import { TRANSITIONS } from '../dispatch/lifecycle.js';

export interface ReputationThresholds {
  /** The first this many attempts are judged by `earlyPercent`, the rest by `percent`. */
  earlyAttempts: number;
  earlyPercent: number;
  percent: number;
}

export interface ReputationCounts {
  /** Emails with an outcome from the server (sent, failed, blocked, uncertain). */
  attempts: number;
  /** Of those, blocked (policy) or hard-bounced (address). */
  refused: number;
}

/**
 * Pure: whether `counts` are past the thresholds, and why. In the early phase the share is taken of at least a
 * tenth of `earlyAttempts`, so the first two replies of a send cannot stop it on their own.
 */
export function reputationVerdict(counts: ReputationCounts, t: ReputationThresholds): string | undefined {
  const { attempts, refused } = counts;
  if (attempts === 0 || refused === 0) return undefined;
  const early = attempts <= t.earlyAttempts;
  const limit = early ? t.earlyPercent : t.percent;
  const base = early ? Math.max(attempts, Math.ceil(t.earlyAttempts / 10)) : attempts;
  if ((refused / base) * 100 <= limit) return undefined;
  const share = ((refused / attempts) * 100).toFixed(1);
  return `reputation guard: ${refused} of ${attempts} emails blocked or hard-bounced (${share} %, over ${limit} %` +
    `${early ? ` of the first ${t.earlyAttempts}` : ''}); paused so the sender's reputation is not harmed. ` +
    'Check the replies, then resume or cancel.';
}

export class ReputationGuard {
  constructor(private readonly db: Kysely<Database>, private readonly thresholds: ReputationThresholds) {}

  /** Pauses the dispatch if its email outcomes are past the thresholds; returns the reason when it did. */
  async check(dispatchId: number): Promise<string | undefined> {
    const row = await sql<{ attempts: number; refused: number; overridden: boolean }>`
      select count(*) filter (where d.status in ('sent', 'failed', 'blocked', 'uncertain'))::int as attempts,
             count(*) filter (where d.status = 'blocked' or (d.status = 'failed' and d.failure = 'permanent_address'))::int as refused,
             (select reputation_overridden_at is not null from dispatches where id = ${dispatchId}) as overridden
      from deliveries d where d.dispatch_id = ${dispatchId} and d.channel = 'email'
    `.execute(this.db);
    const counts = row.rows[0];
    if (!counts || counts.overridden) return undefined;
    const reason = reputationVerdict(counts, this.thresholds);
    if (!reason) return undefined;
    const outcome = await changeDispatch(this.db, dispatchId, {
      ...TRANSITIONS.pause,
      cause: 'reputation-guard',
      set: { pauseReason: reason },
      detail: { attempts: counts.attempts, refused: counts.refused },
    });
    return outcome.kind === 'done' ? reason : undefined;
  }
}
