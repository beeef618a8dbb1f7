// Sends one-off messages to one person (confirmation links and the like) through the process' one email transport.
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import addressparser from 'nodemailer/lib/addressparser';
import type { DeliveryFailure } from '../delivery/failure.js';
import type { EmailTransport } from './transports/email-transport.js';

export interface TransactionalMessage {
  to: string;
  toName?: string | null;
  subject: string;
  text: string;
  html: string;
}

export class TransactionalSender {
  private readonly envelopeFrom: string;
  private readonly domain: string;

  constructor(
    private readonly transport: EmailTransport,
    private readonly mailFrom: string,
  ) {
    const [sender] = addressparser(mailFrom, { flatten: true });
    this.envelopeFrom = sender?.address || 'newsletter@localhost';
    this.domain = this.envelopeFrom.split('@')[1] ?? 'localhost';
  }

  /** Any error of a send (composing included) as the transport's failure. */
  failureOf(error: unknown): DeliveryFailure {
    return this.transport.failureOf(error);
  }

  /** Resolves with the server's reply; rejects with the transport's DeliveryFailure (already classified). */
  async send(message: TransactionalMessage): Promise<string> {
    const raw = await new MailComposer({
      from: this.mailFrom,
      to: message.toName ? { name: message.toName, address: message.to } : message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId: `<herald.t.${randomBytes(9).toString('hex')}@${this.domain}>`,
      // Mail a machine sent on someone's request: autoresponders must not answer it (RFC 3834).
      headers: { 'Auto-Submitted': 'auto-generated' },
    })
      .compile()
      .build();
    return (await this.transport.send({ raw, envelope: { from: this.envelopeFrom, to: message.to } })).response;
  }
}
