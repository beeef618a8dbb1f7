// Turns what nodemailer throws into exactly one DeliveryFailure: a server reply by its meaning (smtp-reply.ts),
// a broken connection by whether the message may already have been handed over.
import {
  AddressRejected,
  PermanentFailure,
  RateLimited,
  TransientFailure,
  TransportBlocked,
  UncertainOutcome,
  DeliveryFailure,
} from '../delivery/failure.js';
import { readSmtpReply } from './smtp-reply.js';

/** Commands whose failure means no byte of the message left us. */
const BEFORE_DATA_COMMANDS = new Set(['EHLO', 'HELO', 'LHLO', 'STARTTLS', 'AUTH', 'AUTH PLAIN', 'AUTH LOGIN', 'AUTH XOAUTH2', 'AUTH CRAM-MD5', 'MAIL FROM', 'RCPT TO', 'API']);

/** System errors of a connection that never carried anything (nodemailer keeps them as `originalCode`). */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'EDNS']);

/** nodemailer's `timeoutType`s that fire before a session exists. */
const SESSION_NOT_OPEN_TIMEOUTS = new Set(['CONNECTION_TIMEOUT', 'GREETING_TIMEOUT', 'DNS_TIMEOUT', 'TLS_TIMEOUT']);

interface SmtpErrorLike {
  message?: string;
  code?: string;
  originalCode?: string;
  timeoutType?: string;
  command?: string;
  responseCode?: number;
  response?: string;
}

export function classifySmtpError(error: unknown, throttleWaitMs = 30_000): DeliveryFailure {
  const e = (error ?? {}) as SmtpErrorLike;
  const response = e.response ?? e.message ?? String(error);
  if (e.responseCode && e.responseCode >= 400) {
    const reply = readSmtpReply(e.responseCode, response);
    const code = `smtp_${reply.enhanced ?? reply.code}`;
    const said = `SMTP ${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''}`;
    switch (reply.verdict) {
      case 'hard':
        return new AddressRejected(`${said}: the address does not take mail`, code, response);
      case 'blocked':
        return new PermanentFailure(`${said}: refused by policy`, code, response);
      case 'throttled':
        // A reply to one message speaks for that recipient's provider (or the relay on its behalf): its group waits.
        return new RateLimited(`${said}: slow down`, code, new Date(Date.now() + throttleWaitMs), response, 'destination');
      case 'soft':
        return new TransientFailure(`${said}: temporary`, code, response, true);
    }
  }
  const command = e.command?.toUpperCase();
  const system = e.originalCode ?? e.code;
  // Refused credentials refuse every message: the server is unusable as configured.
  if (e.code === 'EAUTH') return new TransportBlocked('SMTP authentication failed', 'smtp_auth', response);
  if (
    (command && BEFORE_DATA_COMMANDS.has(command)) ||
    (system && NEVER_CONNECTED.has(system)) ||
    (e.timeoutType && SESSION_NOT_OPEN_TIMEOUTS.has(e.timeoutType)) ||
    e.code === 'ETLS'
  ) {
    return new TransientFailure(`SMTP connection failed (${system ?? command})`, `smtp_${(system ?? 'conn').toLowerCase()}`, response);
  }
  // A session that was open went silent or closed with our message in flight. nodemailer reports both as the
  // connection's failure (`CONN`) whatever the stage, so the message may have been accepted: uncertain.
  return new UncertainOutcome(
    `SMTP outcome unknown (${e.timeoutType ?? system ?? command ?? 'no reply'})`,
    e.code === 'ETIMEDOUT' ? 'smtp_timeout' : 'smtp_uncertain',
    response,
  );
}
