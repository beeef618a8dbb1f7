// Sends one batch of an edition through a sliding window: up to `chunkSize` messages in flight, topped up as they
// finish, so one message that does not answer holds only itself. Each subscriber is re-checked at claim time and
// every outcome is recorded right after. Safe to re-run: only `pending` rows are ever claimed, so a retried or
// resumed batch skips everything already sent.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { type DeliveryFailure, RateLimited, TransientFailure } from '../delivery/failure.js';
import { recordEvents } from '../events/event-log.js';
import { cappedBackoffMs } from '../queue/job-outcome.js';
import { DeliveryOutcomes, type DeliveryResult } from './delivery-outcomes.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { ReputationGuard, type ReputationThresholds } from './reputation-guard.js';
import type { EmailTransport } from './transports/email-transport.js';

/** The reader one delivery of an edition goes to (src/email/mime-template.ts fills the message's slots from it). */
export interface Recipient {
  deliveryId: number;
  subscriberId: number;
  email: string;
  name: string | null;
}

/** The edition, compiled once; turns a recipient into the finished message. */
export interface EditionMessage {
  envelopeFrom: string;
  personalise(recipient: Recipient): { raw: Buffer; messageId: string };
}

export interface BatchSenderOptions {
  /** Messages of a batch in flight at once; also the most a crash can leave with an unknown outcome per batch. */
  chunkSize: number;
  /** A delivery whose outcome is unknown (crash, silence after DATA): send again (nobody missed) or hold. */
  uncertainPolicy: 'resend' | 'hold';
  /** Temporary failures are retried for `windowMs` after the first, the batch waiting `backoffMs`·2ⁿ (≤ `backoffMaxMs`). */
  retry: { windowMs: number; backoffMs: number; backoffMaxMs: number };
  /** Soft bounces in a row (across editions) that bounce a reader. */
  softBounceLimit: number;
  reputation: ReputationThresholds;
}

export type BatchOutcome =
  | { kind: 'done'; sent: number; failed: number; blocked: number; skipped: number }
  /** Some deliveries failed temporarily (or the server is unreachable): run the batch again after `delayMs`. */
  | { kind: 'retry'; sent: number; deferred: number; delayMs: number; reason: string }
  /** The server is pushing back: pause the whole queue until `resetAt`. */
  | { kind: 'throttled'; resetAt: Date }
  /** The dispatch was paused (by an editor or the reputation guard) or cancelled: stop here. */
  | { kind: 'stopped'; status: string }
  /** This process is shutting down: nothing more was claimed, the rest of the batch goes back to the queue. */
  | { kind: 'handed_back' };

/** A delivery as the claim hands it over: its attempts already include the one about to be made. */
interface ClaimedDelivery {
  id: number;
  status: string;
  attempts: number;
  subscriberId: number;
  email: string;
  name: string | null;
}

/**
 * How long a run that has nothing left to claim waits for its last messages before it lets them finish on their
 * own (a server silent after DATA holds a message until SMTP_SOCKET_TIMEOUT_MS): the job then frees its worker slot
 * for other batches and looks again every STRAGGLER_RECHECK_MS.
 */
const STRAGGLER_GRACE_MS = 5000;
const STRAGGLER_RECHECK_MS = 2000;

/** Why a run stops claiming before the batch is through. */
type Halt =
  | { kind: 'throttled'; resetAt: Date }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'stopped'; status: string }
  | { kind: 'handed_back' };

export class BatchSender {
  private readonly outcomes: DeliveryOutcomes;
  private readonly guard: ReputationGuard;
  /** Messages of this process still in flight after their run returned (stragglers), by delivery id → batch key. */
  private readonly stragglers = new Map<number, string>();
  /** Cleared by a graceful stop: runs finish what is in flight and claim nothing more. */
  private claiming = true;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly transport: EmailTransport,
    private readonly options: BatchSenderOptions,
    private readonly log: Logger,
    /** Holds outcomes the server already gave until the database takes them (a database outage sends nobody twice). */
    private readonly recorder = new OutcomeRecorder(log),
  ) {
    this.outcomes = new DeliveryOutcomes(db, { retryWindowMs: options.retry.windowMs, softBounceLimit: options.softBounceLimit }, log);
    this.guard = new ReputationGuard(db, options.reputation);
  }

  /** Graceful stop: the chunks in flight finish and are recorded; no batch claims another. */
  stopClaiming(): void {
    this.claiming = false;
  }

  async send(dispatchId: number, batchNo: number, message: () => Promise<EditionMessage>): Promise<BatchOutcome> {
    await this.db
      .updateTable('emailBatches')
      .set({ status: 'running', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .where('status', '=', 'pending')
      .execute();
    const batchKey = `${dispatchId}/${batchNo}`;
    await this.settleInterrupted(dispatchId, batchNo);
    const edition = await message();
    const totals = { sent: 0, failed: 0, blocked: 0, skipped: 0 };
    /** Deliveries that went back to pending in this run, with their attempts: not claimed again until the retry. */
    const deferred = new Map<number, number>();
    const inFlight = new Map<number, Promise<void>>();
    let settled: DeliveryResult[] = [];
    let halt: Halt | undefined;
    let exhausted = false;
    let detached = false;
    // Top the window up once half of it is free: one claim statement per half-window, not per message.
    const { chunkSize } = this.options;
    const refillAt = Math.max(1, Math.ceil(chunkSize / 2));

    const flush = async () => {
      const results = settled;
      settled = [];
      if (results.length === 0) return;
      const rows = await this.recorder.keep({ dispatchId, batchNo, outcomes: results.length }, () => this.outcomes.record(results));
      for (const row of rows) {
        if (row.status === 'sent') totals.sent++;
        else if (row.status === 'failed') totals.failed++;
        else if (row.status === 'blocked') totals.blocked++;
        else if (row.status === 'pending') deferred.set(row.id, row.attempts);
      }
      // Only a refusal can tip the reputation guard: a healthy send never pays for the check.
      if (!halt && results.some((r) => r.status === 'blocked' || r.failure === 'permanent_address')) {
        const reason = await this.guard.check(dispatchId);
        if (reason) {
          this.log.warn({ event: 'dispatch.reputation_paused', dispatchId, reason }, 'reputation guard paused the dispatch');
          halt = { kind: 'stopped', status: 'paused' };
        }
      }
    };

    const start = (r: ClaimedDelivery) => {
      const done = this.deliver(edition, r).then(async (result) => {
        inFlight.delete(r.id);
        if (!detached) {
          settled.push(result.result);
          if (!halt && result.halt) halt = result.halt;
          return;
        }
        // A straggler whose run has returned: it records its own outcome; the batch's next run finds it settled.
        await this.recorder.keep({ dispatchId, batchNo, outcomes: 1 }, () => this.outcomes.record([result.result])).catch((error) =>
          this.log.error({ event: 'email.straggler_record_failed', deliveryId: r.id, err: error }, 'could not record a late outcome'));
        this.stragglers.delete(r.id);
      });
      inFlight.set(r.id, done);
    };

    for (;;) {
      if (!halt && !this.claiming) halt = { kind: 'handed_back' };
      if (!halt && !exhausted && chunkSize - inFlight.size >= (inFlight.size === 0 ? 1 : refillAt)) {
        await flush();
        const status = halt ? undefined : await this.dispatchStatus(dispatchId);
        if (status && status !== 'running') halt = { kind: 'stopped', status };
        if (!halt) {
          const claimed = await this.claim(dispatchId, batchNo, [...deferred.keys()], chunkSize - inFlight.size);
          if (claimed.length === 0) exhausted = true;
          for (const r of claimed) {
            if (r.status === 'sending') start(r);
            else totals.skipped++;
          }
          continue;
        }
      }
      if (inFlight.size === 0) break;
      if (exhausted && !halt) {
        // Only the last messages are left: give them a moment, then let them finish without holding this job.
        const grace = new Promise<'grace'>((resolve) => setTimeout(() => resolve('grace'), STRAGGLER_GRACE_MS).unref());
        if ((await Promise.race([Promise.all(inFlight.values()), grace])) === 'grace' && inFlight.size > 0) {
          detached = true;
          for (const id of inFlight.keys()) this.stragglers.set(id, batchKey);
          break;
        }
        continue;
      }
      await Promise.race(inFlight.values());
    }
    await flush();
    if (detached || [...this.stragglers.values()].includes(batchKey)) {
      this.log.info({ event: 'email.batch_stragglers', dispatchId, batchNo }, 'last messages still unanswered; the batch looks again shortly');
      return { kind: 'retry', sent: totals.sent, deferred: 0, delayMs: STRAGGLER_RECHECK_MS, reason: 'messages still in flight' };
    }

    if (halt?.kind === 'stopped' || halt?.kind === 'handed_back') return halt;
    if (halt?.kind === 'throttled') return halt;
    if (deferred.size > 0 || halt?.kind === 'unreachable') {
      const attempts = Math.max(1, ...deferred.values());
      const { backoffMs, backoffMaxMs } = this.options.retry;
      return {
        kind: 'retry',
        sent: totals.sent,
        deferred: deferred.size,
        delayMs: cappedBackoffMs(attempts, backoffMs, backoffMaxMs),
        reason: halt?.kind === 'unreachable' ? halt.reason : `${deferred.size} deliveries deferred after a temporary failure`,
      };
    }
    await this.closeBatch(dispatchId, batchNo);
    return { kind: 'done', ...totals };
  }

  /** Marks a batch finished: after its last delivery, or early when its dispatch was cancelled (the rest stays unsent). */
  async closeBatch(dispatchId: number, batchNo: number): Promise<void> {
    await this.db
      .updateTable('emailBatches')
      .set({ status: 'done', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .execute();
  }

  /** The batch job failed for good (an error that is not a delivery's): what is still open fails with the reason. */
  async giveUp(dispatchId: number, batchNo: number, reason: string): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({ status: 'failed', lastResponse: sql<string>`coalesce(last_response, ${reason})`, updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .where('status', 'in', ['pending', 'sending'])
      .execute();
    await this.closeBatch(dispatchId, batchNo);
  }

  private async dispatchStatus(dispatchId: number): Promise<string> {
    const row = await this.db.selectFrom('dispatches').select('status').where('id', '=', dispatchId).executeTakeFirst();
    return row?.status ?? 'missing';
  }

  /**
   * Deliveries still `sending` when a batch starts were in flight when a worker died: the server may or may not
   * have accepted them. Policy decides: back to pending (resend) or `uncertain` (an editor decides).
   */
  private async settleInterrupted(dispatchId: number, batchNo: number): Promise<void> {
    const to = this.options.uncertainPolicy === 'resend' ? 'pending' : 'uncertain';
    const rows = await this.db
      .updateTable('deliveries')
      .set({ status: to, lastResponse: 'interrupted: outcome unknown', failure: 'uncertain', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .where('status', '=', 'sending')
      // This process' own stragglers are not interrupted: they are still in flight and will record themselves.
      .$if(this.stragglers.size > 0, (q) => q.where('id', 'not in', [...this.stragglers.keys()]))
      .returning('id')
      .execute();
    if (rows.length === 0) return;
    this.log.warn({ event: 'email.batch.interrupted', dispatchId, batchNo, deliveries: rows.length, policy: to },
      'found deliveries interrupted mid-send');
    await recordEvents(this.db, rows.map((r) => ({
      subjectType: 'delivery' as const, subjectId: r.id, event: 'delivery.interrupted', fromStatus: 'sending',
      toStatus: to, cause: `uncertain-policy:${this.options.uncertainPolicy}`,
    })));
  }

  /**
   * Takes the next few pending deliveries of the batch. The subscriber's status is read in the same statement:
   * anyone who unsubscribed, bounced or paused since the fan-out is skipped, right up to the moment of sending.
   */
  private async claim(dispatchId: number, batchNo: number, exclude: number[], limit: number): Promise<ClaimedDelivery[]> {
    const result = await sql<ClaimedDelivery>`
      with next as (
        select d.id, d.subscriber_id from deliveries d
        where d.dispatch_id = ${dispatchId} and d.batch_no = ${batchNo} and d.status = 'pending'
          and not (d.id = any(array(select jsonb_array_elements_text(${JSON.stringify(exclude)}::jsonb)::bigint)))
        order by d.id
        limit ${limit}
        for update of d skip locked
      )
      update deliveries d set
        status = case when s.status = 'confirmed' and not s.paused then 'sending' else 'skipped' end,
        attempts = d.attempts + case when s.status = 'confirmed' and not s.paused then 1 else 0 end,
        last_response = case when s.status = 'confirmed' and not s.paused then d.last_response
                             else 'subscriber is ' || coalesce(case when s.paused then 'paused' else s.status end, 'erased') end,
        updated_at = now()
      from next left join subscribers s on s.id = next.subscriber_id
      where d.id = next.id
      returning d.id, d.status, d.attempts, next.subscriber_id as "subscriberId", s.email, s.name
    `.execute(this.db);
    return result.rows.map((r) => ({ ...r, id: Number(r.id), subscriberId: Number(r.subscriberId) }));
  }

  private async deliver(edition: EditionMessage, r: ClaimedDelivery): Promise<{ result: DeliveryResult; halt?: Halt }> {
    const attempt = { deliveryId: r.id, subscriberId: r.subscriberId, email: r.email, name: r.name };
    try {
      const { raw, messageId } = edition.personalise(attempt);
      const receipt = await this.transport.send({ raw, envelope: { from: edition.envelopeFrom, to: r.email } });
      const { response, providerMessageId } = receipt;
      // Several transports may be configured (failover): the receipt names the one that took the message.
      const accepted = { transport: receipt.transport ?? this.transport.name, providerMessageId };
      return { result: { id: r.id, subscriberId: r.subscriberId, status: 'sent', response, messageId, accepted } };
    } catch (error) {
      return this.onFailure(r, this.transport.failureOf(error));
    }
  }

  /** What one failure means for its delivery, and whether the whole run should stop claiming. */
  private onFailure(r: ClaimedDelivery, failure: DeliveryFailure): { result: DeliveryResult; halt?: Halt } {
    const base = { id: r.id, subscriberId: r.subscriberId, response: failure.describe(), failure: failure.kind };
    switch (failure.kind) {
      case 'permanent_address':
        return { result: { ...base, status: 'failed' } };
      case 'permanent_policy':
        return { result: { ...base, status: 'blocked' } };
      case 'rate_limited':
        return { result: { ...base, status: 'throttled' }, halt: { kind: 'throttled', resetAt: (failure as RateLimited).resetAt } };
      case 'uncertain':
        return { result: { ...base, status: this.options.uncertainPolicy === 'hold' ? 'uncertain' : 'retry' } };
      case 'transient': {
        const { softBounce } = failure as TransientFailure;
        const result: DeliveryResult = { ...base, status: 'retry', softBounce };
        // No reply at all (refused, unreachable): the server is down, so the rest of the batch waits for the retry.
        return softBounce ? { result } : { result, halt: { kind: 'unreachable', reason: failure.describe() } };
      }
    }
  }
}
