// Sends one batch of an edition: marks it running, settles what a dead worker left in flight (UNCERTAIN_DELIVERY_POLICY),
// sends the rest through a sliding window (src/email/batch-run.ts) and says what the batch's job does next
// (src/email/batch-conclusion.ts). Safe to re-run: only `pending` rows are ever claimed, so a retried or resumed
// batch skips everything already sent.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { recordEvents } from '../events/event-log.js';
import { closeBatch, settleInterrupted } from './batch-claims.js';
import { concludeRun, type BatchOutcome } from './batch-conclusion.js';
import { BatchRun } from './batch-run.js';
import { DeliveryOutcomes } from './delivery-outcomes.js';
import type { EditionMessage } from './edition-message.js';
import { MessageDelivery } from './message-delivery.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { unlimitedPacing, type SendPacing } from './pacing/send-pacing.js';
import { ReputationGuard, type ReputationThresholds } from './reputation-guard.js';
import type { EmailTransport } from './transports/email-transport.js';

export type { BatchOutcome } from './batch-conclusion.js';
export type { EditionMessage, Recipient } from './edition-message.js';

export interface BatchSenderOptions {
  /**
   * Deliveries of a batch `sending` at once: on the wire, waiting for their group's turn, or answered and not yet
   * written. Also the most a crash can leave with an unknown outcome per batch.
   */
  chunkSize: number;
  /** A delivery whose outcome is unknown (crash, silence after DATA): send again (nobody missed) or hold. */
  uncertainPolicy: 'resend' | 'hold';
  /** Temporary failures are retried for `windowMs` after the first, the batch waiting `backoffMs`·2ⁿ (≤ `backoffMaxMs`). */
  retry: { windowMs: number; backoffMs: number; backoffMaxMs: number };
  /** Soft bounces in a row (across editions) that bounce a reader. */
  softBounceLimit: number;
  reputation: ReputationThresholds;
  /** Provider groups, their pace and the warm-up cap (src/email/pacing/send-pacing.ts); default: nothing limited. */
  pacing?: SendPacing;
}

export class BatchSender {
  private readonly outcomes: DeliveryOutcomes;
  private readonly guard: ReputationGuard;
  private readonly pacing: SendPacing;
  private readonly delivery: MessageDelivery;
  /** Messages of this process still in flight after their run returned (stragglers), by delivery id → batch key. */
  private readonly stragglers = new Map<number, string>();
  /** Cleared by a graceful stop: runs finish what is in flight and claim nothing more. */
  private claiming = true;

  constructor(
    private readonly db: Kysely<Database>,
    transport: EmailTransport,
    private readonly options: BatchSenderOptions,
    private readonly log: Logger,
    /** Holds outcomes the server already gave until the database takes them (a database outage sends nobody twice). */
    private readonly recorder = new OutcomeRecorder(log),
  ) {
    this.outcomes = new DeliveryOutcomes(db, { retryWindowMs: options.retry.windowMs, softBounceLimit: options.softBounceLimit }, log);
    this.guard = new ReputationGuard(db, options.reputation);
    this.pacing = options.pacing ?? unlimitedPacing();
    this.delivery = new MessageDelivery(transport, this.pacing, options.uncertainPolicy, log);
  }

  /** Graceful stop: the messages in flight finish and are recorded; no batch claims another. */
  stopClaiming(): void {
    this.claiming = false;
  }

  async send(dispatchId: number, batchNo: number, message: () => Promise<EditionMessage>): Promise<BatchOutcome> {
    const batch = { dispatchId, batchNo };
    await this.db
      .updateTable('emailBatches')
      .set({ status: 'running', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .where('status', '=', 'pending')
      .execute();
    await this.settleInterrupted(batch);
    const run = new BatchRun({
      db: this.db,
      batch,
      edition: await message(),
      chunkSize: this.options.chunkSize,
      pacing: this.pacing,
      delivery: this.delivery,
      outcomes: this.outcomes,
      recorder: this.recorder,
      guard: this.guard,
      log: this.log,
      mayClaim: () => this.claiming,
      stragglers: this.stragglers,
    });
    const end = await run.run();
    const batchKey = `${dispatchId}/${batchNo}`;
    return concludeRun(end, {
      db: this.db,
      batch,
      pacer: this.pacing.pacer,
      clock: this.pacing.clock,
      retry: this.options.retry,
      stragglersLeft: [...this.stragglers.values()].includes(batchKey),
      log: this.log,
    });
  }

  /** Marks a batch finished: after its last delivery, or early when its dispatch was cancelled (the rest stays unsent). */
  async closeBatch(dispatchId: number, batchNo: number): Promise<void> {
    await closeBatch(this.db, { dispatchId, batchNo });
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

  /**
   * Deliveries still `sending` when a batch starts were in flight when a worker died: the server may or may not
   * have accepted them. Policy decides: back to pending (resend) or `uncertain` (an editor decides).
   */
  private async settleInterrupted(batch: { dispatchId: number; batchNo: number }): Promise<void> {
    const to = this.options.uncertainPolicy === 'resend' ? 'pending' : 'uncertain';
    // This process' own stragglers are not interrupted: they are still in flight and will record themselves.
    const ids = await settleInterrupted(this.db, batch, to, [...this.stragglers.keys()]);
    if (ids.length === 0) return;
    this.log.warn({ event: 'email.batch.interrupted', ...batch, deliveries: ids.length, policy: to },
      'found deliveries interrupted mid-send');
    await recordEvents(this.db, ids.map((id) => ({
      subjectType: 'delivery' as const, subjectId: id, event: 'delivery.interrupted', fromStatus: 'sending',
      toStatus: to, cause: `uncertain-policy:${this.options.uncertainPolicy}`,
    })));
  }
}
