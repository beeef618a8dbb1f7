// Bounces and complaints: SES notifications through SNS are believed only with a valid signature from a certificate on
// an allowed host; a permanent bounce or a complaint suppresses the address, a transient bounce is only counted.
// The generic webhook does the same for any provider, behind a bearer token.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SnsMessage } from '../../../src/feedback/sns-message.js';
import { startTestHerald, type TestHerald } from '../../support/herald.js';
import { ses, SnsStandIn, TOPIC_ARN } from '../../support/subscribers/sns-server.js';

const WEBHOOK_TOKEN = 'generic-webhook-token-0123456789';
type ErrorBody = { error: string; issues: { path: string; message: string }[] };
let sns: SnsStandIn;
let herald: TestHerald;
/** Whether this test process trusts the stand-in's certificate (see the note in the SES describe block). */

beforeAll(async () => {
  sns = await new SnsStandIn(inject('standInTls')).start();
  herald = await startTestHerald({
    workers: false,
    // The stand-in serves its certificate over HTTPS on loopback; in production only sns.*.amazonaws.com is allowed.
    // Fetching from loopback also needs the guarded fetcher's explicit exception.
    env: { SNS_CERT_HOST_PATTERN: '^127\\.0\\.0\\.1$', HERALD_FETCH_ALLOW_HOSTS: '127.0.0.1', SNS_TOPIC_ARNS: TOPIC_ARN, HERALD_WEBHOOK_TOKEN: WEBHOOK_TOKEN },
  });
});
afterAll(async () => {
  await herald?.stop();
  await sns?.close();
});

async function addSubscriber(email: string): Promise<number> {
  const response = await herald.api('/api/subscribers', { body: { email } });
  return (await response.json()).id;
}

const row = (id: number) =>
  herald.ctx.db.selectFrom('subscribers').select(['status', 'bounceCount']).where('id', '=', id).executeTakeFirstOrThrow();

/** Posted as SNS posts: JSON in a text/plain body. */
const postSns = (message: SnsMessage | Record<string, unknown>) =>
  fetch(`${herald.baseUrl}/webhooks/ses`, {
    method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': String(message.Type) },
    body: JSON.stringify(message),
  });

describe('POST /webhooks/ses', () => {
  it('confirms the SNS subscription by visiting the SubscribeURL', async () => {
    const response = await postSns(sns.subscriptionConfirmation());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'subscribed' });
    const visits = sns.requests.filter((r) => r.query.get('Action') === 'ConfirmSubscription');
    expect(visits).toHaveLength(1);
    expect(visits[0].query.get('TopicArn')).toBe(TOPIC_ARN);
  });

  it('marks a permanent bounce (SignatureVersion 1) bounced, with the cause in the event log', async () => {
    const id = await addSubscriber('hard-bounce@example.com');
    const response = await postSns(sns.notification(ses.bounce('Hard-Bounce@example.com', 'Permanent'), '1'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'processed' });
    expect(await row(id)).toEqual({ status: 'bounced', bounceCount: 1 });
    const event = await herald.ctx.db.selectFrom('events').select(['fromStatus', 'toStatus', 'cause', 'detail'])
      .where('subjectId', '=', String(id)).where('event', '=', 'subscriber.status').executeTakeFirstOrThrow();
    expect(event).toMatchObject({ fromStatus: 'confirmed', toStatus: 'bounced', cause: 'bounce', detail: { source: 'ses', bounceType: 'Permanent' } });
  });

  it('only counts a transient bounce (SignatureVersion 2)', async () => {
    const id = await addSubscriber('mailbox-full@example.com');
    const response = await postSns(sns.notification(ses.bounce('mailbox-full@example.com', 'Transient')));
    expect(await response.json()).toEqual({ status: 'processed' });
    expect(await row(id)).toEqual({ status: 'confirmed', bounceCount: 1 });
  });

  it('marks a complaint complained', async () => {
    const id = await addSubscriber('angry@example.com');
    await postSns(sns.notification(ses.complaint('angry@example.com')));
    expect((await row(id)).status).toBe('complained');
  });

  it('keeps a bounced address suppressed through a CSV import', async () => {
    const id = await addSubscriber('bounced-then-imported@example.com');
    await postSns(sns.notification(ses.bounce('bounced-then-imported@example.com', 'Permanent')));
    const report = await (await herald.api('/api/subscribers/import', {
      body: 'email,status\nbounced-then-imported@example.com,confirmed\n', headers: { 'content-type': 'text/csv' },
    })).json();
    expect(report).toMatchObject({ imported: 0, updated: 0, skipped: 1 });
    expect((await row(id)).status).toBe('bounced');
  });

  it('refuses a message changed after signing', async () => {
    const id = await addSubscriber('victim@example.com');
    const genuine = sns.notification(ses.bounce('someone-else@example.com', 'Permanent'));
    const tampered = { ...genuine, Message: JSON.stringify(ses.bounce('victim@example.com', 'Permanent')) };
    const response = await postSns(tampered);
    expect(response.status).toBe(403);
    expect(((await response.json()) as ErrorBody).error).toMatch(/signature does not match/);
    expect((await row(id)).status).toBe('confirmed');
  });

  it('never fetches a certificate from a host outside the allowed pattern, nor over plain http', async () => {
    const id = await addSubscriber('spoofed@example.com');
    const elsewhere = sns.certUrl.replace('127.0.0.1', 'localhost');
    const before = sns.requests.length;
    for (const certUrl of [elsewhere, sns.certUrl.replace('https:', 'http:'), 'https://127.0.0.1.evil.example/cert.pem']) {
      const message = sns.signed({ Type: 'Notification', MessageId: 'm-x', TopicArn: TOPIC_ARN,
        Message: JSON.stringify(ses.bounce('spoofed@example.com', 'Permanent')), Timestamp: new Date().toISOString() }, '2', certUrl);
      const response = await postSns(message);
      expect(response.status, certUrl).toBe(403);
    }
    expect(sns.requests.length).toBe(before);
    expect((await row(id)).status).toBe('confirmed');
  });

  it('refuses a topic not in SNS_TOPIC_ARNS and an unreadable body', async () => {
    const other = sns.signed({ Type: 'Notification', MessageId: 'm-y', TopicArn: 'arn:aws:sns:eu-west-1:999999999999:other',
      Message: '{}', Timestamp: new Date().toISOString() });
    expect((await postSns(other)).status).toBe(403);
    const garbage = await fetch(`${herald.baseUrl}/webhooks/ses`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'not json' });
    expect(garbage.status).toBe(400);
    const incomplete = await postSns({ Type: 'Notification', Message: '{}' });
    expect(incomplete.status).toBe(400);
    expect(((await incomplete.json()) as ErrorBody).issues.map((i) => i.path)).toContain('Signature');
  });

  it('downloads the signing certificate once and reuses it', async () => {
    // Two notifications of its own, whatever ran before: one download at most over the whole file.
    for (const email of ['cert-once-1@example.com', 'cert-once-2@example.com']) {
      await addSubscriber(email);
      expect((await postSns(sns.notification(ses.complaint(email)))).status).toBe(200);
    }
    expect(sns.requestsTo('/SimpleNotificationService-test.pem')).toHaveLength(1);
  });
});

describe('POST /webhooks/generic', () => {
  const post = (body: unknown, token: string | null = WEBHOOK_TOKEN) =>
    fetch(`${herald.baseUrl}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('requires the bearer token', async () => {
    const id = await addSubscriber('generic-guarded@example.com');
    expect((await post({ type: 'bounce', email: 'generic-guarded@example.com' }, null)).status).toBe(401);
    expect((await post({ type: 'bounce', email: 'generic-guarded@example.com' }, 'wrong-token-0123456789')).status).toBe(401);
    expect((await row(id)).status).toBe('confirmed');
  });

  it('handles bounces (permanent unless told otherwise) and complaints', async () => {
    const hard = await addSubscriber('generic-hard@example.com');
    const soft = await addSubscriber('generic-soft@example.com');
    const complainer = await addSubscriber('generic-complaint@example.com');
    expect(await (await post({ type: 'bounce', email: 'GENERIC-HARD@example.com' })).json()).toEqual({ result: 'bounced' });
    expect(await (await post({ type: 'bounce', email: 'generic-soft@example.com', permanent: false })).json()).toEqual({ result: 'counted' });
    expect(await (await post({ type: 'complaint', email: 'generic-complaint@example.com' })).json()).toEqual({ result: 'complained' });
    expect(await (await post({ type: 'complaint', email: 'nobody-we-know@example.com' })).json()).toEqual({ result: 'unknown' });
    expect(await row(hard)).toEqual({ status: 'bounced', bounceCount: 1 });
    expect(await row(soft)).toEqual({ status: 'confirmed', bounceCount: 1 });
    expect((await row(complainer)).status).toBe('complained');
  });

  it('answers a malformed body with 400 naming the fields', async () => {
    const response = await post({ type: 'delivery', email: 'nope' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).issues.map((i) => i.path).sort()).toEqual(['email', 'type']);
  });
});
