// The SMTP transport: one nodemailer pool per process to the server in SMTP_URL, its settings, its DKIM signing (in
// threads, src/email/dkim), and how its errors read (src/email/smtp-failure.ts). The capture inbox (capture.ts)
// talks to its loopback server through this pool too.
import nodemailer from 'nodemailer';
import { z } from 'zod';
import { optionalString, positiveInt, url, type SettingProblem } from '../../config/env-values.js';
import { DkimSigningPool, defaultSigningThreads } from '../dkim/signing-pool.js';
import { classifySmtpError } from '../smtp-failure.js';
import { defineTransport, type TransportConnection } from './email-transport.js';

/** How Herald talks SMTP, wherever the server is: the pool, its pace, its patience, its signature. */
export const smtpPoolSettings = z.object({
  SMTP_POOL_SIZE: positiveInt(5),
  /** Messages per second across this process' pool; 0 = unlimited. */
  SMTP_RATE_PER_SECOND: z.coerce.number().int().min(0).default(0),
  /** Opening a TCP (and TLS) connection to the SMTP server. */
  SMTP_CONNECTION_TIMEOUT_MS: positiveInt(10_000),
  /** Waiting for the server's greeting once connected. */
  SMTP_GREETING_TIMEOUT_MS: positiveInt(10_000),
  /**
   * Silence on an open connection (e.g. no reply after DATA): the message is then retried, as uncertain when DATA had
   * started (UNCERTAIN_DELIVERY_POLICY). A server that accepts and goes silent holds only that one message this long.
   */
  SMTP_SOCKET_TIMEOUT_MS: positiveInt(60_000),
  /** How long the reader's provider group pauses after the server answers 421/450/451 without saying for how long. */
  SMTP_THROTTLE_WAIT_MS: positiveInt(30_000),
  DKIM_DOMAIN: optionalString,
  DKIM_SELECTOR: optionalString,
  DKIM_PRIVATE_KEY: optionalString,
  /** Threads that sign (DKIM on): default every core but one, at most 4 (src/email/dkim/signing-pool.ts). */
  DKIM_SIGNING_THREADS: z.coerce.number().int().positive().optional(),
});

export type SmtpPoolSettings = z.output<typeof smtpPoolSettings>;

export function smtpPoolProblems(s: SmtpPoolSettings): SettingProblem[] {
  const dkim = [s.DKIM_DOMAIN, s.DKIM_SELECTOR, s.DKIM_PRIVATE_KEY].filter(Boolean).length;
  return dkim !== 0 && dkim !== 3
    ? [{ variable: 'DKIM_DOMAIN', message: 'DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together' }]
    : [];
}

// Both list headers are signed, so a forwarder cannot strip or forge the one-click unsubscribe (RFC 8058 §4).
const DKIM_SIGNED_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
  'List-Id:List-Unsubscribe:List-Unsubscribe-Post';

/** Who signs the messages of a pool with DKIM on: its own signing threads. */
export function dkimSigningFor(s: SmtpPoolSettings): DkimSigningPool | undefined {
  if (!s.DKIM_DOMAIN) return undefined;
  return new DkimSigningPool(
    { domain: s.DKIM_DOMAIN, selector: s.DKIM_SELECTOR!, privateKeyPem: s.DKIM_PRIVATE_KEY!, headerNames: DKIM_SIGNED_HEADERS },
    s.DKIM_SIGNING_THREADS ?? defaultSigningThreads(),
  );
}

/**
 * A pooled connection to the SMTP server at `serverUrl`; rejects with nodemailer's errors (read by smtp-failure.ts),
 * or a TransientFailure when a message could not be signed (nothing was sent). It closes `signing` with itself.
 */
export function openSmtpPool(serverUrl: string, s: SmtpPoolSettings, signing = dkimSigningFor(s)): TransportConnection {
  const transport = nodemailer.createTransport({
    url: serverUrl,
    pool: true,
    maxConnections: s.SMTP_POOL_SIZE,
    maxMessages: 1000,
    // A message in flight on a connection that drops must come back to us, not be silently sent again:
    // only the batch sender knows whether a repeat could reach the reader twice.
    maxRequeues: 0,
    // A server that accepts and then says nothing must not hold a message (and its batch) for nodemailer's 10 minutes.
    connectionTimeout: s.SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: s.SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: s.SMTP_SOCKET_TIMEOUT_MS,
    ...(s.SMTP_RATE_PER_SECOND > 0 ? { rateDelta: 1000, rateLimit: s.SMTP_RATE_PER_SECOND } : {}),
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send({ raw, envelope }) {
      // Signed in threads, not by nodemailer's `dkim` option: that signs on the event loop, ~1 ms a message.
      const message = signing ? await signing.sign(raw) : raw;
      const info = (await transport.sendMail({ envelope: { ...envelope }, raw: message })) as { response?: string };
      return { response: String(info.response ?? '') };
    },
    close: async () => {
      await signing?.close();
      transport.close();
    },
  };
}

export const smtpTransport = defineTransport({
  name: 'smtp',
  label: 'SMTP',
  settings: smtpPoolSettings.extend({
    /** The server mail goes to; setting it alone chooses this transport (EMAIL_TRANSPORTS unset). */
    SMTP_URL: url('smtp://user:pass@smtp.example.org:587').optional(),
  }),
  capabilities: { message: 'raw_mime', maxBatchSize: 1 },
  maxConnections: (s) => s.SMTP_POOL_SIZE,
  problems: (s) => [
    ...(s.SMTP_URL ? [] : [{ variable: 'SMTP_URL', message: 'is required when EMAIL_TRANSPORTS lists smtp' }]),
    ...smtpPoolProblems(s),
  ],
  classifyFailure: (error, s) => classifySmtpError(error, s.SMTP_THROTTLE_WAIT_MS),
  create: async (s) => {
    if (!s.SMTP_URL) throw new Error('the smtp transport needs SMTP_URL');
    return openSmtpPool(s.SMTP_URL, s);
  },
});
