// Amazon SES (API v2) as a transport: the finished MIME through SendEmail's Content.Raw, one message per call, with
// credentials from the AWS SDK's standard chain (env, shared config, container or instance role), and SES' errors
// read in the failure vocabulary.
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { z } from 'zod';
import { optionalString, url } from '../../config/env-values.js';
import { AddressRejected, type DeliveryFailure, PermanentFailure, RateLimited, TransientFailure, TransportBlocked } from '../../delivery/failure.js';
import { defineTransport } from './email-transport.js';
import { providerApiSettings, resetHint, serverError, unansweredRequest } from './provider-http.js';

const sesSettings = providerApiSettings.extend({
  /** The region whose SES sends (`eu-west-1`); required when EMAIL_TRANSPORTS lists ses. */
  SES_REGION: optionalString,
  /** Another endpoint than the region's (a VPC endpoint, a proxy, a test stand-in). */
  SES_ENDPOINT: url('https://email.eu-west-1.amazonaws.com').optional(),
});

type SesSettings = z.output<typeof sesSettings>;

/**
 * The SDK's client. Credentials are left to its default provider chain on purpose: it reads AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN, AWS_PROFILE) itself, then shared files, then an ECS or EC2 role,
 * which is how IAM roles work without keys in Herald's config. The SDK's own retries are off: a retried send whose
 * first try landed would mail the reader twice; Herald's batch sender decides what is retried.
 */
async function sesClient(s: SesSettings): Promise<{ client: SESv2Client; sdk: typeof import('@aws-sdk/client-sesv2') }> {
  // Loaded when SES is used, so processes that send otherwise (and every CLI command) do not pay for the SDK.
  const sdk = await import('@aws-sdk/client-sesv2');
  const client = new sdk.SESv2Client({
    region: s.SES_REGION,
    ...(s.SES_ENDPOINT ? { endpoint: s.SES_ENDPOINT } : {}),
    maxAttempts: 1,
    // Without throwOnRequestTimeout the handler only logs a warning and waits on: a silent SES would hold the message.
    requestHandler: {
      requestTimeout: s.EMAIL_API_TIMEOUT_MS,
      connectionTimeout: Math.min(10_000, s.EMAIL_API_TIMEOUT_MS),
      throwOnRequestTimeout: true,
    },
  });
  return { client, sdk };
}

/** Errors SES answers when the account (not the reader) may not send: blocked, nobody is bounced. */
const ACCOUNT_BLOCKS: Record<string, string> = {
  AccountSuspendedException: 'the SES account is suspended from sending',
  SendingPausedException: 'sending is paused for the SES account or configuration set',
  MailFromDomainNotVerifiedException: 'the MAIL FROM domain is not verified in SES',
  NotFoundException: 'SES does not know a resource the request names (configuration set, identity)',
  // Also the sandbox's "Email address is not verified": the account's limit, not the reader's address.
  MessageRejected: 'SES rejected the message',
};
/** Of those, the ones after which nothing at all can leave through SES (not one message's refusal): its breaker opens. */
const TRANSPORT_BLOCKS = new Set(['AccountSuspendedException', 'SendingPausedException', 'MailFromDomainNotVerifiedException', 'NotFoundException']);

/** SES' throttles: the sending rate (TooManyRequests) and the sending quota (LimitExceeded). */
const THROTTLES = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'LimitExceededException']);

/** BadRequest about an address (SES reads it before sending): the address can never take mail as written. */
const BAD_ADDRESS = /illegal address|invalid (email )?address|missing final '@domain'|domain (name )?(is )?invalid|local address/i;

interface SesErrorLike {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

export function classifySesError(error: unknown, throttleWaitMs: number): DeliveryFailure {
  const e = (error ?? {}) as SesErrorLike;
  const name = e.name ?? 'Error';
  const said = `${name}: ${e.message ?? String(error)}`;
  const status = e.$metadata?.httpStatusCode;
  // No credentials from the chain (a role not reachable yet, keys missing): nothing was sent; it may come back.
  if (name === 'CredentialsProviderError') return new TransientFailure('no AWS credentials for SES', 'ses_credentials', said);
  if (THROTTLES.has(name) || status === 429) {
    return new RateLimited('SES asked to slow down', `ses_${name === 'LimitExceededException' ? 'quota' : 'throttling'}`,
      resetHint(e.$response?.headers, throttleWaitMs), said);
  }
  const block = ACCOUNT_BLOCKS[name];
  if (block) {
    const Failure = TRANSPORT_BLOCKS.has(name) ? TransportBlocked : PermanentFailure;
    return new Failure(block, `ses_${name.replace(/Exception$/, '').toLowerCase()}`, said);
  }
  if (name === 'BadRequestException' && BAD_ADDRESS.test(e.message ?? '')) {
    return new AddressRejected('SES refused the address', 'ses_bad_address', said);
  }
  if (status && status >= 500) return serverError('ses', status, said);
  if (e.$fault === 'client' || (status && status >= 400)) {
    // Bad credentials, a bad request: it will not succeed as it stands and is nobody's address problem; refused
    // credentials (401, 403) refuse every message alike.
    const Failure = status === 401 || status === 403 ? TransportBlocked : PermanentFailure;
    return new Failure(`SES refused the request (${name})`, `ses_${status ?? 'client'}`, said);
  }
  return unansweredRequest(error, 'ses') ?? serverError('ses', 500, said);
}

export const sesTransport = defineTransport({
  name: 'ses',
  label: 'Amazon SES',
  settings: sesSettings,
  capabilities: { message: 'raw_mime', maxBatchSize: 1 },
  maxConnections: (s) => s.EMAIL_API_CONCURRENCY,
  problems: (s) => (s.SES_REGION ? [] : [{ variable: 'SES_REGION', message: 'is required when EMAIL_TRANSPORTS lists ses' }]),
  classifyFailure: (error, s) => classifySesError(error, s.EMAIL_API_THROTTLE_WAIT_MS),
  probe: async (s) => {
    const { client, sdk } = await sesClient(s);
    try {
      const account = await client.send(new sdk.GetAccountCommand({}));
      const quota = account.SendQuota;
      const state = account.SendingEnabled ? 'sending enabled' : 'SENDING DISABLED';
      const sandbox = account.ProductionAccessEnabled ? 'production access' : 'sandbox (verified recipients only)';
      return `${s.SES_REGION}: ${state}, ${sandbox}, ${quota?.MaxSendRate ?? '?'}/s, ${quota?.SentLast24Hours ?? '?'} of ${quota?.Max24HourSend ?? '?'} sent in 24 h`;
    } finally {
      client.destroy();
    }
  },
  create: async (s) => {
    const { client, sdk } = await sesClient(s);
    return {
      async send({ raw, envelope }) {
        const answer = await client.send(new sdk.SendEmailCommand({
          FromEmailAddress: envelope.from,
          Destination: { ToAddresses: [envelope.to] },
          Content: { Raw: { Data: raw } },
        }));
        return { response: `SES accepted ${answer.MessageId ?? ''}`.trim(), providerMessageId: answer.MessageId };
      },
      close: async () => client.destroy(),
    };
  },
});
