// Subscribers: search by address or name, filter by status, a chart of status changes per day, import a CSV with
// progress (subscribers.js posts it to POST /api/subscribers/import), export everything.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../../context.js';
import { cursorOrFirstPage, toPage } from '../../pagination.js';
import { subscriberStatus } from '../../../subscribers/subscriber-input.js';
import { listSubscribers } from '../../../subscribers/subscriber-repository.js';
import { takeFlash } from '../flash.js';
import { count, subscriberBadge, subscriberStatusLabel, time } from '../format.js';
import { attrs, html } from '../../../render/html.js';
import { CHART_ASSETS, layout, sendDashboardPage } from '../layout.js';
import { subscriberStatusCounts } from '../overview-queries.js';
import { HISTORY_STATUSES, subscriberHistory } from '../../../subscribers/subscriber-history.js';
import { chartFigure } from '../charts.js';

/** Days of history the chart shows. */
const HISTORY_DAYS = 30;

const PAGE_SIZE = 50;
const STATUSES = subscriberStatus.options;
const listQuery = z.object({
  q: z.string().trim().max(200).optional().catch(undefined),
  status: subscriberStatus.optional().catch(undefined),
  cursor: z.string().max(200).optional().catch(undefined),
});

export function subscriberPages(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/subscribers', async (request, reply) => {
    const query = listQuery.parse(request.query ?? {});
    const [fetched, totals, history] = await Promise.all([
      listSubscribers(ctx.db, { q: query.q || undefined, status: query.status, afterId: cursorOrFirstPage(query.cursor), limit: PAGE_SIZE + 1 }),
      subscriberStatusCounts(ctx.db),
      subscriberHistory(ctx.db, { days: HISTORY_DAYS }),
    ]);
    const all = Object.values(totals).reduce((a, b) => a + b, 0);
    const nextQuery = new URLSearchParams({ ...(query.q ? { q: query.q } : {}), ...(query.status ? { status: query.status } : {}) });
    const { items: rows, nextCursor } = toPage(fetched, PAGE_SIZE, (row) => row.id);
    if (nextCursor) nextQuery.set('cursor', nextCursor);
    const content = html`<div class="page-head">
  <h1>Subscribers</h1>
  <a class="button secondary" href="/api/subscribers/export" download>Export CSV</a>
</div>
<ul class="stat-row" aria-label="Subscribers by status">
  <li><strong>${count(all)}</strong> total</li>
  ${STATUSES.map((s) => html`<li><strong>${count(totals[s] ?? 0)}</strong> ${subscriberStatusLabel(s).toLowerCase()}</li>`)}
</ul>
<section class="card" aria-labelledby="history-heading">
  <h2 id="history-heading" class="visually-hidden">Subscribers over time</h2>
  ${chartFigure({
    id: 'subscriber-history',
    title: `Status changes per day, last ${HISTORY_DAYS} days (UTC)`,
    kind: 'line',
    x: { label: 'Day', values: history.map((d) => d.date), short: history.map((d) => d.date.slice(5)) },
    series: HISTORY_STATUSES.map((status) => ({ label: subscriberStatusLabel(status), values: history.map((d) => d[status]) })),
    foldTable: true,
    empty: `No one confirmed, unsubscribed, bounced or complained in the last ${HISTORY_DAYS} days.`,
  })}
</section>
<div class="two-col">
  <section class="card" aria-labelledby="list-heading">
    <h2 id="list-heading" class="visually-hidden">Subscriber list</h2>
    <form method="get" action="/subscribers" class="filters" role="search">
      <div class="field"><label for="q">Search</label><input id="q" name="q" type="search" value="${query.q ?? ''}" placeholder="Address or name"></div>
      <div class="field"><label for="status">Status</label><select id="status" name="status">
        <option value="">Any status</option>
        ${STATUSES.map((s) => html`<option value="${s}"${attrs({ selected: query.status === s })}>${subscriberStatusLabel(s)}</option>`)}
      </select></div>
      <button class="button secondary" type="submit">Filter</button>
    </form>
    ${rows.length === 0
      ? html`<p class="empty">No subscribers match.</p>`
      : html`<div class="table-wrap"><table>
      <caption class="visually-hidden">Subscribers${query.q ? ` matching “${query.q}”` : ''}</caption>
      <thead><tr><th scope="col">Address</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Topics</th><th scope="col">Cadence</th><th scope="col">Since</th></tr></thead>
      <tbody>${rows.map((s) => html`<tr><td>${s.email}</td><td>${s.name ?? ''}</td><td>${subscriberBadge(s.status)}${s.paused ? html` <span class="small muted">paused</span>` : ''}</td><td class="small">${s.topics.join(', ')}</td><td class="small">${s.cadence}</td><td class="small">${time(s.createdAt, '—', 'short')}</td></tr>`)}</tbody>
    </table></div>
    ${rows.length === PAGE_SIZE ? html`<p class="pager"><a href="/subscribers?${nextQuery.toString()}">Next page →</a></p>` : ''}`}
  </section>
  <section class="card" aria-labelledby="import-heading" data-import>
    <h2 id="import-heading">Import a CSV</h2>
    <p class="hint">Columns <code>email,name,topics,status</code> (topics separated by <code>|</code>; status pending or confirmed). Known addresses are updated; unsubscribed, bounced and erased ones are never brought back.</p>
    <div class="field"><label for="csv">CSV file</label><input id="csv" type="file" accept=".csv,text/csv" data-file></div>
    <button class="button primary" type="button" data-start disabled>Import</button>
    <div class="import-progress" data-progress hidden>
      <label for="import-bar">Uploading</label>
      <progress id="import-bar" max="100" value="0"></progress>
    </div>
    <div data-result role="status" aria-live="polite"></div>
    <noscript><p class="hint">Importing here needs JavaScript. Without it, use <code>herald subscribers import FILE</code>.</p></noscript>
  </section>
</div>`;
    return sendDashboardPage(reply, 200, layout({ title: 'Subscribers', request, page: 'subscribers', scripts: [...CHART_ASSETS.scripts, 'subscribers.js'], styles: CHART_ASSETS.styles, flash: takeFlash(request, reply) }, content));
  });
}
