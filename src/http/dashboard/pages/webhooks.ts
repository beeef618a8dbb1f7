// Admins: outbound webhook endpoints — list with health (a disabled one says so), register (URL and events; the secret
// shown once), each endpoint's recent deliveries with their failures, redeliver, remove. The same use cases as the API
// (src/webhooks/webhook-endpoints.ts) and the same input schema (src/http/routes/outbound-webhooks.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../../context.js';
import { html, attrs } from '../../../render/html.js';
import { WEBHOOK_EVENTS } from '../../../webhooks/webhook-events.js';
import { listDeliveries, listEndpoints, redeliver, registerEndpoint, removeEndpoint } from '../../../webhooks/webhook-endpoints.js';
import { zodIssues } from '../../errors.js';
import { idParams } from '../../routes/articles.js';
import { newWebhookInput } from '../../routes/outbound-webhooks.js';
import { redirectWithFlash, takeFlash, type Flash } from '../flash.js';
import { time } from '../format.js';
import { csrfField, layout, sendDashboardPage } from '../layout.js';
import { requireAdminPage } from './admin.js';

/** Deliveries shown per endpoint (the API gives up to 50). */
const RECENT = 10;
const redeliverParams = idParams.extend({ deliveryId: idParams.shape.id });
/** A form sends one `events` value as a string and several as an array. */
const formInput = z.object({ url: z.string().optional(), events: z.union([z.string(), z.array(z.string())]).optional() });

export function webhookPages(app: FastifyInstance, ctx: HeraldContext) {
  async function webhooksPage(request: FastifyRequest, reply: FastifyReply, flash: Flash | undefined, entered?: { url?: string; events?: string[] }) {
    const endpoints = await listEndpoints(ctx.db);
    const deliveries = await Promise.all(endpoints.map(async (e) => (await listDeliveries(ctx.db, e.id, RECENT)) ?? []));
    const disabled = endpoints.filter((e) => e.disabledAt);
    const checked = new Set(entered?.events ?? []);
    const content = html`<div class="page-head"><h1>Webhooks</h1></div>
<p class="lede">Herald posts signed JSON to these URLs when things happen (see <code>docs/WEBHOOKS.md</code> for checking the signature). Failed deliveries are retried with backoff; an endpoint failing for longer than ${ctx.config.HERALD_WEBHOOK_DISABLE_AFTER_HOURS} hours is disabled.</p>
${disabled.length > 0 ? html`<div class="flash error" role="alert" data-disabled-notice>${disabled.length === 1 ? 'One endpoint is' : `${disabled.length} endpoints are`} disabled and receives nothing: ${disabled.map((e) => e.url).join(', ')}. Redeliver one of its deliveries once it is fixed to turn it back on.</div>` : ''}
<div class="two-col">
<div>
${endpoints.length === 0 ? html`<p class="empty">No endpoints yet.</p>` : endpoints.map((e, i) => html`<section class="card" aria-labelledby="endpoint-${e.id}" data-endpoint="${String(e.id)}">
  <h2 id="endpoint-${e.id}" class="small">${e.url}</h2>
  <p>${e.disabledAt
    ? html`<span class="badge failed">Disabled</span> <span class="small">${time(e.disabledAt, '—', 'short')}: ${e.disabledReason ?? ''}</span>`
    : e.consecutiveFailures > 0
      ? html`<span class="badge held">Failing</span> <span class="small">${e.consecutiveFailures} in a row since ${time(e.failingSince, '—', 'short')}</span>`
      : html`<span class="badge completed">Active</span>`}
    <span class="small muted">Events: ${e.events.join(', ')}</span></p>
  ${e.lastError ? html`<p class="small danger-text">Last error${e.lastStatus ? ` (HTTP ${e.lastStatus})` : ''}: ${e.lastError}</p>` : ''}
  ${deliveries[i].length === 0 ? html`<p class="muted small">Nothing delivered yet.</p>` : html`<div class="table-wrap"><table class="compact">
    <caption class="visually-hidden">Recent deliveries to ${e.url}</caption>
    <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last answer</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
    <tbody>${deliveries[i].map((d) => html`<tr data-delivery="${String(d.id)}"><td class="small">${d.event}</td>
      <td><span class="badge ${d.status === 'delivered' ? 'sent' : d.status}">${d.status === 'delivered' ? 'Delivered' : d.status === 'failed' ? 'Failed' : 'Pending'}</span></td>
      <td class="num">${d.attempts}</td>
      <td class="small${d.status === 'failed' ? ' danger-text' : ''}">${d.lastStatus ? `HTTP ${d.lastStatus} ` : ''}${d.lastError ?? ''}</td>
      <td class="small">${time(d.createdAt, '—', 'short')}</td>
      <td>${d.status === 'pending' ? '' : html`<form method="post" action="/webhooks/${e.id}/redeliver/${d.id}">${csrfField(request)}<button class="button secondary small" type="submit">Redeliver<span class="visually-hidden"> ${d.event} #${d.id}</span></button></form>`}</td></tr>`)}</tbody>
  </table></div>`}
  <form method="post" action="/webhooks/${e.id}/remove" data-confirm="Remove ${e.url}? It receives nothing more, and its delivery history goes too.">${csrfField(request)}<button class="button danger small" type="submit">Remove<span class="visually-hidden"> ${e.url}</span></button></form>
</section>`)}
</div>
<section class="card" aria-labelledby="new-webhook-heading">
  <h2 id="new-webhook-heading">New endpoint</h2>
  <form method="post" action="/webhooks">
    ${csrfField(request)}
    <div class="field"><label for="webhook-url">URL</label><span class="hint" id="webhook-url-hint">Where Herald posts, e.g. https://hooks.example.org/herald</span>
      <input id="webhook-url" name="url" type="url" required maxlength="2000" value="${entered?.url ?? ''}" aria-describedby="webhook-url-hint"></div>
    <fieldset><legend>Events</legend><div class="choices">
      ${WEBHOOK_EVENTS.map((event) => html`<label class="choice"><input type="checkbox" name="events" value="${event}"${attrs({ checked: checked.has(event) })}> ${event}</label>`)}
    </div></fieldset>
    <button class="button primary" type="submit">Register endpoint</button>
  </form>
</section>
</div>`;
    // A page carrying a new secret is never stored by a browser or proxy.
    if (flash?.secret) reply.header('cache-control', 'no-store');
    return sendDashboardPage(reply, 200, layout({ title: 'Webhooks', request, page: 'webhooks', flash }, content));
  }

  app.get('/webhooks', async (request, reply) => {
    requireAdminPage(request);
    return webhooksPage(request, reply, takeFlash(request, reply));
  });

  app.post('/webhooks', async (request, reply) => {
    requireAdminPage(request);
    const form = formInput.safeParse(request.body ?? {});
    const raw = form.success ? form.data : {};
    const events = raw.events === undefined ? [] : [raw.events].flat();
    const input = newWebhookInput.safeParse({ url: raw.url, events });
    if (!input.success) {
      const reasons = zodIssues(input.error).map((i) => `${i.path} ${i.message}`).join('; ');
      return webhooksPage(request, reply, { kind: 'error', message: `Not registered: ${reasons}` }, { url: raw.url, events });
    }
    const endpoint = await registerEndpoint(ctx.db, input.data);
    ctx.log.info({ event: 'webhook.registered', id: endpoint.id, events: endpoint.events, by: request.editor?.name }, 'webhook endpoint registered');
    // Shown once, in the answer to this post (as a new token is): a secret never travels in a cookie or a URL.
    return webhooksPage(request, reply, { kind: 'ok', message: `Registered ${endpoint.url}. Its signing secret, shown only now:`, secret: endpoint.secret });
  });

  app.post('/webhooks/:id/remove', async (request, reply) => {
    requireAdminPage(request);
    const { id } = idParams.parse(request.params);
    const removed = await removeEndpoint(ctx.db, id);
    if (removed) ctx.log.info({ event: 'webhook.removed', id, by: request.editor?.name }, 'webhook endpoint removed');
    return redirectWithFlash(reply, '/webhooks', removed ? { kind: 'ok', message: 'Endpoint removed.' } : { kind: 'error', message: 'No such endpoint.' });
  });

  app.post('/webhooks/:id/redeliver/:deliveryId', async (request, reply) => {
    requireAdminPage(request);
    const { id, deliveryId } = redeliverParams.parse(request.params);
    const outcome = await redeliver(ctx.db, ctx.queues, id, deliveryId);
    const messages = {
      queued: { kind: 'ok', message: `Delivery #${deliveryId} queued again.` },
      'in-progress': { kind: 'error', message: 'That delivery is still being sent.' },
      'not-found': { kind: 'error', message: 'No such delivery.' },
    } as const;
    return redirectWithFlash(reply, '/webhooks', messages[outcome]);
  });
}
