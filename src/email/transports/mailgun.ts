// Mailgun as a transport: the finished MIME to its messages API (`POST /v3/{domain}/messages.mime`, basic auth
// `api:KEY`), one reader per call since every message is personalised, and Mailgun's answers read in the failure
// vocabulary.
import { z } from 'zod';
import { optionalString, url } from '../../config/env-values.js';
import { AddressRejected, type DeliveryFailure, PermanentFailure, RateLimited, TransportBlocked } from '../../delivery/failure.js';
import { defineTransport } from './email-transport.js';
import { callProvider, errorMessage, ProviderHttpError, providerApiSettings, resetHint, serverError, unansweredRequest } from './provider-http.js';

const mailgunSettings = providerApiSettings.extend({
  /** A sending key (or the account's API key); required when EMAIL_TRANSPORTS lists mailgun. */
  MAILGUN_API_KEY: optionalString,
  /** The sending domain as Mailgun knows it (`mg.example.org`). */
  MAILGUN_DOMAIN: optionalString,
  /** Mailgun's API: the US one by default; an EU domain needs https://api.eu.mailgun.net. */
  MAILGUN_API_URL: url('https://api.eu.mailgun.net').default('https://api.mailgun.net'),
});

type MailgunSettings = z.output<typeof mailgunSettings>;

const authorization = (s: MailgunSettings) => `Basic ${Buffer.from(`api:${s.MAILGUN_API_KEY ?? ''}`).toString('base64')}`;
const domainPath = (s: MailgunSettings) => `${s.MAILGUN_API_URL.replace(/\/+$/, '')}/v3/${encodeURIComponent(s.MAILGUN_DOMAIN ?? '')}`;

/** A 400 that names the recipient: Mailgun will never take that address as written. */
const BAD_RECIPIENT = /'?to'? parameter is not a valid address|invalid (recipient|address)|not a valid (email )?address/i;

export function classifyMailgunError(error: unknown, throttleWaitMs: number): DeliveryFailure {
  if (!(error instanceof ProviderHttpError)) {
    return unansweredRequest(error, 'mailgun') ?? serverError('mailgun', 500, String(error));
  }
  const said = `HTTP ${error.status}: ${errorMessage(error.body)}`;
  const code = `mailgun_${error.status}`;
  if (error.status === 429) return new RateLimited('Mailgun asked to slow down', code, resetHint(error.headers, throttleWaitMs), said);
  if (error.status >= 500) return serverError('mailgun', error.status, said);
  // The key or the domain may not send (wrong key, domain disabled or unverified, sandbox recipients): blocked.
  if (error.status === 401 || error.status === 403 || error.status === 404) {
    return new TransportBlocked('Mailgun refused the account or domain', code, said);
  }
  if (error.status === 400 && BAD_RECIPIENT.test(said)) return new AddressRejected('Mailgun refused the address', code, said);
  return new PermanentFailure(`Mailgun refused the message (HTTP ${error.status})`, code, said);
}

export const mailgunTransport = defineTransport({
  name: 'mailgun',
  label: 'Mailgun',
  settings: mailgunSettings,
  capabilities: { message: 'raw_mime', maxBatchSize: 1 },
  maxConnections: (s) => s.EMAIL_API_CONCURRENCY,
  problems: (s) => [
    ...(s.MAILGUN_API_KEY ? [] : [{ variable: 'MAILGUN_API_KEY', message: 'is required when EMAIL_TRANSPORTS lists mailgun' }]),
    ...(s.MAILGUN_DOMAIN ? [] : [{ variable: 'MAILGUN_DOMAIN', message: 'is required when EMAIL_TRANSPORTS lists mailgun' }]),
  ],
  classifyFailure: (error, s) => classifyMailgunError(error, s.EMAIL_API_THROTTLE_WAIT_MS),
  probe: async (s) => {
    const body = await callProvider('mailgun', `${s.MAILGUN_API_URL.replace(/\/+$/, '')}/v3/domains/${encodeURIComponent(s.MAILGUN_DOMAIN ?? '')}`,
      { headers: { authorization: authorization(s) } }, s.EMAIL_API_TIMEOUT_MS);
    const domain = (JSON.parse(body) as { domain?: { name?: string; state?: string } }).domain;
    return `${domain?.name ?? s.MAILGUN_DOMAIN} at ${s.MAILGUN_API_URL}: ${domain?.state ?? 'state unknown'}`;
  },
  create: async (s) => ({
    async send({ raw, envelope }) {
      const form = new FormData();
      // `to` is the envelope: Mailgun sends to it whatever the To header says.
      form.append('to', envelope.to);
      form.append('message', new Blob([raw], { type: 'message/rfc822' }), 'message.eml');
      const body = await callProvider('mailgun', `${domainPath(s)}/messages.mime`,
        { method: 'POST', headers: { authorization: authorization(s) }, body: form }, s.EMAIL_API_TIMEOUT_MS);
      const answer = JSON.parse(body) as { id?: string; message?: string };
      return { response: `Mailgun: ${answer.message ?? 'accepted'} ${answer.id ?? ''}`.trim(), providerMessageId: answer.id };
    },
    close: async () => {},
  }),
});
