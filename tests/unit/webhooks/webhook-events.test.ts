// Which logged status changes become which webhook events, and the signature a receiver checks.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhookEventFor, webhookPayload, type LoggedEvent } from '../../../src/webhooks/webhook-events.js';
import { signedHeaders, verifyWebhookSignature } from '../../../src/webhooks/webhook-signature.js';

const logged = (row: Partial<LoggedEvent>): LoggedEvent => ({
  id: 1, at: new Date('2026-12-01T10:00:00Z'), subjectType: 'dispatch', subjectId: '7', event: 'dispatch.status',
  fromStatus: null, toStatus: null, cause: null, detail: null, ...row,
});

describe('webhookEventFor', () => {
  it('maps dispatch status changes, and a resume is not a start', () => {
    expect(webhookEventFor(logged({ fromStatus: 'pending', toStatus: 'running' }))).toBe('dispatch.started');
    expect(webhookEventFor(logged({ fromStatus: 'paused', toStatus: 'running' }))).toBeUndefined();
    expect(webhookEventFor(logged({ fromStatus: 'running', toStatus: 'paused' }))).toBe('dispatch.paused');
    expect(webhookEventFor(logged({ fromStatus: 'running', toStatus: 'completed' }))).toBe('dispatch.completed');
    expect(webhookEventFor(logged({ fromStatus: 'running', toStatus: 'completed_with_failures' }))).toBe('dispatch.completed');
    expect(webhookEventFor(logged({ event: 'dispatch.created', toStatus: 'pending' }))).toBeUndefined();
  });

  it('reports social posts, never single emails', () => {
    const delivery = (channel: string, toStatus: string) =>
      logged({ subjectType: 'delivery', event: 'delivery.status', fromStatus: 'sending', toStatus, detail: { channel } });
    expect(webhookEventFor(delivery('mastodon', 'sent'))).toBe('post.published');
    expect(webhookEventFor(delivery('bluesky', 'failed'))).toBe('post.failed');
    expect(webhookEventFor(delivery('email', 'sent'))).toBeUndefined();
    expect(webhookEventFor(delivery('x', 'pending'))).toBeUndefined();
  });

  it('reports subscriber status changes only when the status changed', () => {
    const subscriber = (fromStatus: string, toStatus: string) => logged({ subjectType: 'subscriber', event: 'subscriber.status', fromStatus, toStatus });
    expect(webhookEventFor(subscriber('pending', 'confirmed'))).toBe('subscriber.confirmed');
    expect(webhookEventFor(subscriber('confirmed', 'unsubscribed'))).toBe('subscriber.unsubscribed');
    expect(webhookEventFor(subscriber('confirmed', 'bounced'))).toBe('subscriber.bounced');
    expect(webhookEventFor(subscriber('confirmed', 'complained'))).toBe('subscriber.complained');
    expect(webhookEventFor(subscriber('complained', 'complained'))).toBeUndefined();
  });

  it('reports a retraction with its reason, and no address ever', () => {
    const row = logged({ subjectType: 'article', subjectId: '3', event: 'article.retracted', toStatus: 'retracted', cause: 'editor', detail: { reason: 'wrong figures', email: 'x@example.com' } });
    expect(webhookEventFor(row)).toBe('article.retracted');
    expect(webhookPayload('article.retracted', row)).toEqual({
      type: 'article.retracted', occurredAt: '2026-12-01T10:00:00.000Z',
      data: { articleId: 3, status: 'retracted', cause: 'editor', reason: 'wrong figures' },
    });
  });
});

describe('webhook signature', () => {
  it('is HMAC-SHA256 over `${timestamp}.${body}`, v1=<hex>, and verifies only with the same secret and body', () => {
    const body = '{"id":"whd_1","type":"dispatch.completed"}';
    const headers = signedHeaders('s3cret', 'whd_1', 1764583200, body);
    const hex = createHmac('sha256', 's3cret').update(`1764583200.${body}`).digest('hex');
    expect(headers).toMatchObject({ 'herald-webhook-id': 'whd_1', 'herald-webhook-timestamp': '1764583200', 'herald-webhook-signature': `v1=${hex}` });
    expect(verifyWebhookSignature('s3cret', '1764583200', body, headers['herald-webhook-signature'])).toBe(true);
    expect(verifyWebhookSignature('other', '1764583200', body, headers['herald-webhook-signature'])).toBe(false);
    expect(verifyWebhookSignature('s3cret', '1764583201', body, headers['herald-webhook-signature'])).toBe(false);
    expect(verifyWebhookSignature('s3cret', '1764583200', `${body} `, headers['herald-webhook-signature'])).toBe(false);
  });
});
