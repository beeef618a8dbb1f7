// Small pieces every dashboard page shows the same way: statuses, times, counts.
import { html, type SafeHtml } from '../../render/html.js';

const STATUS_LABELS: Record<string, string> = {
  scheduled: 'Scheduled', pending: 'Queued', held: 'Held', running: 'Sending', paused: 'Paused',
  completed: 'Completed', cancelled: 'Cancelled', failed: 'Failed',
  confirmed: 'Confirmed', unsubscribed: 'Unsubscribed', bounced: 'Bounced', complained: 'Complained',
  sent: 'Sent', sending: 'Sending', skipped: 'Skipped', uncertain: 'Uncertain', preview: 'Preview only',
  blocked: 'Blocked', completed_with_failures: 'Completed with failures',
};

export const statusLabel = (status: string) => STATUS_LABELS[status] ?? status;

/** A subscriber's `pending` is an unconfirmed address, not a queued dispatch. */
const SUBSCRIBER_LABELS: Record<string, string> = { pending: 'Unconfirmed' };
export const subscriberStatusLabel = (status: string) => SUBSCRIBER_LABELS[status] ?? statusLabel(status);

export function subscriberBadge(status: string): SafeHtml {
  return html`<span class="badge ${status === 'pending' ? 'held' : status}">${subscriberStatusLabel(status)}</span>`;
}

/** A coloured status pill; the colour is never the only signal (the word is always there). */
export function statusBadge(status: string | null | undefined, extra: Record<string, string> = {}): SafeHtml {
  if (!status) return html`<span class="badge none">No dispatch</span>`;
  const field = extra.field ? html` data-field="${extra.field}"` : '';
  return html`<span class="badge ${status}"${field}>${statusLabel(status)}</span>`;
}

/**
 * `2026-11-21 12:00 UTC`, in a <time> the dashboard script turns into the reader's local time (`short`: to the
 * minute, for tables; otherwise to the second).
 */
export function time(date: Date | string | null | undefined, empty = '—', precision: 'short' | 'full' = 'full'): SafeHtml {
  if (!date) return html`${empty}`;
  const d = new Date(date);
  const text = `${d.toISOString().slice(0, precision === 'short' ? 16 : 19).replace('T', ' ')} UTC`;
  return html`<time datetime="${d.toISOString()}" data-local="${precision}">${text}</time>`;
}

export const count = (n: number) => n.toLocaleString('en-US');

export function timeZoneOptions(selected = 'UTC'): SafeHtml[] {
  const zones = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
  return zones.map((zone) => html`<option${zone === selected ? html` selected` : ''}>${zone}</option>`);
}
