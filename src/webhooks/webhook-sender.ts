// Sends one webhook delivery through the guarded outbound fetcher, signed, and records what happened on the delivery
// and its endpoint. Decides the job's outcome: done, retry with backoff, or fail for good.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { OutboundFetchError, type OutboundFetcher } from '../net/outbound-fetch.js';
import { complete, type JobOutcome } from '../queue/job-outcome.js';
import { recordEndpointFailure, recordEndpointSuccess } from './endpoint-health.js';
import { signedHeaders } from './webhook-signature.js';

export interface WebhookSenderOptions {
  disableAfterHours: number;
  timeoutMs?: number;
}

/** Refusals that no retry changes: the URL is not one Herald may post to. */
const PERMANENT = new Set(['bad_url', 'forbidden_address']);

export class WebhookSender {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly fetcher: OutboundFetcher,
    private readonly log: Logger,
    private readonly options: WebhookSenderOptions,
  ) {}

  /** `lastAttempt`: BullMQ has no retry left, so a failure now is final. */
  async send(deliveryId: number, lastAttempt: boolean): Promise<JobOutcome> {
    const delivery = await this.db
      .selectFrom('webhookDeliveries as d')
      .innerJoin('webhookEndpoints as e', 'e.id', 'd.endpointId')
      .select(['d.id', 'd.status', 'd.payload', 'd.endpointId', 'e.url', 'e.secret', 'e.disabledAt'])
      .where('d.id', '=', deliveryId)
      .executeTakeFirst();
    // Delivered already (a repeated job) or gone with its endpoint: nothing to do.
    if (!delivery || delivery.status !== 'pending') return complete('nothing to do');
    if (delivery.disabledAt) {
      await this.finish(deliveryId, 'failed', { status: null, error: 'endpoint disabled' });
      return complete('endpoint disabled');
    }
    const id = `whd_${delivery.id}`;
    const body = JSON.stringify({ id, ...delivery.payload });
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string;
    let permanent = false;
    try {
      const response = await this.fetcher.fetch(delivery.url, {
        body,
        headers: signedHeaders(delivery.secret, id, timestamp, body),
        maxBytes: 64 * 1024,
        timeoutMs: this.options.timeoutMs ?? 10_000,
        maxRedirects: 0,
      });
      status = response.status;
      if (status >= 200 && status < 300) {
        await this.finish(deliveryId, 'delivered', { status, error: null });
        await recordEndpointSuccess(this.db, delivery.endpointId, status);
        return complete(status);
      }
      error = `answered ${status}`;
    } catch (caught) {
      if (!(caught instanceof OutboundFetchError)) throw caught;
      error = `${caught.code}: ${caught.message}`;
      permanent = PERMANENT.has(caught.code);
    }
    const disabled = await recordEndpointFailure(this.db, delivery.endpointId, { status, error }, this.options.disableAfterHours);
    const final = permanent || disabled || lastAttempt;
    await this.finish(deliveryId, final ? 'failed' : 'pending', { status, error });
    this.log.warn({ event: 'webhook.delivery_failed', deliveryId, endpointId: delivery.endpointId, status, error, final }, 'webhook not delivered');
    if (disabled) this.log.warn({ event: 'webhook.endpoint_disabled', endpointId: delivery.endpointId }, 'webhook endpoint disabled');
    return final ? { action: 'fail', reason: error } : { action: 'retry', reason: error };
  }

  private async finish(deliveryId: number, to: 'pending' | 'delivered' | 'failed', last: { status: number | null; error: string | null }) {
    await this.db
      .updateTable('webhookDeliveries')
      .set({
        status: to,
        attempts: sql<number>`attempts + 1`,
        lastStatus: last.status,
        lastError: last.error,
        ...(to === 'delivered' ? { deliveredAt: sql<Date>`now()` } : {}),
      })
      .where('id', '=', deliveryId)
      .where('status', '=', 'pending')
      .execute();
  }
}
