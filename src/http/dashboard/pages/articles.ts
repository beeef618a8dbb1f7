// The dashboard's home: every article with its dispatch, newest first, and what needs an editor's attention.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../../context.js';
import { cursorOrFirstPage, toPage } from '../../pagination.js';
import { takeFlash } from '../flash.js';
import { count, statusBadge, time } from '../format.js';
import { html } from '../../../render/html.js';
import { layout, sendDashboardPage } from '../layout.js';
import { articleOverview, dispatchStatusCounts, type ArticleOverview } from '../overview-queries.js';

const PAGE_SIZE = 30;
const pageQuery = z.object({ cursor: z.string().max(200).optional() });

function progressCell(row: ArticleOverview) {
  if (!row.dispatchId) return html`<span class="muted">—</span>`;
  if (row.status === 'scheduled') return html`<span class="muted">for ${time(row.scheduledAt, '—', 'short')}</span>`;
  if (row.deliveries === 0) return html`<span class="muted">—</span>`;
  return html`${count(row.sent)} of ${count(row.deliveries)} sent${row.failed ? html`, <span class="danger-text">${count(row.failed)} not delivered</span>` : ''}`;
}

export function articlePages(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/', async (request, reply) => {
    // The API's pagination convention (src/http/pagination.ts): an opaque cursor; a bad one shows the first page.
    const { cursor } = pageQuery.parse(request.query ?? {});
    const before = cursorOrFirstPage(cursor);
    const [fetched, statuses] = await Promise.all([articleOverview(ctx.db, { limit: PAGE_SIZE + 1, before }), dispatchStatusCounts(ctx.db)]);
    const { items: rows, nextCursor } = toPage(fetched, PAGE_SIZE, (row) => row.id);
    const attention = [
      statuses.held ? html`<li><strong>${count(statuses.held)} held</strong>: due while Herald was down; release, reschedule or cancel each.</li>` : '',
      statuses.paused ? html`<li><strong>${count(statuses.paused)} paused</strong>: resume or cancel.</li>` : '',
    ].filter((item) => item !== '');
    const table = rows.length === 0
      ? html`<div class="empty"><p>No articles yet.</p><p><a class="button primary" href="/publish">Publish the first one</a></p></div>`
      : html`<div class="table-wrap"><table>
  <caption class="visually-hidden">Articles and their dispatches</caption>
  <thead><tr><th scope="col">Article</th><th scope="col">Published</th><th scope="col">Dispatch</th><th scope="col">Channels</th><th scope="col">Progress</th></tr></thead>
  <tbody>${rows.map((row) => html`<tr>
    <td class="title-cell">${row.dispatchId ? html`<a href="/dispatches/${row.dispatchId}">${row.title}</a>` : row.title}
      ${row.section ? html`<span class="muted small">${row.section}</span>` : ''}</td>
    <td class="small">${time(row.publishedAt, '—', 'short')}</td>
    <td>${statusBadge(row.status)}${row.pauseReason ? html`<p class="small danger-text" data-pause-reason>${row.pauseReason}</p>` : ''}</td>
    <td class="small">${(row.channels ?? []).join(', ')}</td>
    <td class="small">${progressCell(row)}</td>
  </tr>`)}</tbody>
</table></div>
${nextCursor ? html`<p class="pager"><a href="/?cursor=${nextCursor}">Older articles →</a></p>` : ''}`;
    const content = html`<div class="page-head">
  <h1>Articles</h1>
  <a class="button primary" href="/publish">Publish an article</a>
</div>
${attention.length ? html`<div class="flash warn" role="status"><ul class="plain">${attention}</ul></div>` : ''}
${table}`;
    return sendDashboardPage(reply, 200, layout({ title: 'Articles', request, page: 'articles', flash: takeFlash(request, reply) }, content));
  });
}
