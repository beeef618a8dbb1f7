// Which event-log rows outside systems hear about, and under which webhook event name: pure, no I/O.
import type { EventsTable } from '../db/schema.js';
import type { Selectable } from 'kysely';

export const WEBHOOK_EVENTS = [
  'dispatch.started',
  'dispatch.paused',
  'dispatch.completed',
  'post.published',
  'post.failed',
  'subscriber.confirmed',
  'subscriber.unsubscribed',
  'subscriber.bounced',
  'subscriber.complained',
  'article.retracted',
] as const;

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export type LoggedEvent = Pick<Selectable<EventsTable>, 'id' | 'at' | 'subjectType' | 'subjectId' | 'event' | 'fromStatus' | 'toStatus' | 'cause' | 'detail'>;

/** The webhook event a logged status change is, or undefined when no webhook reports it. */
export function webhookEventFor(row: LoggedEvent): WebhookEvent | undefined {
  const to = row.toStatus;
  switch (row.subjectType) {
    case 'dispatch':
      // Resuming a paused dispatch is not a new start.
      if (to === 'running' && row.fromStatus !== 'paused') return 'dispatch.started';
      if (to === 'paused') return 'dispatch.paused';
      if (to === 'completed' || to === 'completed_with_failures') return 'dispatch.completed';
      return undefined;
    case 'delivery': {
      const channel = (row.detail as { channel?: string } | null)?.channel;
      if (row.event !== 'delivery.status' || !channel || channel === 'email') return undefined;
      if (to === 'sent') return 'post.published';
      if (to === 'failed') return 'post.failed';
      return undefined;
    }
    case 'subscriber':
      if (row.fromStatus === to) return undefined;
      if (to === 'confirmed') return 'subscriber.confirmed';
      if (to === 'unsubscribed') return 'subscriber.unsubscribed';
      if (to === 'bounced') return 'subscriber.bounced';
      if (to === 'complained') return 'subscriber.complained';
      return undefined;
    case 'article':
      return row.event === 'article.retracted' ? 'article.retracted' : undefined;
  }
}

/** The JSON body an endpoint receives: the event, when, and the subject's id and status change (never an address). */
export function webhookPayload(type: WebhookEvent, row: LoggedEvent): Record<string, unknown> {
  const detail = (row.detail ?? {}) as Record<string, unknown>;
  return {
    type,
    occurredAt: new Date(row.at).toISOString(),
    data: {
      [`${row.subjectType}Id`]: Number(row.subjectId),
      ...(row.fromStatus ? { from: row.fromStatus } : {}),
      ...(row.toStatus ? { status: row.toStatus } : {}),
      ...(row.cause ? { cause: row.cause } : {}),
      ...(typeof detail.channel === 'string' ? { channel: detail.channel } : {}),
      ...(typeof detail.reason === 'string' ? { reason: detail.reason } : {}),
    },
  };
}
