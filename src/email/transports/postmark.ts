// Postmark as a transport: messages as fields (structured-mail.ts) to its batch endpoint (`POST /email/batch`, up
// to 500 a call, `X-Postmark-Server-Token`), gathered from concurrent sends (send-coalescer.ts); each message's own
// ErrorCode, or the call's HTTP answer, read in the failure vocabulary.
import { z } from 'zod';
import { optionalString, url } from '../../config/env-values.js';
import { AddressRejected, type DeliveryFailure, PermanentFailure, RateLimited, TransportBlocked } from '../../delivery/failure.js';
import { defineTransport } from './email-transport.js';
import { callProvider, errorMessage, ProviderHttpError, providerApiSettings, resetHint, serverError, unansweredRequest } from './provider-http.js';
import { SendCoalescer } from './send-coalescer.js';
import { structuredFromMime, type StructuredMail } from './structured-mail.js';

const postmarkSettings = providerApiSettings.extend({
  /** The server's API token (Servers → API Tokens); required when EMAIL_TRANSPORTS lists postmark. */
  POSTMARK_SERVER_TOKEN: optionalString,
  /** Postmark's API (a proxy, a test stand-in). */
  POSTMARK_API_URL: url('https://api.postmarkapp.com').default('https://api.postmarkapp.com'),
  /** The message stream mail goes to: Postmark's default broadcast stream is `broadcast`. */
  POSTMARK_MESSAGE_STREAM: z.string().trim().min(1).default('broadcast'),
});

type PostmarkSettings = z.output<typeof postmarkSettings>;

/** Postmark's documented maximum per batch call. */
const MAX_BATCH = 500;
/** How long a message waits for others to share its call: the batch sender hands them over within milliseconds. */
const LINGER_MS = 20;

/** One message's refusal inside an accepted batch call (HTTP 200, its own ErrorCode). */
export class PostmarkMessageError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
    this.name = 'PostmarkMessageError';
  }
}

/**
 * ErrorCodes that say the account, server or sender may not send (token, sender signature, pending approval,
 * credits, suppressed): blocked. 406 (inactive recipient) is here too: Postmark does not say whether the reader
 * bounced, complained or was suppressed by hand, so Herald blames nobody and leaves the subscriber as they are.
 */
const BLOCKING_CODES = new Set([10, 400, 401, 405, 406, 409, 412, 413]);
/** Of those, the account's or server's own (token, sender signature, not allowed to send, pending approval): every message alike. */
const TRANSPORT_BLOCK_CODES = new Set([10, 400, 401, 405, 412]);
/** 300 "Invalid email request" that names the recipient's address: that reader's. */
const BAD_RECIPIENT = /error parsing '(to|cc|bcc)'|illegal email address|invalid '?to'? address/i;

function byErrorCode(errorCode: number, message: string): DeliveryFailure {
  const code = `postmark_${errorCode}`;
  const said = `ErrorCode ${errorCode}: ${message}`;
  if (errorCode === 300 && BAD_RECIPIENT.test(message)) return new AddressRejected('Postmark refused the address', code, said);
  if (TRANSPORT_BLOCK_CODES.has(errorCode)) return new TransportBlocked('Postmark refused the account or sender', code, said);
  if (BLOCKING_CODES.has(errorCode)) return new PermanentFailure('Postmark refused the account, sender or recipient', code, said);
  return new PermanentFailure(`Postmark refused the message (ErrorCode ${errorCode})`, code, said);
}

export function classifyPostmarkError(error: unknown, throttleWaitMs: number): DeliveryFailure {
  if (error instanceof PostmarkMessageError) return byErrorCode(error.errorCode, error.message);
  if (!(error instanceof ProviderHttpError)) {
    return unansweredRequest(error, 'postmark') ?? serverError('postmark', 500, String(error));
  }
  const message = errorMessage(error.body);
  if (error.status === 429) return new RateLimited('Postmark asked to slow down', 'postmark_429', resetHint(error.headers, throttleWaitMs), `HTTP 429: ${message}`);
  if (error.status >= 500) return serverError('postmark', error.status, `HTTP ${error.status}: ${message}`);
  let errorCode: unknown;
  try {
    errorCode = (JSON.parse(error.body) as { ErrorCode?: unknown }).ErrorCode;
  } catch {
    // no JSON: the status says it
  }
  if (typeof errorCode === 'number') return byErrorCode(errorCode, message);
  return new PermanentFailure(`Postmark refused the request (HTTP ${error.status})`, `postmark_http_${error.status}`, `HTTP ${error.status}: ${message}`);
}

const apiHeaders = (s: PostmarkSettings) => ({
  accept: 'application/json',
  'x-postmark-server-token': s.POSTMARK_SERVER_TOKEN ?? '',
});
const apiUrl = (s: PostmarkSettings, path: string) => `${s.POSTMARK_API_URL.replace(/\/+$/, '')}${path}`;

/** A message as Postmark's API names its fields. */
function postmarkMessage(mail: StructuredMail, stream: string) {
  return {
    From: mail.from,
    To: mail.to,
    Subject: mail.subject,
    ...(mail.htmlBody ? { HtmlBody: mail.htmlBody } : {}),
    ...(mail.textBody ? { TextBody: mail.textBody } : {}),
    Headers: mail.headers.map(({ name, value }) => ({ Name: name, Value: value })),
    MessageStream: stream,
  };
}

interface BatchAnswer {
  ErrorCode?: number;
  Message?: string;
  MessageID?: string;
}

export const postmarkTransport = defineTransport({
  name: 'postmark',
  label: 'Postmark',
  settings: postmarkSettings,
  capabilities: { message: 'structured', maxBatchSize: MAX_BATCH },
  maxConnections: (s) => s.EMAIL_API_CONCURRENCY,
  problems: (s) => (s.POSTMARK_SERVER_TOKEN ? [] : [{ variable: 'POSTMARK_SERVER_TOKEN', message: 'is required when EMAIL_TRANSPORTS lists postmark' }]),
  classifyFailure: (error, s) => classifyPostmarkError(error, s.EMAIL_API_THROTTLE_WAIT_MS),
  probe: async (s) => {
    const body = await callProvider('postmark', apiUrl(s, '/server'), { headers: apiHeaders(s) }, s.EMAIL_API_TIMEOUT_MS);
    const server = JSON.parse(body) as { Name?: string; ID?: number };
    return `server ${server.Name ?? '?'} (${server.ID ?? '?'}) at ${s.POSTMARK_API_URL}`;
  },
  create: async (s) => {
    const coalescer = new SendCoalescer<StructuredMail, { response: string; providerMessageId?: string }>(async (mails) => {
      const body = await callProvider('postmark', apiUrl(s, '/email/batch'), {
        method: 'POST',
        headers: { ...apiHeaders(s), 'content-type': 'application/json' },
        body: JSON.stringify(mails.map((mail) => postmarkMessage(mail, s.POSTMARK_MESSAGE_STREAM))),
      }, s.EMAIL_API_TIMEOUT_MS);
      const answers = JSON.parse(body) as BatchAnswer[];
      return answers.map((a) => (a.ErrorCode === 0
        ? { value: { response: `Postmark: ${a.Message ?? 'OK'} ${a.MessageID ?? ''}`.trim(), providerMessageId: a.MessageID } }
        : { error: new PostmarkMessageError(a.ErrorCode ?? -1, a.Message ?? 'refused') }));
    }, MAX_BATCH, LINGER_MS);
    return {
      send: async (mail) => coalescer.send(await structuredFromMime(mail)),
      close: async () => coalescer.drain(),
    };
  },
});
