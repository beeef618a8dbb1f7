// The dispatch report page: delivered, failed by kind, complaints, unsubscribes, human and machine clicks (and opens
// when tracked), and charts of clicks over time, per link and of each post's engagement (the same figures as GET /api/dispatches/:id/report, which also gives them as CSV). Each chart is its table
// without JavaScript (src/http/dashboard/charts.ts).
import type { FastifyInstance } from 'fastify';
import { dispatchReport, reportOptionsFrom } from '../../../analytics/dispatch-report.js';
import type { HeraldContext } from '../../../context.js';
import { html } from '../../../render/html.js';
import { notFound } from '../../errors.js';
import { idParams } from '../../routes/articles.js';
import { chartFigure } from '../charts.js';
import { count } from '../format.js';
import { CHART_ASSETS, layout, sendDashboardPage } from '../layout.js';
import { reportCharts } from './report-charts.js';

export function reportPages(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/dispatches/:id/report', async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const report = await dispatchReport(ctx.db, id, reportOptionsFrom(ctx.config));
    if (!report) throw notFound('dispatch');
    const charts = reportCharts(report);
    const figure = (label: string, value: number | null, note = '') =>
      html`<li>${label} <strong>${value === null ? '—' : count(value)}</strong>${note ? html` <span class="muted small">${note}</span>` : ''}</li>`;
    const content = html`<div class="page-head">
  <div><p class="eyebrow"><a href="/dispatches/${id}">Dispatch #${id}</a></p><h1>Report</h1></div>
  <p><a class="button secondary" href="/api/dispatches/${id}/report?format=csv">Download CSV</a></p>
</div>
<section class="card" aria-labelledby="figures-heading">
  <h2 id="figures-heading">Email</h2>
  <ul class="counts">
    ${figure('Delivered', report.delivered)}
    ${figure('Hard bounces', report.failed.hardBounce)}
    ${figure('Blocked', report.failed.blocked)}
    ${figure('Other failures', report.failed.other)}
    ${figure('Complaints', report.complaints)}
    ${figure('Unsubscribes', report.unsubscribes.total, `${count(report.unsubscribes.oneClick)} one-click, ${count(report.unsubscribes.link)} by the footer link`)}
    ${figure('Human clicks', report.clicks.human)}
    ${figure('Machine clicks', report.clicks.machine, 'mail scanners, link previews, scripts: kept out of the human figure')}
    ${figure('Unique clickers', report.uniqueClickers, report.attribution ? '' : 'off: HERALD_CLICK_ATTRIBUTION keeps clicks anonymous')}
    ${report.opens ? html`${figure('Human opens', report.opens.human)}${figure('Machine opens', report.opens.machine, 'image proxies, privacy protection, scanners, prefetches')}` : ''}
  </ul>
  ${report.opens ? html`<p class="muted small" data-opens-note>${report.opens.note}</p>` : ''}
</section>
<section class="card" aria-labelledby="clicks-heading">
  <h2 id="clicks-heading">Clicks</h2>
  ${charts.filter((c) => c.id !== 'engagement-per-network').map(chartFigure)}
  <p class="muted small">Clicks arrive within a few seconds (HERALD_CLICK_FLUSH_MS).</p>
</section>
${report.engagement.length ? html`<section class="card" aria-labelledby="social-heading">
  <h2 id="social-heading">Social</h2>
  ${charts.filter((c) => c.id === 'engagement-per-network').map(chartFigure)}
</section>` : ''}
${report.corrections.length ? html`<section class="card" aria-labelledby="corrections-heading">
  <h2 id="corrections-heading">Corrections</h2>
  <ul>${report.corrections.map((c) => html`<li data-correction="${c.id}"><strong>Correction:</strong> ${c.note}
    <span class="small">${Object.entries(c.email).map(([status, n]) => `email ${n} ${status}`).concat(c.posts.map((p) => `${p.channel} ${p.outcome ?? p.status}`)).join(' · ')}</span></li>`)}</ul>
</section>` : ''}`;
    return sendDashboardPage(reply, 200, layout({ title: `Report · dispatch #${id}`, request, page: 'report', ...CHART_ASSETS }, content));
  });
}
