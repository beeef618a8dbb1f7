// Outbound webhooks end to end: an admin registers a receiver on loopback, a real send (SMTP sink) makes Herald post
// a signed `dispatch.completed` to it, only subscribed events arrive, a failing receiver gets one delivery after
// retries, a private address outside HERALD_FETCH_ALLOW_HOSTS is refused by the fetcher, an endpoint failing for days is
// disabled, editors get 403.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/events/event-log.js';
import { articlePayload } from '../support/articles.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startWebhookReceiver, type ReceivedHook, type WebhookReceiver } from '../support/webhook-receiver.js';

let smtp: SmtpSink;
let herald: TestHerald;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  smtp = await startSmtpSink();
  herald = await startTestHerald({ env: { SMTP_URL: smtp.url, HERALD_FETCH_ALLOW_HOSTS: '127.0.0.1' } });
  await herald.ctx.db.insertInto('subscribers').values({ email: 'reader@example.com', status: 'confirmed', topics: ['news'] }).execute();
});

afterAll(async () => {
  await herald?.stop();
  await smtp?.close();
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiver(host?: string) {
  const r = await startWebhookReceiver(host);
  receivers.push(r);
  return r;
}

async function register(url: string, events: string[]): Promise<{ id: number; secret: string }> {
  const response = await herald.api('/api/webhooks', { body: { url, events } });
  expect(response.status).toBe(201);
  return response.json();
}

async function publishAndComplete(): Promise<number> {
  const response = await herald.api('/api/articles', { body: articlePayload({ section: 'news', tags: [], channels: ['email'] }) });
  expect(response.status).toBe(201);
  const { dispatch } = await response.json();
  await eventually(async () => (await (await herald.api(`/api/dispatches/${dispatch.id}`)).json()).status === 'completed', 30_000, 'the dispatch to complete');
  return dispatch.id;
}

/** What docs/WEBHOOKS.md tells receivers to do. */
function verifies(secret: string, hook: ReceivedHook): boolean {
  const timestamp = String(hook.headers['herald-webhook-timestamp']);
  const expected = 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${hook.body}`).digest('hex');
  const given = String(hook.headers['herald-webhook-signature']);
  return expected.length === given.length && timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

describe('outbound webhooks', () => {
  // First, while no endpoint exists: the events logged so far are passed over, and none reaches a later endpoint.
  it('moves the relay past the events logged while no endpoint is registered, and a later endpoint hears none of them', async () => {
    for (let n = 0; n < 3; n++) {
      await recordEvent(herald.ctx.db, { subjectType: 'article', subjectId: 500 + n, event: 'article.retracted', toStatus: 'retracted', cause: 'editor', detail: { reason: 'before' } });
    }
    const { max } = await herald.ctx.db.selectFrom('events').select((eb) => eb.fn.max('id').as('max')).executeTakeFirstOrThrow();
    await eventually(async () => {
      const cursor = await herald.ctx.db.selectFrom('webhookRelayCursor').select('lastEventId').executeTakeFirstOrThrow();
      return Number(cursor.lastEventId) === Number(max);
    }, 10_000, 'the relay cursor to reach the last event');
    const later = await receiver();
    const endpoint = await register(later.url, ['article.retracted']);
    await recordEvent(herald.ctx.db, { subjectType: 'article', subjectId: 600, event: 'article.retracted', toStatus: 'retracted', cause: 'editor', detail: { reason: 'after' } });
    await eventually(async () => later.received.length > 0, 20_000, 'the event after registering to arrive');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(later.received.map((hook) => JSON.parse(hook.body).data.articleId)).toEqual([600]);
    await herald.api(`/api/webhooks/${endpoint.id}`, { method: 'DELETE' });
  });

  it('posts a signed dispatch.completed after a real send, and only the events subscribed to', async () => {
    const completedHook = await receiver();
    const pausedHook = await receiver();
    const endpoint = await register(completedHook.url, ['dispatch.completed']);
    await register(pausedHook.url, ['dispatch.paused']);

    const dispatchId = await publishAndComplete();
    await eventually(async () => completedHook.received.length > 0, 20_000, 'the webhook to arrive');
    const [hook] = completedHook.received;
    const body = JSON.parse(hook.body);
    expect(body).toMatchObject({ type: 'dispatch.completed', data: { dispatchId, status: 'completed' } });
    expect(hook.headers['herald-webhook-id']).toBe(body.id);
    expect(verifies(endpoint.secret, hook)).toBe(true);
    expect(verifies('another-secret', hook)).toBe(false);
    expect(smtp.countFor('reader@example.com')).toBeGreaterThan(0);

    // The relay has moved past the completion; nothing else was subscribed to by either endpoint.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(completedHook.received).toHaveLength(1);
    expect(pausedHook.received).toHaveLength(0);
  });

  it('retries a receiver that answers 500 twice and delivers once, on the third try', async () => {
    const flaky = await receiver();
    flaky.answerWith(500, 500);
    const endpoint = await register(flaky.url, ['dispatch.completed']);
    await publishAndComplete();
    await eventually(async () => flaky.received.length >= 3, 30_000, 'the third try');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(flaky.received).toHaveLength(3);
    expect(new Set(flaky.received.map((h) => h.headers['herald-webhook-id'])).size).toBe(1);

    const deliveries = (await (await herald.api(`/api/webhooks/${endpoint.id}/deliveries`)).json()).deliveries;
    expect(deliveries).toMatchObject([{ event: 'dispatch.completed', status: 'delivered', attempts: 3, lastStatus: 200 }]);
    const { webhooks } = await (await herald.api('/api/webhooks')).json();
    expect(webhooks.find((w: { id: number }) => w.id === endpoint.id)).toMatchObject({ lastStatus: 200, consecutiveFailures: 0, lastError: null });
  });

  it('refuses a private address not in HERALD_FETCH_ALLOW_HOSTS: nothing reaches it, the failure shows', async () => {
    const hidden = await receiver('127.0.0.2');
    const endpoint = await register(hidden.url, ['dispatch.completed']);
    await publishAndComplete();
    const failed = await eventually(async () => {
      const { webhooks } = await (await herald.api('/api/webhooks')).json();
      const row = webhooks.find((w: { id: number }) => w.id === endpoint.id);
      return row?.consecutiveFailures > 0 ? row : undefined;
    }, 20_000, 'the failure to show');
    expect(failed.lastError).toMatch(/forbidden_address/);
    expect(failed.lastStatus).toBeNull();
    const deliveries = (await (await herald.api(`/api/webhooks/${endpoint.id}/deliveries`)).json()).deliveries;
    expect(deliveries).toMatchObject([{ status: 'failed', attempts: 1 }]);
    expect(hidden.received).toHaveLength(0);

    // A redelivery is refused the same way, and the receiver still hears nothing.
    const again = await herald.api(`/api/webhooks/${endpoint.id}/redeliver/${deliveries[0].id}`, { method: 'POST' });
    expect(again.status).toBe(202);
    await eventually(async () => {
      const [row] = (await (await herald.api(`/api/webhooks/${endpoint.id}/deliveries`)).json()).deliveries;
      return row.status === 'failed' && row.attempts === 2;
    }, 20_000, 'the redelivery to be refused');
    expect(hidden.received).toHaveLength(0);
  });

  it('disables an endpoint that has failed for longer than HERALD_WEBHOOK_DISABLE_AFTER_HOURS, with the reason', async () => {
    const broken = await receiver();
    broken.answerWith(...Array(20).fill(500));
    const endpoint = await register(broken.url, ['dispatch.completed']);
    // It has been failing for 73 hours (the default limit is 72): the next failure disables it.
    await herald.ctx.db.updateTable('webhookEndpoints').set({ failingSince: new Date(Date.now() - 73 * 3600_000), consecutiveFailures: 40 }).where('id', '=', endpoint.id).execute();
    await publishAndComplete();
    const disabled = await eventually(async () => {
      const { webhooks } = await (await herald.api('/api/webhooks')).json();
      const row = webhooks.find((w: { id: number }) => w.id === endpoint.id);
      return row?.disabledAt ? row : undefined;
    }, 20_000, 'the endpoint to be disabled');
    expect(disabled).toMatchObject({ lastStatus: 500, consecutiveFailures: 41 });
    expect(disabled.disabledReason).toMatch(/failed for more than 72 hours.*answered 500/);
    const deliveries = (await (await herald.api(`/api/webhooks/${endpoint.id}/deliveries`)).json()).deliveries;
    expect(deliveries).toMatchObject([{ status: 'failed', attempts: 1 }]);
    expect(broken.received).toHaveLength(1);
  });

  it('still delivers an event committed after the relay moved past its id (a long transaction)', async () => {
    const late = await receiver();
    const endpoint = await register(late.url, ['article.retracted']);
    const { max } = await herald.ctx.db.selectFrom('events').select((eb) => eb.fn.max('id').as('max')).executeTakeFirstOrThrow();
    // The cursor is already past the id the late transaction took.
    await herald.ctx.db.updateTable('webhookRelayCursor').set({ lastEventId: Number(max) + 1000 }).where('id', '=', 1).execute();
    await recordEvent(herald.ctx.db, { subjectType: 'article', subjectId: 99, event: 'article.retracted', toStatus: 'retracted', cause: 'editor', detail: { reason: 'late' } });
    await eventually(async () => late.received.length > 0, 20_000, 'the late event to arrive');
    expect(JSON.parse(late.received[0].body)).toMatchObject({ type: 'article.retracted', data: { articleId: 99, reason: 'late' } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(late.received).toHaveLength(1);
    await herald.api(`/api/webhooks/${endpoint.id}`, { method: 'DELETE' });
  });

  it('is for admins only', async () => {
    const issued = await (await herald.api('/api/tokens', { body: { name: 'desk', role: 'editor' } })).json();
    for (const [method, path] of [['GET', '/api/webhooks'], ['POST', '/api/webhooks'], ['DELETE', '/api/webhooks/1']] as const) {
      const response = await herald.api(path, { method, token: issued.token, ...(method === 'POST' ? { body: { url: 'http://127.0.0.1:9/x', events: ['dispatch.completed'] } } : {}) });
      expect(response.status, `${method} ${path}`).toBe(403);
    }
  });
});
