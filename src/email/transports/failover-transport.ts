// Several email transports behind the one EmailTransport interface: each message goes to the first healthy one in
// EMAIL_TRANSPORTS' order (or, with shares, to one picked by weight among the healthy), and moves on to the next when
// the one it tried refused it without sending anything. Health is one circuit breaker per transport
// (circuit-breaker.ts), per process.
import type { Logger } from 'pino';
import { DeliveryFailure, type FailureKind, RateLimited, type TransientFailure, TransportBlocked } from '../../delivery/failure.js';
import { type BreakerState, CircuitBreaker, type OpenReason } from './circuit-breaker.js';
import type { EmailTransport, MimeMail, SendReceipt } from './email-transport.js';
import { WeightedRotation } from './weighted-rotation.js';

export interface FailoverMember {
  transport: EmailTransport;
  /** Its weight when traffic is split (EMAIL_TRANSPORTS `ses:80,postmark:20`); unset on every member: failover order. */
  share?: number;
}

export interface FailoverOptions {
  failureThreshold: number;
  coolDownMs: number;
  now?: () => number;
  log?: Logger;
  /** Every send's outcome per transport, every move to another transport and every change of state (metrics). */
  observer?: FailoverObserver;
}

export interface FailoverObserver {
  sent?(transport: string, outcome: 'accepted' | FailureKind): void;
  failedOver?(from: string, reason: string): void;
  stateChanged?(transport: string, state: BreakerState): void;
}

/** One transport as the dashboard and /metrics show it (this process' view). */
export interface TransportHealth {
  name: string;
  state: BreakerState;
  openReason?: OpenReason;
  openedSince?: Date;
  share?: number;
  /** Since this process started: messages it accepted, failures that count against it, messages moved on from it. */
  accepted: number;
  failures: number;
  failedOver: number;
}

interface Member extends FailoverMember {
  name: string;
  breaker: CircuitBreaker;
  counts: { accepted: number; failures: number; failedOver: number };
}

/** What a failure says about the transport that answered it. */
type Verdict = 'healthy' | 'unhealthy' | 'blocked';

function verdictOf(failure: DeliveryFailure): Verdict {
  if (failure instanceof TransportBlocked) return 'blocked';
  switch (failure.kind) {
    // It answered about this message or this reader (a hard bounce, a full mailbox, a refused message): it works.
    case 'permanent_address':
    case 'permanent_policy':
      return 'healthy';
    case 'transient':
      return (failure as TransientFailure).softBounce ? 'healthy' : 'unhealthy';
    case 'rate_limited':
      // A reader's mailbox provider slowing us down (an SMTP 421/4.7.x) says nothing against the transport: the batch
      // sender paces that provider's group. Only the transport's own limit (a provider API's 429) counts against it.
      return (failure as RateLimited).scope === 'destination' ? 'healthy' : 'unhealthy';
    case 'uncertain':
      return 'unhealthy';
  }
}

/**
 * May the message be handed to another transport? Only when nothing can have left: unreachable or 502/503
 * (transient, not a reader's soft bounce), the transport's own "slow down", or the account blocked. An uncertain
 * outcome never moves on (the message may have landed: the batch sender's uncertain policy decides), nor does a
 * reader's own refusal, nor a mailbox provider's "slow down" (its group waits: src/email/pacing/provider-pacer.ts;
 * sending the same mail from elsewhere to dodge it would spend the sender's reputation with that provider).
 */
function movesOn(failure: DeliveryFailure): boolean {
  if (failure instanceof TransportBlocked) return true;
  if (failure instanceof RateLimited) return failure.scope === 'transport';
  return failure.kind === 'transient' && !(failure as TransientFailure).softBounce;
}

export class FailoverTransport implements EmailTransport {
  readonly name: string;
  private readonly members: Member[];
  private readonly split: boolean;
  private readonly rotation = new WeightedRotation<string>();

  constructor(members: [FailoverMember, ...FailoverMember[]], private readonly options: FailoverOptions) {
    this.split = members.every((m) => m.share !== undefined);
    this.name = members.map((m) => m.transport.name).join(',');
    this.members = members.map((m) => {
      const name = m.transport.name;
      const breaker = new CircuitBreaker({
        failureThreshold: options.failureThreshold,
        coolDownMs: options.coolDownMs,
        now: options.now,
        onChange: (from, to, reason) => {
          options.observer?.stateChanged?.(name, to);
          const level = to === 'open' ? 'warn' : 'info';
          options.log?.[level]({ event: 'email.transport_breaker', transport: name, from, to, reason },
            `email transport ${name}: breaker ${from} → ${to}`);
        },
      });
      options.observer?.stateChanged?.(name, 'closed');
      return { ...m, name, breaker, counts: { accepted: 0, failures: 0, failedOver: 0 } };
    });
  }

  async send(mail: MimeMail): Promise<SendReceipt> {
    const tried = new Set<Member>();
    let last: DeliveryFailure | undefined;
    for (;;) {
      const member = this.choose(tried);
      if (!member) throw last!;
      tried.add(member);
      try {
        const receipt = await member.transport.send(mail);
        member.breaker.succeeded();
        member.counts.accepted++;
        this.options.observer?.sent?.(member.name, 'accepted');
        return { ...receipt, transport: receipt.transport ?? member.name };
      } catch (error) {
        const failure = member.transport.failureOf(error);
        this.options.observer?.sent?.(member.name, failure.kind);
        const verdict = verdictOf(failure);
        if (verdict === 'healthy') member.breaker.succeeded();
        else {
          member.counts.failures++;
          if (verdict === 'blocked') member.breaker.blocked();
          else member.breaker.failed();
        }
        if (!movesOn(failure) || this.members.length === 1) throw failure;
        member.counts.failedOver++;
        this.options.observer?.failedOver?.(member.name, failure.code);
        last = failure;
      }
    }
  }

  /**
   * The transport for the next try of a message, its breaker's slot taken: a half-open one's probe first, then the
   * first closed one in order (or one picked by weight). When every breaker is open, the first try still goes out, to
   * the first one not blocked (else the first): the breakers choose where mail goes, the batch sender's retries and
   * pauses decide whether it waits.
   */
  private choose(tried: Set<Member>): Member | undefined {
    const untried = this.members.filter((m) => !tried.has(m));
    if (!this.split) {
      const member = untried.find((m) => m.breaker.tryAcquire());
      if (member) return member;
    } else {
      const probe = untried.find((m) => m.breaker.state() === 'half_open' && m.breaker.tryAcquire());
      if (probe) return probe;
      const closed = untried.filter((m) => m.breaker.state() === 'closed');
      const key = this.rotation.next(closed.map((m) => ({ key: m.name, weight: m.share ?? 1 })));
      const picked = closed.find((m) => m.name === key);
      if (picked) return picked;
    }
    if (tried.size > 0) return undefined;
    return untried.find((m) => m.breaker.openReason() !== 'blocked') ?? untried[0];
  }

  failureOf(error: unknown): DeliveryFailure {
    return error instanceof DeliveryFailure ? error : this.members[0]!.transport.failureOf(error);
  }

  health(): TransportHealth[] {
    return this.members.map((m) => ({
      name: m.name,
      state: m.breaker.state(),
      ...(m.breaker.openReason() ? { openReason: m.breaker.openReason() } : {}),
      ...(m.breaker.openedSince() ? { openedSince: m.breaker.openedSince() } : {}),
      ...(m.share !== undefined ? { share: m.share } : {}),
      ...m.counts,
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.transport.close()));
  }
}

