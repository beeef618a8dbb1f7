// Decides, once, what an SMTP error means for a delivery: permanent, transient, throttled, or of unknown outcome.
import {
  PermanentFailure,
  RateLimited,
  TransientFailure,
  UncertainOutcome,
  type DeliveryFailure,
} from '../delivery/failure.js';

/** Replies that mean "too much, slow down" rather than "this message is wrong". */
const THROTTLE_CODES = new Set([421, 450, 451]);

/** Stages before any message data left us: a failure there cannot have delivered anything. */
const PRE_MESSAGE_COMMANDS = new Set(['CONN', 'EHLO', 'HELO', 'LHLO', 'STARTTLS', 'AUTH', 'AUTH PLAIN', 'AUTH LOGIN', 'MAIL FROM', 'RCPT TO', 'API']);

interface SmtpErrorLike {
  message?: string;
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
}

export function classifySmtpError(error: unknown, throttleWaitMs = 30_000): DeliveryFailure {
  const e = (error ?? {}) as SmtpErrorLike;
  const response = e.response ?? e.message ?? String(error);
  const code = e.responseCode;
  if (code && code >= 500) return new PermanentFailure(`SMTP ${code}`, `smtp_${code}`, response);
  if (code && THROTTLE_CODES.has(code)) {
    return new RateLimited(`SMTP ${code}`, `smtp_${code}`, new Date(Date.now() + throttleWaitMs), response);
  }
  if (code && code >= 400) return new TransientFailure(`SMTP ${code}`, `smtp_${code}`, response);
  const command = e.command?.toUpperCase();
  // nodemailer names every unexpected close `CONN`, also one while the reply to DATA is awaited, when the server
  // may already have accepted the message: a close is never proof that nothing was delivered.
  const closed = e.code === 'ECONNECTION' && command === 'CONN';
  if (!closed && ((command && PRE_MESSAGE_COMMANDS.has(command)) || e.code === 'ECONNREFUSED')) {
    return new TransientFailure(`SMTP connection failed (${e.code ?? command})`, `smtp_${(e.code ?? 'conn').toLowerCase()}`, response);
  }
  // The connection broke while the message was being sent or its final reply awaited (or at a stage nodemailer
  // does not name, as when its pool gives up on a closed connection): it may have been accepted.
  return new UncertainOutcome(`SMTP outcome unknown (${e.code ?? command})`, 'smtp_uncertain', response);
}
