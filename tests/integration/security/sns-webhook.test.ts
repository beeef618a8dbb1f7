// Attacks on POST /webhooks/ses against a running Herald: a stranger's own SNS topic, probing which addresses are
// subscribed, replaying a captured message, an old message, and a certificate not issued to SNS.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SnsMessage } from '../../../src/feedback/sns-message.js';
import { startTestHerald, type TestHerald } from '../../support/herald.js';
import { ses, SnsStandIn, TOPIC_ARN } from '../../support/subscribers/sns-server.js';

let sns: SnsStandIn;
let impostor: SnsStandIn;
let herald: TestHerald;
let off: TestHerald;

beforeAll(async () => {
  sns = await new SnsStandIn(inject('standInTls')).start();
  impostor = new SnsStandIn(inject('standInTls'));
  impostor.commonName = 'evil.example';
  await impostor.start();
  // The stand-ins serve their certificates on loopback: allowed here only by the pattern and the fetch exception.
  const loopback = { SNS_CERT_HOST_PATTERN: '^127\\.0\\.0\\.1$', HERALD_FETCH_ALLOW_HOSTS: '127.0.0.1' };
  herald = await startTestHerald({ workers: false, env: { ...loopback, SNS_TOPIC_ARNS: TOPIC_ARN } });
  off = await startTestHerald({ workers: false, env: loopback });
});
afterAll(async () => {
  await herald?.stop();
  await off?.stop();
  await sns?.close();
  await impostor?.close();
});

const post = (target: TestHerald, message: SnsMessage) =>
  fetch(`${target.baseUrl}/webhooks/ses`, {
    method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': message.Type }, body: JSON.stringify(message),
  });

async function subscriber(target: TestHerald, email: string): Promise<number> {
  return (await (await target.api('/api/subscribers', { body: { email } })).json()).id;
}
const row = (target: TestHerald, id: number) =>
  target.ctx.db.selectFrom('subscribers').select(['status', 'bounceCount']).where('id', '=', id).executeTakeFirstOrThrow();

describe('POST /webhooks/ses', () => {
  it('is off (404) until SNS_TOPIC_ARNS names the topics: any signed topic could otherwise report complaints', async () => {
    const id = await subscriber(off, 'reader@example.com');
    const confirmationsBefore = sns.requests.filter((r) => r.query.get('Action') === 'ConfirmSubscription').length;
    expect((await post(off, sns.subscriptionConfirmation())).status).toBe(404);
    expect((await post(off, sns.notification(ses.complaint('reader@example.com')))).status).toBe(404);
    expect((await row(off, id)).status).toBe('confirmed');
    expect(sns.requests.filter((r) => r.query.get('Action') === 'ConfirmSubscription')).toHaveLength(confirmationsBefore);
  });

  it('answers the same whatever the addresses, so nobody can probe who is subscribed', async () => {
    await subscriber(herald, 'known@example.com');
    const known = await post(herald, sns.notification(ses.bounce('known@example.com', 'Transient')));
    const unknown = await post(herald, sns.notification(ses.bounce('nobody-here@example.com', 'Transient')));
    expect(known.status).toBe(unknown.status);
    expect(await known.text()).toBe(await unknown.text());
  });

  it('applies a repeated MessageId once', async () => {
    const id = await subscriber(herald, 'replayed@example.com');
    const message = sns.notification(ses.bounce('replayed@example.com', 'Transient'));
    for (let i = 0; i < 3; i++) expect((await post(herald, message)).status).toBe(200);
    expect(await row(herald, id)).toEqual({ status: 'confirmed', bounceCount: 1 });
  });

  it('refuses a message more than an hour old', async () => {
    const id = await subscriber(herald, 'stale@example.com');
    const old = sns.signed({
      Type: 'Notification', MessageId: 'stale-1', TopicArn: TOPIC_ARN,
      Message: JSON.stringify(ses.complaint('stale@example.com')), Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString(),
    });
    const response = await post(herald, old);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toMatch(/more than an hour old/);
    expect((await row(herald, id)).status).toBe('confirmed');
  });

  it('refuses a signature from a certificate not issued to SNS', async () => {
    const id = await subscriber(herald, 'impostor-target@example.com');
    const forged = impostor.signed({
      Type: 'Notification', MessageId: 'impostor-1', TopicArn: TOPIC_ARN,
      Message: JSON.stringify(ses.complaint('impostor-target@example.com')), Timestamp: new Date().toISOString(),
    });
    const response = await post(herald, forged);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toMatch(/not issued to Amazon SNS/);
    expect((await row(herald, id)).status).toBe('confirmed');
  });
});
