// Admin pages: API tokens (issue, revoke) and a read-only view of the settings, secrets never shown.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { issueToken, listTokens, revokeTokenSafely } from '../../../auth/token-admin.js';
import type { HeraldContext } from '../../../context.js';
import { HttpError, zodIssues } from '../../errors.js';
import { idParams } from '../../routes/articles.js';
import { newTokenInput } from '../../routes/tokens.js';
import { redirectWithFlash, takeFlash, type Flash } from '../flash.js';
import { count, time } from '../format.js';
import { transportDefinition } from '../../../email/transports/registry.js';
import { html, type SafeHtml } from '../../../render/html.js';
import { csrfField, layout, sendDashboardPage } from '../layout.js';
import { networkName } from './publish-form.js';

export function requireAdminPage(request: FastifyRequest): void {
  if (request.editor?.role !== 'admin') throw new HttpError(403, 'This page is for admins.');
}

/** A URL without its credentials. */
function withoutSecrets(raw: string | undefined): string {
  if (!raw) return '';
  try {
    const url = new URL(raw);
    url.username = url.username ? '•••' : '';
    url.password = '';
    return url.toString();
  } catch {
    return '(set)';
  }
}

const row = (label: string, value: SafeHtml | string | number) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
const setOrNot = (value: unknown) => (value ? 'set' : 'not set');

const BREAKER_WORDS = { closed: 'Closed (sending)', half_open: 'Half-open (probing)', open: 'Open (not used)' } as const;

/** Each transport's circuit breaker and what it carried, as this process sees them (the breakers are per process). */
function transportHealthCard(ctx: HeraldContext): SafeHtml {
  const health = ctx.metrics.transports.health?.();
  const body = !health
    ? html`<p class="muted">This process sends no mail: each <code>herald worker</code> keeps its own breakers (see its <code>/metrics</code>).</p>`
    : html`<div class="table-wrap"><table class="compact">
  <thead><tr><th scope="col">Transport</th><th scope="col">Breaker</th><th scope="col" class="num">Accepted</th><th scope="col" class="num">Failures</th><th scope="col" class="num">Moved on</th></tr></thead>
  <tbody>${health.map((t) => html`<tr><td>${transportDefinition(t.name as Parameters<typeof transportDefinition>[0]).label}${t.share !== undefined ? html` <span class="small muted">share ${t.share}</span>` : ''}</td>
    <td><span class="badge ${t.state}">${BREAKER_WORDS[t.state]}</span>${t.openedSince ? html` <span class="small muted">${t.openReason === 'blocked' ? 'account refused' : 'failures'}, since ${time(t.openedSince, '—', 'short')}</span>` : ''}</td>
    <td class="num">${count(t.accepted)}</td><td class="num">${count(t.failures)}</td><td class="num">${count(t.failedOver)}</td></tr>`)}</tbody>
  </table></div><p class="small muted">Since this process started; rates per transport are in <code>/metrics</code> (herald_email_transport_sends_total).</p>`;
  return html`<section class="card wide" aria-labelledby="transports-heading"><h2 id="transports-heading">Email transports</h2>${body}</section>`;
}

export function adminPages(app: FastifyInstance, ctx: HeraldContext) {
  /** The tokens page; `flash` when a form post answers with the page itself (a new token is shown only so). */
  async function tokensPage(request: FastifyRequest, reply: FastifyReply, flash: Flash | undefined) {
    const tokens = await listTokens(ctx.db);
    const content = html`<div class="page-head"><h1>API tokens</h1></div>
<div class="two-col">
<section class="card flush" aria-labelledby="tokens-heading">
  <h2 id="tokens-heading" class="visually-hidden">Tokens</h2>
  <div class="table-wrap"><table>
  <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
  <tbody>${tokens.map((t) => html`<tr${t.revokedAt ? html` class="revoked"` : ''}><td>${t.name}</td><td>${t.role}</td><td class="small">${time(t.createdAt, '—', 'short')}</td>
    <td>${t.revokedAt ? html`<span class="badge cancelled">Revoked</span> <span class="small muted">${time(t.revokedAt, '—', 'short')}</span>` : html`<span class="badge completed">Active</span>`}</td>
    <td>${t.revokedAt ? '' : html`<form method="post" action="/tokens/${t.id}/revoke" data-confirm="Revoke “${t.name}”? Anyone using it is signed out at once.">${csrfField(request)}<button class="button danger small" type="submit">Revoke<span class="visually-hidden"> ${t.name}</span></button></form>`}</td></tr>`)}</tbody>
  </table></div>
</section>
<section class="card" aria-labelledby="new-token-heading">
  <h2 id="new-token-heading">New token</h2>
  <form method="post" action="/tokens">
    ${csrfField(request)}
    <div class="field"><label for="token-name">Name</label><span class="hint" id="token-name-hint">Who or what uses it, e.g. “Jane (desk)” or “WordPress”.</span>
      <input id="token-name" name="name" required maxlength="100" aria-describedby="token-name-hint"></div>
    <fieldset><legend>Role</legend><div class="choices">
      <label class="choice"><input type="radio" name="role" value="editor" checked> Editor <span class="muted small">publish, steer dispatches, subscribers</span></label>
      <label class="choice"><input type="radio" name="role" value="admin"> Admin <span class="muted small">also tokens, settings, queues</span></label>
    </div></fieldset>
    <button class="button primary" type="submit">Create token</button>
  </form>
</section>
</div>`;
    // A page carrying a new token is never stored by a browser or proxy.
    if (flash?.secret) reply.header('cache-control', 'no-store');
    return sendDashboardPage(reply, 200, layout({ title: 'Tokens', request, page: 'tokens', flash }, content));
  }

  app.get('/tokens', async (request, reply) => {
    requireAdminPage(request);
    return tokensPage(request, reply, takeFlash(request, reply));
  });

  app.post('/tokens', async (request, reply) => {
    requireAdminPage(request);
    const input = newTokenInput.safeParse(request.body ?? {});
    if (!input.success) return redirectWithFlash(reply, '/tokens', { kind: 'error', message: `Not created: ${zodIssues(input.error).map((i) => `${i.path} ${i.message}`).join('; ')}` });
    const { token } = await issueToken(ctx.db, input.data.name, input.data.role);
    ctx.log.info({ event: 'token.issued', role: input.data.role, by: request.editor?.name }, 'API token issued');
    // Shown once, in the answer to this post itself: a token never travels in a cookie (nor in a URL).
    return tokensPage(request, reply, { kind: 'ok', message: `Token for “${input.data.name}” (${input.data.role}) created. Copy it now; it is not shown again.`, secret: token });
  });

  app.post('/tokens/:id/revoke', async (request, reply) => {
    requireAdminPage(request);
    const { id } = idParams.parse(request.params);
    const outcome = await revokeTokenSafely(ctx.db, id);
    const messages = {
      revoked: { kind: 'ok', message: 'Token revoked; its sessions have ended.' },
      'already-revoked': { kind: 'ok', message: 'That token was already revoked.' },
      'not-found': { kind: 'error', message: 'No such token.' },
      'last-admin': { kind: 'error', message: 'This is the last admin token. Create another admin token first.' },
    } as const;
    return redirectWithFlash(reply, '/tokens', messages[outcome]);
  });

  app.get('/settings', async (request, reply) => {
    requireAdminPage(request);
    const c = ctx.config;
    const feeds = await sql<{ url: string; lastPolledAt: Date | null; lastError: string | null; published: number; baseline: number; invalid: number }>`
      select f.url, f.last_polled_at as "lastPolledAt", f.last_error as "lastError",
        count(*) filter (where i.status = 'published')::int as published,
        count(*) filter (where i.status = 'baseline')::int as baseline,
        count(*) filter (where i.status = 'invalid')::int as invalid
      from feeds f left join feed_items i on i.feed_url = f.url
      group by f.url order by f.url
    `.execute(ctx.db);
    const feedRows = c.HERALD_FEEDS.map((url) => ({ url, ...feeds.rows.find((f) => f.url === url) }));
    const content = html`<div class="page-head"><h1>Settings</h1></div>
<p class="lede">Read from the environment at start (see <code>.env.example</code>); change them there and restart. Secrets are never shown.</p>
<div class="settings-grid">
<section class="card"><h2>Herald</h2><dl class="facts list">
  ${row('Public URL', c.PUBLIC_URL)}
  ${row('List name', c.LIST_NAME)}
  ${row('Database', c.DATABASE_URL ? `PostgreSQL ${withoutSecrets(c.DATABASE_URL)}` : 'embedded PGlite in the data dir')}
  ${row('Redis', withoutSecrets(c.REDIS_URL) || 'redis://127.0.0.1:6379 (default)')}
  ${row('Redis key prefix', ctx.redisPrefix)}
  ${row('Data dir', c.HERALD_DATA_DIR)}
  ${row('HERALD_SECRET', setOrNot(c.HERALD_SECRET))}
</dl></section>
<section class="card"><h2>Email</h2><dl class="facts list">
  ${row('From', c.MAIL_FROM)}
  ${row('Transports', c.EMAIL_TRANSPORT_SHARES
    ? c.EMAIL_TRANSPORTS.map((name) => `${transportDefinition(name).label} ${c.EMAIL_TRANSPORT_SHARES?.[name]}`).join(', ') + ' (shares)'
    : c.EMAIL_TRANSPORTS.map((name) => transportDefinition(name).label).join(' → ') + (c.EMAIL_TRANSPORTS.length > 1 ? ' (failover order)' : ''))}
  ${row('SMTP', c.EMAIL_TRANSPORTS.includes('smtp') && c.SMTP_URL ? withoutSecrets(c.SMTP_URL) : c.EMAIL_TRANSPORT === 'capture' ? 'capture inbox (nothing leaves this machine)' : 'not used')}
  ${row('Pool / rate', `${c.SMTP_POOL_SIZE} connections, ${c.SMTP_RATE_PER_SECOND || 'no'} limit per second`)}
  ${row('Batch size', c.EMAIL_BATCH_SIZE)}
  ${row('Retry window (minutes)', c.SMTP_RETRY_WINDOW_MINUTES)}
  ${row('Unknown outcome after a crash', c.UNCERTAIN_DELIVERY_POLICY)}
  ${row('DKIM', c.DKIM_DOMAIN ? `${c.DKIM_SELECTOR}._domainkey.${c.DKIM_DOMAIN}` : 'off')}
</dl></section>
${transportHealthCard(ctx)}
<section class="card"><h2>Dispatch</h2><dl class="facts list">
  ${row('Hold when late by more than', `${c.HERALD_MAX_LATENESS_MINUTES} minutes`)}
  ${row('Dashboard sign-in lasts', `${c.HERALD_SESSION_HOURS} hours`)}
  ${row('CMS webhook', c.CMS_WEBHOOK_SECRET ? html`on: <code>${c.PUBLIC_URL}/webhooks/cms</code>` : 'off (set CMS_WEBHOOK_SECRET)')}
  ${row('Feeds polled every', `${c.HERALD_FEED_INTERVAL_SECONDS} seconds`)}
</dl></section>
<section class="card"><h2>Social networks</h2><dl class="facts list">
  ${ctx.social.all().map((a) => row(networkName(a.network), a.channel ? `posting as ${a.account}` : `preview only (set ${a.missing.join(', ')})`))}
</dl></section>
<section class="card wide"><h2>Feeds</h2>
  ${feedRows.length === 0 ? html`<p class="muted">No feeds watched. Set <code>HERALD_FEEDS</code> to comma-separated RSS or Atom URLs.</p>` : html`<div class="table-wrap"><table class="compact">
  <thead><tr><th scope="col">Feed</th><th scope="col">Last read</th><th scope="col" class="num">Published</th><th scope="col" class="num">Already there</th><th scope="col" class="num">Invalid</th><th scope="col">Last error</th></tr></thead>
  <tbody>${feedRows.map((f) => html`<tr><td class="small">${f.url}</td><td class="small">${time(f.lastPolledAt ?? null, 'not yet', 'short')}</td><td class="num">${f.published ?? 0}</td><td class="num">${f.baseline ?? 0}</td><td class="num">${f.invalid ?? 0}</td><td class="small danger-text">${f.lastError ?? ''}</td></tr>`)}</tbody>
  </table></div>`}
</section>
</div>`;
    return sendDashboardPage(reply, 200, layout({ title: 'Settings', request, page: 'settings', flash: takeFlash(request, reply) }, content));
  });
}
