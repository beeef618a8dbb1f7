// Each provider transport opened from config against its stand-in on loopback, one call at a time: the read-only
// probe `herald doctor` makes, wrong credentials, a request that never connects, one that times out after it was
// sent, a server error, and an answer's reset hint, each as the failure the batch sender acts on.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { PermanentFailure, RateLimited, TransientFailure, UncertainOutcome } from '../../../src/delivery/failure.js';
import { openEmailTransport, transportDefinition, type TransportName } from '../../../src/email/transports/registry.js';
import { MailgunStandIn } from '../../support/email-providers/mailgun-server.js';
import { PostmarkStandIn } from '../../support/email-providers/postmark-server.js';
import type { EmailProviderStandIn } from '../../support/email-providers/provider-stand-in.js';
import { SES_TEST_CREDENTIALS, SesStandIn } from '../../support/email-providers/ses-server.js';
import { holdRefusedPort, type RefusedPort } from '../../support/refused-port.js';

const MAIL = {
  raw: Buffer.from('From: news@herald.example\r\nTo: reader@example.com\r\nSubject: Hi\r\nMessage-ID: <t.1@herald.example>\r\n\r\nHello.\r\n'),
  envelope: { from: 'news@herald.example', to: 'reader@example.com' },
};

let ses: SesStandIn;
let mailgun: MailgunStandIn;
let postmark: PostmarkStandIn;
let refused: RefusedPort;

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', SES_TEST_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', SES_TEST_CREDENTIALS.secretAccessKey);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  ses = await new SesStandIn('eu-west-1').start();
  mailgun = await new MailgunStandIn('mg.herald.example', 'key-right').start();
  postmark = await new PostmarkStandIn('token-right').start();
  refused = await holdRefusedPort();
});
afterAll(async () => {
  await ses?.close();
  await mailgun?.close();
  await postmark?.close();
  await refused?.release();
  vi.unstubAllEnvs();
});

/** The settings that point a transport at `endpoint` (its stand-in, or a port that refuses). */
function configFor(name: Provider, endpoint: string, extra: Record<string, string> = {}) {
  const settings = {
    ses: { SES_REGION: 'eu-west-1', SES_ENDPOINT: endpoint },
    mailgun: { MAILGUN_API_KEY: 'key-right', MAILGUN_DOMAIN: 'mg.herald.example', MAILGUN_API_URL: endpoint },
    postmark: { POSTMARK_SERVER_TOKEN: 'token-right', POSTMARK_API_URL: endpoint },
  }[name];
  return loadConfig({ EMAIL_TRANSPORTS: name, ...settings, ...extra });
}

async function sendOnce(name: TransportName, config: ReturnType<typeof loadConfig>) {
  const transport = await openEmailTransport(name, config, { dataDir: config.HERALD_DATA_DIR });
  try {
    return await transport.send(MAIL).then((receipt) => ({ receipt }), (failure: unknown) => ({ failure }));
  } finally {
    await transport.close();
  }
}

type Provider = 'ses' | 'mailgun' | 'postmark';
const STAND_INS = (): Record<Provider, EmailProviderStandIn> => ({ ses, mailgun, postmark });
const SEND_PATH = { ses: '/v2/email/outbound-emails', mailgun: '/v3/mg.herald.example/messages.mime', postmark: '/email/batch' };

describe('the read-only probe herald doctor makes', () => {
  it('SES: GetAccount, signed with SigV4 from the standard credential chain', async () => {
    const answer = await transportDefinition('ses').probe!(configFor('ses', ses.url));
    expect(answer).toMatch(/^eu-west-1: sending enabled, production access, 14\/s/);
    const request = ses.requestsTo('/v2/email/account').at(-1)!;
    expect(request.method).toBe('GET');
    expect(request.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${SES_TEST_CREDENTIALS.accessKeyId}/\\d{8}/eu-west-1/ses/aws4_request, ?SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, ?Signature=[0-9a-f]{64}$`));
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('SES: a request signed with another secret is refused, and says so', async () => {
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-the-secret');
    try {
      await expect(transportDefinition('ses').probe!(configFor('ses', ses.url))).rejects.toThrow(/signature/i);
      const { failure } = await sendOnce('ses', configFor('ses', ses.url)) as { failure: PermanentFailure };
      expect(failure).toBeInstanceOf(PermanentFailure);
      expect(failure.kind).toBe('permanent_policy');
    } finally {
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', SES_TEST_CREDENTIALS.secretAccessKey);
    }
  });

  it('Mailgun: GET /v3/domains/{domain} with basic auth api:KEY', async () => {
    expect(await transportDefinition('mailgun').probe!(configFor('mailgun', mailgun.url))).toBe(`mg.herald.example at ${mailgun.url}: active`);
    await expect(transportDefinition('mailgun').probe!(configFor('mailgun', mailgun.url, { MAILGUN_API_KEY: 'key-wrong' }))).rejects.toThrow(/401.*Forbidden/);
  });

  it('Postmark: GET /server with X-Postmark-Server-Token', async () => {
    expect(await transportDefinition('postmark').probe!(configFor('postmark', postmark.url))).toBe(`server Herald Newsletter (4242) at ${postmark.url}`);
    await expect(transportDefinition('postmark').probe!(configFor('postmark', postmark.url, { POSTMARK_SERVER_TOKEN: 'token-wrong' })))
      .rejects.toThrow(/401.*Server Token/);
  });
});

describe('Postmark batches', () => {
  it('sends messages handed over together in one batch call, each answered with its own id or refusal', async () => {
    const config = configFor('postmark', postmark.url);
    const transport = await openEmailTransport('postmark', config, { dataDir: config.HERALD_DATA_DIR });
    postmark.setRule((to) => (to === 'r3@example.com' ? { status: 200, error: '406', message: 'You tried to send to recipient(s) that have been marked as inactive.' } : undefined));
    try {
      const mails = [1, 2, 3, 4, 5].map((n) => ({
        raw: Buffer.from(`From: "Herald" <news@herald.example>\r\nTo: r${n}@example.com\r\nSubject: Batch ${n}\r\nMessage-ID: <b.${n}@herald.example>\r\nList-Unsubscribe: <https://herald.example/u/${n}>\r\nContent-Type: text/plain\r\n\r\nHello ${n}.\r\n`),
        envelope: { from: 'news@herald.example', to: `r${n}@example.com` },
      }));
      const before = postmark.batchSizes.length;
      const results = await Promise.allSettled(mails.map((m) => transport.send(m)));
      expect(postmark.batchSizes.slice(before)).toEqual([5]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      const inactive = (results[2] as PromiseRejectedResult).reason as PermanentFailure;
      // Inactive (suppressed) recipient: blocked, not a hard bounce Herald could attribute.
      expect(inactive.kind).toBe('permanent_policy');
      expect(inactive.code).toBe('postmark_406');
      const first = postmark.accepted.find((m) => m.to.includes('r1@example.com'))!;
      expect(first.parsed.subject).toBe('Batch 1');
      expect(first.parsed.messageId).toBe('<b.1@herald.example>');
      expect(first.parsed.headers.get('list')).toMatchObject({ unsubscribe: { url: 'https://herald.example/u/1' } });
      expect((results[0] as PromiseFulfilledResult<{ providerMessageId?: string }>).value.providerMessageId).toBe(first.providerMessageId);
      expect(postmark.streams.at(-1)).toBe('broadcast');
    } finally {
      postmark.setRule(undefined);
      await transport.close();
    }
  });
});

describe.each(['ses', 'mailgun', 'postmark'] as const)('%s on the wire', (name) => {
  it('sends the finished MIME to the envelope recipient and answers the provider\'s id', async () => {
    const { receipt } = await sendOnce(name, configFor(name, STAND_INS()[name].url)) as { receipt: { providerMessageId?: string } };
    const accepted = STAND_INS()[name].accepted.at(-1)!;
    expect(accepted.to).toEqual(['reader@example.com']);
    // Postmark takes fields and composes its own MIME; the raw APIs carry Herald's bytes unchanged.
    if (name === 'postmark') expect(accepted.parsed).toMatchObject({ subject: 'Hi', messageId: '<t.1@herald.example>', text: 'Hello.\n' });
    else expect(accepted.raw.equals(MAIL.raw)).toBe(true);
    expect(receipt.providerMessageId).toBe(accepted.providerMessageId);
  });

  it('a refused connection is transient: nothing can have landed', async () => {
    const { failure } = await sendOnce(name, configFor(name, refused.url())) as { failure: TransientFailure };
    expect(failure).toBeInstanceOf(TransientFailure);
    expect(failure.code).toBe(`${name}_econnrefused`);
  });

  it('no answer within EMAIL_API_TIMEOUT_MS is uncertain: the provider may have queued it', async () => {
    STAND_INS()[name].scriptNext(SEND_PATH[name], { hang: true });
    const { failure } = await sendOnce(name, configFor(name, STAND_INS()[name].url, { EMAIL_API_TIMEOUT_MS: '300' })) as { failure: UncertainOutcome };
    expect(failure).toBeInstanceOf(UncertainOutcome);
    expect(failure.code).toBe(`${name}_timeout`);
  });

  it('a 503 is transient, a 500 uncertain', async () => {
    const standIn = STAND_INS()[name];
    const body = name === 'ses' ? SesStandIn.error(503, 'ServiceUnavailable', 'Service unavailable') : { status: 503, body: 'Service Unavailable' };
    standIn.scriptNext(SEND_PATH[name], body);
    expect((await sendOnce(name, configFor(name, standIn.url)) as { failure: unknown }).failure).toBeInstanceOf(TransientFailure);
    const internal = name === 'ses' ? SesStandIn.error(500, 'InternalServiceErrorException', 'Internal error') : { status: 500, body: { message: 'Internal Server Error', ErrorCode: 0 } };
    standIn.scriptNext(SEND_PATH[name], internal);
    expect((await sendOnce(name, configFor(name, standIn.url)) as { failure: unknown }).failure).toBeInstanceOf(UncertainOutcome);
  });

  it('a 429 is rate-limited until its Retry-After', async () => {
    const standIn = STAND_INS()[name];
    const answer = name === 'ses'
      ? SesStandIn.error(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.', { 'retry-after': '7' })
      : { status: 429, headers: { 'retry-after': '7' }, body: { message: 'Too many requests' } };
    standIn.scriptNext(SEND_PATH[name], answer);
    const before = Date.now();
    const { failure } = await sendOnce(name, configFor(name, standIn.url)) as { failure: RateLimited };
    expect(failure).toBeInstanceOf(RateLimited);
    expect(failure.resetAt.getTime() - before).toBeGreaterThanOrEqual(6_000);
    expect(failure.resetAt.getTime() - before).toBeLessThan(9_000);
  });
});
