// Hands one claimed message to the transport and says what its answer means: the delivery's result (what the
// database will hold) and whether the whole run should stop claiming (the server is down, the transport throttles).
// No database work: the run records the result with others (src/email/run-outcomes.ts).
import type { Logger } from 'pino';
import { type DeliveryFailure, RateLimited, TransientFailure } from '../delivery/failure.js';
import type { ClaimedDelivery } from './batch-claims.js';
import type { DeliveryResult } from './delivery-outcomes.js';
import type { EditionMessage } from './edition-message.js';
import type { PaceTicket } from './pacing/provider-pacer.js';
import type { SendPacing } from './pacing/send-pacing.js';
import type { EmailTransport } from './transports/email-transport.js';

/** Why a run stops claiming before the batch is through. */
export type Halt =
  | { kind: 'throttled'; resetAt: Date }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'stopped'; status: string }
  | { kind: 'handed_back' };

/** What one message came to; `pacedGroup`: its provider said "slow down", so it waits with its group. */
export interface Delivered {
  result: DeliveryResult;
  halt?: Halt;
  pacedGroup?: string;
}

export class MessageDelivery {
  constructor(
    private readonly transport: EmailTransport,
    private readonly pacing: SendPacing,
    /** A message whose outcome is unknown (silence after DATA): send it again, or hold it for an editor. */
    private readonly uncertainPolicy: 'resend' | 'hold',
    private readonly log: Logger,
  ) {}

  /** Sends one message (its group's turn taken: `ticket`), and tells the pacer how it went. */
  async deliver(edition: EditionMessage, r: ClaimedDelivery, ticket: PaceTicket): Promise<Delivered> {
    const attempt = { deliveryId: r.id, subscriberId: r.subscriberId, email: r.email, name: r.name };
    const { pacer, clock } = this.pacing;
    const { group } = ticket;
    try {
      const { raw, messageId } = edition.personalise(attempt);
      const receipt = await this.transport.send({ raw, envelope: { from: edition.envelopeFrom, to: r.email } });
      pacer.finished(ticket);
      const { response, providerMessageId } = receipt;
      // Several transports may be configured (failover): the receipt names the one that took the message.
      const accepted = { transport: receipt.transport ?? this.transport.name, providerMessageId };
      return { result: { id: r.id, subscriberId: r.subscriberId, status: 'sent', response, messageId, accepted } };
    } catch (error) {
      const failure = this.transport.failureOf(error);
      if (failure instanceof RateLimited && failure.scope === 'destination') {
        // The reader's provider wants us to slow down: only its group does; the reader waits with it, attempt refunded.
        const waitMs = Math.max(0, failure.resetAt.getTime() - Date.now());
        if (pacer.finished(ticket, clock.now() + waitMs)) {
          this.log.warn({ event: 'email.provider_throttled', group, waitMs, ratePerSecond: pacer.state(group).ratePerSecond,
            response: failure.describe() }, 'a mailbox provider is throttling; slowing down its group only');
        }
        return { result: { id: r.id, subscriberId: r.subscriberId, status: 'throttled', response: failure.describe(), failure: failure.kind }, pacedGroup: group };
      }
      pacer.finished(ticket);
      return this.onFailure(r, failure);
    }
  }

  /** What one failure means for its delivery, and whether the whole run should stop claiming. */
  private onFailure(r: ClaimedDelivery, failure: DeliveryFailure): Delivered {
    const base = { id: r.id, subscriberId: r.subscriberId, response: failure.describe(), failure: failure.kind };
    switch (failure.kind) {
      case 'permanent_address':
        return { result: { ...base, status: 'failed' } };
      case 'permanent_policy':
        return { result: { ...base, status: 'blocked' } };
      case 'rate_limited':
        return { result: { ...base, status: 'throttled' }, halt: { kind: 'throttled', resetAt: (failure as RateLimited).resetAt } };
      case 'uncertain':
        return { result: { ...base, status: this.uncertainPolicy === 'hold' ? 'uncertain' : 'retry' } };
      case 'transient': {
        const { softBounce } = failure as TransientFailure;
        const result: DeliveryResult = { ...base, status: 'retry', softBounce };
        // No reply at all (refused, unreachable): the server is down, so the rest of the batch waits for the retry.
        return softBounce ? { result } : { result, halt: { kind: 'unreachable', reason: failure.describe() } };
      }
    }
  }
}
