// The dispatch report page: delivered, failed by kind, human and machine clicks, and the edition's links by clicks
// (the same figures as GET /api/dispatches/:id/report, which also gives them as CSV).
import type { FastifyInstance } from 'fastify';
import { dispatchReport } from '../../../analytics/dispatch-report.js';
import type { HeraldContext } from '../../../context.js';
import { html } from '../../../render/html.js';
import { notFound } from '../../errors.js';
import { idParams } from '../../routes/articles.js';
import { count } from '../format.js';
import { layout, sendDashboardPage } from '../layout.js';

const LINK_KINDS: Record<string, string> = { article: 'Article', view_in_browser: 'View in browser', body: 'In the text' };

export function reportPages(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/dispatches/:id/report', async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const report = await dispatchReport(ctx.db, id, ctx.config.HERALD_CLICK_ATTRIBUTION === 'on');
    if (!report) throw notFound('dispatch');
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
    ${figure('Human clicks', report.clicks.human)}
    ${figure('Machine clicks', report.clicks.machine, 'mail scanners, link previews, scripts: kept out of the human figure')}
    ${figure('Unique clickers', report.uniqueClickers, report.attribution ? '' : 'off: HERALD_CLICK_ATTRIBUTION keeps clicks anonymous')}
  </ul>
</section>
<section class="card" aria-labelledby="links-heading">
  <h2 id="links-heading">Links</h2>
  <div class="table-wrap"><table>
    <thead><tr><th scope="col">Link</th><th scope="col">Where</th><th scope="col">Human</th><th scope="col">Machine</th></tr></thead>
    <tbody>${report.links.map((link) => html`<tr><td><a href="${link.url}" rel="noopener noreferrer">${link.url}</a></td>
      <td>${LINK_KINDS[link.kind] ?? link.kind}</td><td>${count(link.human)}</td><td>${count(link.machine)}</td></tr>`)}</tbody>
  </table></div>
  <p class="muted small">Clicks arrive within a few seconds (HERALD_CLICK_FLUSH_MS).</p>
</section>
${report.corrections.length ? html`<section class="card" aria-labelledby="corrections-heading">
  <h2 id="corrections-heading">Corrections</h2>
  <ul>${report.corrections.map((c) => html`<li data-correction="${c.id}"><strong>Correction:</strong> ${c.note}
    <span class="small">${Object.entries(c.email).map(([status, n]) => `email ${n} ${status}`).concat(c.posts.map((p) => `${p.channel} ${p.outcome ?? p.status}`)).join(' · ')}</span></li>`)}</ul>
</section>` : ''}`;
    return sendDashboardPage(reply, 200, layout({ title: `Report · dispatch #${id}`, request, page: 'report' }, content));
  });
}
