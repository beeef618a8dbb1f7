// Signs a webhook delivery: HMAC-SHA256 over `${timestamp}.${body}` with the endpoint's secret (docs/WEBHOOKS.md).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_VERSION = 'v1';

/** A new endpoint secret, shown once to the admin who registers it. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('hex')}`;
}

export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `${SIGNATURE_VERSION}=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The headers a delivery carries; `id` is the same on every retry, so a receiver can drop repeats. */
export function signedHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'herald-webhook-id': id,
    'herald-webhook-timestamp': String(timestamp),
    'herald-webhook-signature': webhookSignature(secret, timestamp, body),
  };
}

/** What a receiver does (docs/WEBHOOKS.md shows the same in a few lines): recompute and compare in constant time. */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(webhookSignature(secret, Number(timestamp), body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
