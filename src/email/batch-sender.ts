// Sends one batch of an edition: claims its deliveries a few at a time (re-checking each subscriber at that moment),
// hands them to the pooled transport, and records every outcome right after. Safe to re-run: only `pending` rows
// are ever claimed, so a retried or resumed batch skips everything already sent.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import type { DeliveryFailure } from '../delivery/failure.js';
import { recordEvents } from '../events/event-log.js';
import type { MailTransport } from './mail-transport.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { classifySmtpError } from './smtp-failure.js';

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
  /** Deliveries claimed and handed to the transport together; also the most a crash can leave uncertain. */
  chunkSize: number;
  /** Attempts per delivery before a transient failure becomes final. */
  maxAttempts: number;
  /** After a crash, a delivery found `sending`: send again (nobody missed) or hold for an editor. */
  uncertainPolicy: 'resend' | 'hold';
  /** How long the whole queue waits after the server answered 421/450/451. */
  throttleWaitMs: number;
}

export type BatchOutcome =
  | { kind: 'done'; sent: number; failed: number; skipped: number }
  /** Some deliveries failed transiently: retry the batch later (with backoff). */
  | { kind: 'retry'; sent: number; deferred: number }
  /** The server is pushing back: pause the whole queue until `resetAt`. */
  | { kind: 'throttled'; resetAt: Date }
  /** The dispatch was paused or cancelled: stop here. */
  | { kind: 'stopped'; status: string }
  /** This process is shutting down: nothing more was claimed, the rest of the batch goes back to the queue. */
  | { kind: 'handed_back' };

/** A delivery as the claim hands it over: its attempts already include the one about to be made. */
interface ClaimedDelivery {
  id: number;
  attempts: number;
  subscriberId: number;
  email: string;
  name: string | null;
}

interface DeliveryResult {
  id: number;
  status: 'sent' | 'failed' | 'pending' | 'uncertain';
  response: string;
  messageId?: string;
  /** An attempt that did not count (throttled): give it back. */
  refund?: boolean;
}

export class BatchSender {
  private claiming = true;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly transport: MailTransport,
    private readonly options: BatchSenderOptions,
    private readonly log: Logger,
    private readonly outcomes = new OutcomeRecorder(log),
  ) {}

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
    await this.settleInterrupted(dispatchId, batchNo);
    const edition = await message();
    const totals = { sent: 0, failed: 0, skipped: 0 };
    const deferred = new Set<number>();

    for (;;) {
      const status = await this.dispatchStatus(dispatchId);
      if (status !== 'running') return { kind: 'stopped', status };
      if (!this.claiming) return { kind: 'handed_back' };
      const claimed = await this.claim(dispatchId, batchNo, [...deferred]);
      if (claimed.length === 0) break;
      const recipients = claimed.filter((c) => c.status === 'sending');
      totals.skipped += claimed.length - recipients.length;

      const results = await Promise.all(recipients.map((r) => this.deliver(edition, r)));
      await this.outcomes.keep({ dispatchId, batchNo, outcomes: results.length }, () => this.record(results, recipients));
      for (const result of results) {
        if (result.status === 'sent') totals.sent++;
        else if (result.status === 'failed') totals.failed++;
        else if (result.status === 'pending') deferred.add(result.id);
      }
      if (results.some((r) => r.refund)) return { kind: 'throttled', resetAt: new Date(Date.now() + this.options.throttleWaitMs) };
    }
    if (deferred.size > 0) return { kind: 'retry', sent: totals.sent, deferred: deferred.size };
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

  /** The batch ran out of retries: whatever is still pending fails for good, with the last reason. */
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
      .set({ status: to, lastResponse: 'interrupted: outcome unknown', updatedAt: sql<Date>`now()` })
      .where('dispatchId', '=', dispatchId)
      .where('batchNo', '=', batchNo)
      .where('status', '=', 'sending')
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
  private async claim(dispatchId: number, batchNo: number, exclude: number[]) {
    const result = await sql<ClaimedDelivery & { status: string }>`
      with next as (
        select d.id, d.subscriber_id from deliveries d
        where d.dispatch_id = ${dispatchId} and d.batch_no = ${batchNo} and d.status = 'pending'
          and not (d.id = any(array(select jsonb_array_elements_text(${JSON.stringify(exclude)}::jsonb)::bigint)))
        order by d.id
        limit ${this.options.chunkSize}
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
      returning d.id, d.status, d.attempts, next.subscriber_id, s.email, s.name
    `.execute(this.db);
    return result.rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  private async deliver(edition: EditionMessage, r: ClaimedDelivery): Promise<DeliveryResult> {
    const attempt = { deliveryId: r.id, subscriberId: r.subscriberId, email: r.email, name: r.name };
    try {
      const { raw, messageId } = edition.personalise(attempt);
      const response = await this.transport.send(raw, { from: edition.envelopeFrom, to: r.email });
      return { id: r.id, status: 'sent', response, messageId };
    } catch (error) {
      return this.onFailure(r, classifySmtpError(error));
    }
  }

  private onFailure({ id, attempts }: ClaimedDelivery, failure: DeliveryFailure): DeliveryResult {
    const response = `${failure.code}: ${failure.response ?? failure.message}`.slice(0, 1000);
    switch (failure.kind) {
      case 'permanent':
        return { id, status: 'failed', response };
      case 'rate_limited':
        return { id, status: 'pending', response, refund: true };
      case 'uncertain':
        if (this.options.uncertainPolicy === 'hold') return { id, status: 'uncertain', response };
        return this.retryOrFail(id, attempts, response);
      default:
        return this.retryOrFail(id, attempts, response);
    }
  }

  /** `attempts` already counts this one (the claim added it). */
  private retryOrFail(id: number, attempts: number, response: string): DeliveryResult {
    return { id, status: attempts >= this.options.maxAttempts ? 'failed' : 'pending', response };
  }

  /** Writes every outcome of a chunk in one statement; permanent failures also mark the subscriber bounced. */
  private async record(results: DeliveryResult[], recipients: { id: number; subscriberId: number }[]): Promise<void> {
    if (results.length === 0) return;
    const rows = results.map((r) => ({ id: r.id, status: r.status, response: r.response, message_id: r.messageId ?? null, refund: !!r.refund }));
    await sql`
      update deliveries d set
        status = r.status, last_response = r.response, remote_id = coalesce(r.message_id, d.remote_id),
        attempts = d.attempts - case when r.refund then 1 else 0 end, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id bigint, status text, response text, message_id text, refund boolean)
      where d.id = r.id
    `.execute(this.db);
    const subscriberOf = new Map(recipients.map((r) => [r.id, r.subscriberId]));
    const bounced = results
      .filter((r) => r.status === 'failed' && /^smtp_5\d\d/.test(r.response))
      .map((r) => ({ subscriberId: subscriberOf.get(r.id)!, response: r.response }));
    if (bounced.length > 0) await this.markBounced(bounced);
  }

  /** A permanent rejection means the address does not take mail: no later edition goes there. */
  private async markBounced(bounces: { subscriberId: number; response: string }[]): Promise<void> {
    const responseOf = new Map(bounces.map((b) => [b.subscriberId, b.response]));
    await this.db.transaction().execute(async (tx) => {
      const rows = await tx
        .updateTable('subscribers')
        .set({ status: 'bounced', bounceCount: sql<number>`bounce_count + 1`, updatedAt: sql<Date>`now()` })
        .where('id', 'in', [...responseOf.keys()])
        .where('status', '=', 'confirmed')
        .returning('id')
        .execute();
      await recordEvents(tx, rows.map((r) => ({
        subjectType: 'subscriber' as const, subjectId: r.id, event: 'subscriber.status', fromStatus: 'confirmed',
        toStatus: 'bounced', cause: 'bounce', detail: { response: responseOf.get(r.id) ?? null },
      })));
    });
    this.log.info({ event: 'email.bounced', subscribers: bounces.length }, 'permanent SMTP failures marked bounced');
  }
}
