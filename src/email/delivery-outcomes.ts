// Writes what the SMTP server answered for a group of deliveries, in one statement, and what follows for the
// subscribers: a hard bounce bounces the reader, soft bounces are counted in a row across editions (a delivery
// that arrives resets the count), a policy block leaves the reader alone.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, DeliveryStatus } from '../db/schema.js';
import type { FailureKind } from '../delivery/failure.js';
import { recordEvents } from '../events/event-log.js';

/** One delivery's result as the sender saw it, before the retry window has had its say. */
export interface DeliveryResult {
  id: number;
  subscriberId: number;
  /**
   * `retry`: pending again unless its retry window is over (then failed); `throttled`: pending, attempt refunded;
   * `paced`: claimed but never handed over (its provider group is slowed down): pending, attempt refunded, its last
   * answer and failure left as they were.
   */
  status: 'sent' | 'failed' | 'blocked' | 'uncertain' | 'retry' | 'throttled' | 'paced';
  response: string;
  messageId?: string;
  /** Sent: the transport that accepted it and the provider's id for the message, if it gives one. */
  accepted?: { transport: string; providerMessageId?: string };
  failure?: FailureKind;
  /** The reader's mailbox said "not now": counts as a soft bounce if the delivery ends failed. */
  softBounce?: boolean;
}

export interface RecordedDelivery {
  id: number;
  status: DeliveryStatus;
  attempts: number;
  failure: string | null;
}

export interface OutcomeSettings {
  retryWindowMs: number;
  softBounceLimit: number;
}

export class DeliveryOutcomes {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: OutcomeSettings,
    private readonly log: Logger,
  ) {}

  /** Records every result in one statement and returns each delivery's status as it now stands. */
  async record(results: DeliveryResult[]): Promise<RecordedDelivery[]> {
    if (results.length === 0) return [];
    const rows = results.map((r) => ({
      id: r.id, status: r.status, response: r.response, message_id: r.messageId ?? null, failure: r.failure ?? null,
      transport: r.accepted?.transport ?? null, provider_message_id: r.accepted?.providerMessageId ?? null,
    }));
    const windowSeconds = this.settings.retryWindowMs / 1000;
    const recorded = await sql<RecordedDelivery>`
      update deliveries d set
        status = case r.status
          when 'retry' then case when d.retry_until is not null and d.retry_until <= now() then 'failed' else 'pending' end
          when 'throttled' then 'pending'
          when 'paced' then 'pending'
          else r.status end,
        last_response = case when r.status = 'paced' then d.last_response else r.response end,
        remote_id = coalesce(r.message_id, d.remote_id),
        transport = coalesce(r.transport, d.transport),
        provider_message_id = coalesce(r.provider_message_id, d.provider_message_id),
        failure = case when r.status = 'paced' then d.failure else r.failure end,
        retry_until = case when r.status = 'retry' then coalesce(d.retry_until, now() + make_interval(secs => ${windowSeconds}))
                           else d.retry_until end,
        attempts = d.attempts - case when r.status in ('throttled', 'paced') then 1 else 0 end,
        updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(id bigint, status text, response text, message_id text, failure text, transport text, provider_message_id text)
      where d.id = r.id
      returning d.id, d.status, d.attempts, d.failure
    `.execute(this.db);
    const now = recorded.rows.map((r) => ({ ...r, id: Number(r.id) }));
    await this.followUp(results, now);
    return now;
  }

  private async followUp(results: DeliveryResult[], recorded: RecordedDelivery[]): Promise<void> {
    const byId = new Map(results.map((r) => [r.id, r]));
    const hard: DeliveryResult[] = [];
    const soft: DeliveryResult[] = [];
    const arrived: number[] = [];
    for (const row of recorded) {
      const result = byId.get(row.id)!;
      if (row.status === 'sent') arrived.push(result.subscriberId);
      else if (row.status === 'failed' && row.failure === 'permanent_address') hard.push(result);
      else if (row.status === 'failed' && result.softBounce) soft.push(result);
    }
    if (arrived.length > 0) {
      await this.db.updateTable('subscribers').set({ softBounces: 0 })
        .where('id', 'in', arrived).where('softBounces', '>', 0).execute();
    }
    if (hard.length > 0) await this.bounce(hard, 'bounce');
    if (soft.length > 0) await this.countSoftBounces(soft);
  }

  /** Soft bounces count once per edition; at SOFT_BOUNCE_LIMIT in a row the reader is bounced. */
  private async countSoftBounces(results: DeliveryResult[]): Promise<void> {
    const rows = await this.db.updateTable('subscribers')
      .set({ softBounces: sql<number>`soft_bounces + 1`, updatedAt: sql<Date>`now()` })
      .where('id', 'in', results.map((r) => r.subscriberId))
      .returning(['id', 'softBounces'])
      .execute();
    const over = new Set(rows.filter((r) => r.softBounces >= this.settings.softBounceLimit).map((r) => r.id));
    if (over.size > 0) await this.bounce(results.filter((r) => over.has(r.subscriberId)), 'soft-bounce-limit');
  }

  /** The address does not take mail: no later edition goes there. */
  private async bounce(results: DeliveryResult[], cause: 'bounce' | 'soft-bounce-limit'): Promise<void> {
    const responseOf = new Map(results.map((r) => [r.subscriberId, r.response]));
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
        toStatus: 'bounced', cause, detail: { response: responseOf.get(r.id) ?? null },
      })));
    });
    this.log.info({ event: 'email.bounced', subscribers: results.length, cause }, 'hard-bounced subscribers marked bounced');
  }
}
