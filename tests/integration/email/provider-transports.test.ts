// A whole send through each provider transport (Amazon SES through the official SDK, Mailgun and Postmark through
// their HTTP APIs),
// each against a stand-in on loopback that speaks the provider's API and checks its authentication: every confirmed
// reader gets one copy with the list headers; a throttle refunds the attempt and the send finishes; an account
// suspension blocks without bouncing anyone; a refused address fails that reader only. The provider's message id is
// kept on each delivery.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { articlePayload } from '../../support/articles.js';
import type { AcceptedMessage, EmailProviderStandIn, ProviderRefusal } from '../../support/email-providers/provider-stand-in.js';
import { MailgunStandIn } from '../../support/email-providers/mailgun-server.js';
import { PostmarkStandIn } from '../../support/email-providers/postmark-server.js';
import { SES_TEST_CREDENTIALS, SesStandIn } from '../../support/email-providers/ses-server.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';

const READERS = ['ann@example.com', 'bob@example.com', 'cy@example.com', 'dee@example.com'];
const MAILGUN_DOMAIN = 'mg.herald.example';
const MAILGUN_KEY = 'key-0123456789abcdef0123456789abcdef';
const POSTMARK_TOKEN = '9c1b2e44-6a7d-4f0e-b1c2-postmark-test';

interface Provider {
  name: 'ses' | 'mailgun' | 'postmark';
  start(): Promise<{ standIn: EmailProviderStandIn; env: Record<string, string> }>;
  /** The provider's answers, as it words them. */
  throttled: ProviderRefusal;
  suspended: ProviderRefusal;
  badAddress: ProviderRefusal;
}

const PROVIDERS: Provider[] = [
  {
    name: 'ses',
    async start() {
      // The SDK's default credential chain reads these itself (Herald's config does not carry AWS keys).
      vi.stubEnv('AWS_ACCESS_KEY_ID', SES_TEST_CREDENTIALS.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', SES_TEST_CREDENTIALS.secretAccessKey);
      vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
      const standIn = await new SesStandIn('eu-west-1').start();
      return { standIn, env: { EMAIL_TRANSPORTS: 'ses', SES_REGION: 'eu-west-1', SES_ENDPOINT: standIn.url } };
    },
    throttled: { status: 429, error: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.', headers: { 'retry-after': '1' } },
    suspended: { status: 400, error: 'AccountSuspendedException', message: 'Your account has been suspended from sending email.' },
    badAddress: { status: 400, error: 'BadRequestException', message: "Missing final '@domain'" },
  },
  {
    name: 'mailgun',
    async start() {
      const standIn = await new MailgunStandIn(MAILGUN_DOMAIN, MAILGUN_KEY).start();
      return { standIn, env: { EMAIL_TRANSPORTS: 'mailgun', MAILGUN_API_KEY: MAILGUN_KEY, MAILGUN_DOMAIN, MAILGUN_API_URL: standIn.url } };
    },
    throttled: { status: 429, message: 'Too many requests', headers: { 'retry-after': '1' } },
    suspended: { status: 403, message: `Domain ${MAILGUN_DOMAIN} is not allowed to send: The domain is disabled.` },
    badAddress: { status: 400, message: 'to parameter is not a valid address. please check documentation' },
  },
  {
    name: 'postmark',
    async start() {
      const standIn = await new PostmarkStandIn(POSTMARK_TOKEN).start();
      return { standIn, env: { EMAIL_TRANSPORTS: 'postmark', POSTMARK_SERVER_TOKEN: POSTMARK_TOKEN, POSTMARK_API_URL: standIn.url } };
    },
    // The whole batch call is throttled; account and address refusals come per message inside an accepted call (200).
    throttled: { status: 429, error: '429', message: 'Rate limit exceeded', headers: { 'retry-after': '1' } },
    suspended: { status: 200, error: '412', message: 'Your account is pending approval. You can only send to recipients on your own domain.' },
    badAddress: { status: 200, error: '300', message: "Invalid 'To' address: 'dee@example.com'." },
  },
];

describe.each(PROVIDERS)('sending through $name', (provider) => {
  let herald: TestHerald;
  let standIn: EmailProviderStandIn;
  let published = 0;

  beforeAll(async () => {
    const started = await provider.start();
    standIn = started.standIn;
    herald = await startTestHerald({
      env: {
        ...started.env,
        MAIL_FROM: 'Herald Daily <news@herald.example>',
        PUBLIC_URL: 'https://herald.example',
        UNSUBSCRIBE_MAILTO: 'unsubscribe@herald.example',
        SMTP_RETRY_BACKOFF_MS: '200',
      },
    });
    for (const email of READERS) {
      const response = await herald.api('/api/subscribers', { body: { email } });
      expect(response.status).toBe(201);
    }
  });

  afterAll(async () => {
    await herald?.stop();
    await standIn?.close();
    vi.unstubAllEnvs();
  });

  /** Publishes a fresh article by email and waits for its dispatch to finish; answers its id. */
  async function publishAndWait(): Promise<number> {
    const payload = articlePayload({ externalId: `${provider.name}-${++published}`, title: `Through ${provider.name} #${published}` });
    const response = await herald.api('/api/articles', { body: { ...payload, channels: ['email'] } });
    expect(response.status).toBe(201);
    const { dispatch } = await response.json();
    await eventually(async () => {
      const view = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
      return ['completed', 'completed_with_failures'].includes(view.status);
    }, 30_000, `dispatch ${dispatch.id} to finish`);
    return dispatch.id as number;
  }

  const messagesOf = (dispatchId: number): AcceptedMessage[] =>
    standIn.accepted.filter((m) => m.parsed.messageId?.startsWith(`<herald.${dispatchId}.`));

  async function deliveries(dispatchId: number) {
    return herald.ctx.db.selectFrom('deliveries').innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
      .select(['subscribers.email', 'subscribers.status as subscriberStatus', 'deliveries.status', 'deliveries.attempts',
        'deliveries.failure', 'deliveries.transport', 'deliveries.providerMessageId'])
      .where('deliveries.dispatchId', '=', dispatchId).orderBy('subscribers.email').execute();
  }

  it('delivers one copy to every confirmed reader, with the list headers, and keeps the provider\'s message id', async () => {
    standIn.setRule(undefined);
    const dispatchId = await publishAndWait();
    const messages = messagesOf(dispatchId);
    expect(messages.flatMap((m) => m.to).sort()).toEqual([...READERS].sort());
    for (const { parsed, raw, to } of messages) {
      expect(parsed.to).toMatchObject({ value: [{ address: to[0] }] });
      expect(parsed.from?.value[0]).toMatchObject({ address: 'news@herald.example', name: 'Herald Daily' });
      const list = parsed.headers.get('list') as { unsubscribe: { url: string; mail: string } };
      expect(list.unsubscribe.url).toMatch(/^https:\/\/herald\.example\/unsubscribe\/[\w.-]+$/);
      expect(list.unsubscribe.mail).toMatch(/^unsubscribe@herald\.example/);
      expect(raw.toString()).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    }
    const rows = await deliveries(dispatchId);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    for (const row of rows) {
      expect(row.transport).toBe(provider.name);
      expect(row.providerMessageId).toBe(messages.find((m) => m.to.includes(row.email))!.providerMessageId);
    }
  });

  it('waits out a throttle without spending the attempt, and finishes the send', async () => {
    const throttledOnce = new Set<string>();
    standIn.setRule((to) => (to === 'bob@example.com' && !throttledOnce.has(to) ? (throttledOnce.add(to), provider.throttled) : undefined));
    const dispatchId = await publishAndWait();
    expect(throttledOnce.has('bob@example.com')).toBe(true);
    expect(messagesOf(dispatchId).flatMap((m) => m.to).sort()).toEqual([...READERS].sort());
    const bob = (await deliveries(dispatchId)).find((r) => r.email === 'bob@example.com')!;
    expect(bob).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('blocks every delivery when the account is suspended, and bounces nobody', async () => {
    standIn.setRule(() => provider.suspended);
    const dispatchId = await publishAndWait();
    expect(messagesOf(dispatchId)).toEqual([]);
    const rows = await deliveries(dispatchId);
    expect(rows.map((r) => [r.status, r.failure, r.subscriberStatus])).toEqual(READERS.map(() => ['blocked', 'permanent_policy', 'confirmed']));
  });

  it('fails only the reader whose address the provider refuses', async () => {
    standIn.setRule((to) => (to === 'dee@example.com' ? provider.badAddress : undefined));
    const dispatchId = await publishAndWait();
    expect(messagesOf(dispatchId).flatMap((m) => m.to).sort()).toEqual(['ann@example.com', 'bob@example.com', 'cy@example.com']);
    const rows = await deliveries(dispatchId);
    expect(rows.find((r) => r.email === 'dee@example.com')).toMatchObject({ status: 'failed', failure: 'permanent_address', subscriberStatus: 'bounced' });
    expect(rows.filter((r) => r.email !== 'dee@example.com').map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
  });
});
