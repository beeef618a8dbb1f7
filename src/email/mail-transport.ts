// The one pooled SMTP transport of a process: hands finished messages to the server, nothing else.
import nodemailer from 'nodemailer';
import { classifySmtpError } from './smtp-failure.js';

export interface Envelope {
  from: string;
  to: string;
}

export interface MailTransport {
  /**
   * Resolves with the server's reply line once it accepted the message; rejects with a DeliveryFailure, already
   * classified (src/email/smtp-failure.ts), never with nodemailer's raw error.
   */
  send(raw: Buffer, envelope: Envelope): Promise<string>;
  readonly maxConnections: number;
  close(): void;
}

export interface SmtpSettings {
  url: string;
  poolSize: number;
  /** Messages per second for this process; 0 = as fast as the server takes them. */
  ratePerSecond: number;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
  /** Opening the connection; waiting for the greeting; silence on an open connection (nodemailer defaults: 2, 0.5, 10 min). */
  timeouts: { connectionMs: number; greetingMs: number; socketMs: number };
  /** How long to wait after a throttling reply (421 and the like) that gives no time of its own. */
  throttleWaitMs: number;
}

// Both list headers are signed, so a forwarder cannot strip or forge the one-click unsubscribe (RFC 8058 §4).
const DKIM_SIGNED_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
  'List-Id:List-Unsubscribe:List-Unsubscribe-Post';

export function createSmtpTransport(settings: SmtpSettings): MailTransport {
  const transport = nodemailer.createTransport({
    url: settings.url,
    pool: true,
    maxConnections: settings.poolSize,
    maxMessages: 1000,
    // A message in flight on a connection that drops must come back to us, not be silently sent again:
    // only the batch sender knows whether a repeat could reach the reader twice.
    maxRequeues: 0,
    // A server that accepts and then says nothing must not hold a message (and its batch) for nodemailer's 10 minutes.
    connectionTimeout: settings.timeouts.connectionMs,
    greetingTimeout: settings.timeouts.greetingMs,
    socketTimeout: settings.timeouts.socketMs,
    ...(settings.ratePerSecond > 0 ? { rateDelta: 1000, rateLimit: settings.ratePerSecond } : {}),
    ...(settings.dkim ? { dkim: { ...settings.dkim, headerFieldNames: DKIM_SIGNED_HEADERS } } : {}),
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    maxConnections: settings.poolSize,
    async send(raw, envelope) {
      try {
        const info = (await transport.sendMail({ envelope: { ...envelope }, raw })) as { response?: string };
        return String(info.response ?? '');
      } catch (error) {
        throw classifySmtpError(error, settings.throttleWaitMs);
      }
    },
    close: () => transport.close(),
  };
}
