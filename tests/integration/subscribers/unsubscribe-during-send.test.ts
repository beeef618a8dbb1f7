// An unsubscribe is honoured at once: a delivery already frozen into a running send is skipped when its turn comes,
// because the batch sender re-reads the subscriber's status when it claims each delivery.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signLinkToken } from '../../../src/subscribers/link-tokens.js';
import { articlePayload } from '../../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.js';
import { messagesTo } from '../../support/subscribers/http.js';

let smtp: SmtpSink;
let herald: TestHerald;

beforeAll(async () => {
  smtp = await startSmtpSink();
  // One connection at 4 messages a second: the 12 recipients take about three seconds to go out.
  herald = await startTestHerald({
    env: { SMTP_URL: smtp.url, SMTP_POOL_SIZE: '1', SMTP_RATE_PER_SECOND: '4', EMAIL_BATCH_SIZE: '3' },
  });
});
afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
});

it('does not deliver a queued message to someone who unsubscribed while the send was running', async () => {
  const ids: number[] = [];
  for (let i = 1; i <= 12; i++) {
    const response = await herald.api('/api/subscribers', { body: { email: `reader-${i}@example.com` } });
    ids.push((await response.json()).id);
  }
  const last = ids.at(-1)!;
  const response = await herald.api('/api/articles', { body: { ...articlePayload(), channels: ['email'] } });
  const { dispatch } = await response.json();

  // The send is under way: the first message is out, and the last reader's delivery row already exists.
  await eventually(async () => smtp.messages.length >= 1, 20_000, 'the first message');
  const frozen = await herald.ctx.db.selectFrom('deliveries').select(['status'])
    .where('dispatchId', '=', dispatch.id).where('subscriberId', '=', last).executeTakeFirst();
  expect(frozen?.status).toBe('pending');
  expect((await (await herald.api(`/api/dispatches/${dispatch.id}`)).json()).status).toBe('running');

  const token = signLinkToken(herald.ctx.secret, { purpose: 'unsubscribe', subscriberId: last, expiresAt: 0 });
  const unsubscribed = await fetch(`${herald.baseUrl}/unsubscribe/${token}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
  });
  expect(unsubscribed.status).toBe(200);

  const view = await eventually(async () => {
    const current = await (await herald.api(`/api/dispatches/${dispatch.id}`)).json();
    return current.status === 'completed' && current;
  }, 30_000, 'the dispatch to complete');
  expect(view.progress).toEqual([{ channel: 'email', total: 12, counts: { sent: 11, skipped: 1 } }]);
  expect(messagesTo(smtp.messages, 'reader-12@example.com')).toHaveLength(0);
  expect(messagesTo(smtp.messages, 'reader-11@example.com')).toHaveLength(1);
  const skipped = await herald.ctx.db.selectFrom('deliveries').select(['status', 'lastResponse'])
    .where('dispatchId', '=', dispatch.id).where('subscriberId', '=', last).executeTakeFirstOrThrow();
  expect(skipped).toEqual({ status: 'skipped', lastResponse: 'subscriber is unsubscribed' });
});
