// Plumbing shared by the email provider stand-ins (SES, Mailgun): the messages each accepted, parsed as a mailbox
// would, and a per-recipient rule that answers a chosen reader's message (or attempt) with a provider's error.
import { simpleParser, type ParsedMail } from 'mailparser';
import { StandIn } from '../networks/stand-in.js';

export interface AcceptedMessage {
  /** The recipients the API call named (the envelope). */
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
  /** The id the stand-in answered with. */
  providerMessageId: string;
}

/** What the provider answers instead of accepting: an HTTP status, the provider's error name and its message. */
export interface ProviderRefusal {
  status: number;
  /** SES: the x-amzn-ErrorType; Mailgun: unused. */
  error?: string;
  message: string;
  headers?: Record<string, string>;
}

/** Decides one message's answer by its recipient and how often it was tried; undefined accepts it. */
export type RecipientRule = (to: string, attempt: number) => ProviderRefusal | undefined;

export abstract class EmailProviderStandIn extends StandIn {
  readonly accepted: AcceptedMessage[] = [];
  private rule: RecipientRule | undefined;
  private readonly attempts = new Map<string, number>();
  private sequence = 0;

  setRule(rule: RecipientRule | undefined): void {
    this.rule = rule;
  }

  /** Messages accepted for `address`. */
  countFor(address: string): number {
    return this.accepted.filter((m) => m.to.includes(address)).length;
  }

  /** Send attempts that reached the send endpoint for `address`, refused ones included. */
  attemptsFor(address: string): number {
    return this.attempts.get(address) ?? 0;
  }

  /** Applies the rule for `to`; a refusal is returned for the subclass to answer in its provider's format. */
  protected judge(to: string): ProviderRefusal | undefined {
    const attempt = (this.attempts.get(to) ?? 0) + 1;
    this.attempts.set(to, attempt);
    return this.rule?.(to, attempt);
  }

  protected async accept(to: string[], raw: Buffer, id: (n: number) => string): Promise<string> {
    const providerMessageId = id(++this.sequence);
    this.accepted.push({ to, raw, parsed: await simpleParser(raw), providerMessageId });
    return providerMessageId;
  }
}
