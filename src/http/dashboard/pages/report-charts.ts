// The charts of the dispatch report page, from the report's figures (src/analytics/dispatch-report.ts): clicks over
// time, per link, and each social post's engagement. A new figure becomes a chart by one more entry here.
import type { DispatchReport } from '../../../analytics/dispatch-report.js';
import { html } from '../../../render/html.js';
import type { Chart } from '../charts.js';

const LINK_KINDS: Record<string, string> = { article: 'Article', view_in_browser: 'View in browser', body: 'In the text' };

/** `+0 min`, `+45 min`, `+3 h`, `+2 d 6 h`: how long after sending began. */
export function afterSend(minutes: number): string {
  if (minutes < 60) return `+${minutes} min`;
  if (minutes < 1440) return `+${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const hours = Math.floor((minutes % 1440) / 60);
  return `+${Math.floor(minutes / 1440)} d${hours ? ` ${hours} h` : ''}`;
}

export function reportCharts(report: DispatchReport): Chart[] {
  const { buckets, bucketMinutes } = report.clicksOverTime;
  return [
    {
      id: 'clicks-over-time',
      title: `Clicks after sending, per ${afterSend(bucketMinutes).slice(1)}`,
      kind: 'line',
      x: { label: 'After sending', values: buckets.map((b) => afterSend(b.minutesAfterSend)) },
      series: [{ label: 'Human', values: buckets.map((b) => b.human) }, { label: 'Machine', values: buckets.map((b) => b.machine) }],
      foldTable: buckets.length > 12,
      empty: 'No clicks yet.',
    },
    {
      id: 'clicks-per-link',
      title: 'Clicks per link',
      kind: 'bars',
      x: { label: 'Link', values: report.links.map((l) => l.url), short: report.links.map((_, i) => `#${i + 1}`) },
      xCell: (i) => {
        const link = report.links[i];
        return html`<span class="muted small">#${i + 1}</span> <a href="${link.url}" rel="noopener noreferrer">${link.url}</a> <span class="muted small">${LINK_KINDS[link.kind] ?? link.kind}</span>`;
      },
      series: [{ label: 'Human', values: report.links.map((l) => l.human) }, { label: 'Machine', values: report.links.map((l) => l.machine) }],
      empty: report.links.length === 0 ? 'This edition has no tracked links.' : 'No clicks on any link yet.',
    },
    {
      id: 'engagement-per-network',
      title: 'Engagement per post (latest read)',
      kind: 'bars',
      x: { label: 'Post', values: report.engagement.map((p) => `${p.network} ${p.account}`), short: report.engagement.map((p) => p.network) },
      xCell: (i) => {
        const post = report.engagement[i];
        return post.url ? html`<a href="${post.url}" rel="noopener noreferrer">${post.network}</a> <span class="muted small">${post.account}</span>`
          : html`${post.network} <span class="muted small">${post.account} · ${post.status}</span>`;
      },
      series: ENGAGEMENT_SERIES.map(({ label, metrics }) => ({
        label,
        values: report.engagement.map((p) => metrics.reduce((n, m) => n + (p.latest?.[m] ?? 0), 0)),
      })),
      empty: report.engagement.length === 0 ? 'This dispatch has no social posts.' : 'No engagement read back yet (at about 1 h, 24 h and 7 days after posting).',
    },
  ];
}

/** Each network names its interactions its own way; the chart puts like with like. */
const ENGAGEMENT_SERIES = [
  { label: 'Likes', metrics: ['likes', 'favourites', 'reactions'] },
  { label: 'Reposts', metrics: ['reposts', 'reblogs', 'shares'] },
  { label: 'Replies', metrics: ['replies', 'comments'] },
  { label: 'Quotes', metrics: ['quotes'] },
];
