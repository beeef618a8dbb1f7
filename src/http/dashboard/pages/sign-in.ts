// Signing in with an API token (kept only as a session, never in the page) and signing out.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkToken } from '../../../auth/api-tokens.js';
import type { HeraldContext } from '../../../context.js';
import { FixedWindowLimiter, TooManyRequestsError } from '../../rate-limit.js';
import { checkFormCsrf, requireSession } from '../auth-hooks.js';
import { html } from '../../../render/html.js';
import { layout, sendDashboardPage } from '../layout.js';
import { sameSecret, type SessionStore } from '../sessions.js';

/** A signed random value in a cookie and the form: the sign-in form itself cannot be posted from elsewhere. */
const LOGIN_COOKIE = 'herald_login';

/**
 * Only a path on this site: `next` must never send anyone elsewhere. Browsers drop tabs and newlines from a URL and
 * read `\` as `/`, so `/\t/evil.example` or `/\evil.example` would leave the site: anything but a plain relative
 * path lands on the dashboard home.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000 || !next.startsWith('/') || /[\u0000-\u0020\u007f\\]/.test(next)) return '/';
  const base = 'http://herald.invalid';
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return '/';
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return '/';
  }
  // Encoded forms of the same tricks (`/%09/evil.example`, `/%5Cevil.example`) are refused too.
  if (url.origin !== base || next.startsWith('//') || /[\u0000-\u0020\u007f\\]/.test(decoded) || decoded.startsWith('//')) return '/';
  if (url.pathname.startsWith('/login')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

function loginPage(request: FastifyRequest, reply: FastifyReply, status: number, error?: string) {
  const nonce = randomBytes(18).toString('base64url');
  reply.setCookie(LOGIN_COOKIE, nonce, { signed: true, httpOnly: true, sameSite: 'strict', path: '/login', maxAge: 3600 });
  const next = safeNext((request.query as Record<string, unknown>).next ?? (request.body as Record<string, unknown> | undefined)?.next);
  const content = html`<section class="signin card">
  <h1>Sign in to Herald</h1>
  <p class="lede">Use an editor or admin API token. Herald keeps you signed in on this browser, never the token itself.</p>
  ${error ? html`<div class="flash error" role="alert" id="token-error">${error}</div>` : ''}
  <form method="post" action="/login">
    <input type="hidden" name="_login" value="${nonce}">
    <input type="hidden" name="next" value="${next}">
    <div class="field">
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required spellcheck="false"
        ${error ? html`aria-invalid="true" aria-describedby="token-error"` : ''} autofocus>
    </div>
    <button class="button primary" type="submit">Sign in</button>
  </form>
  <p class="hint">No token yet? <code>herald serve</code> prints the admin token on first start (also kept in the data dir as <code>admin-token</code>).</p>
</section>`;
  return sendDashboardPage(reply, status, layout({ title: 'Sign in', request, page: 'login' }, content));
}

export function signInRoutes(app: FastifyInstance, ctx: HeraldContext, sessions: SessionStore) {
  const limiter = new FixedWindowLimiter(ctx.redis, { prefix: `${ctx.redisPrefix}:rate:login`, limit: 20, windowSeconds: 600 });

  app.get('/login', async (request, reply) => {
    if (await sessions.resolve(request)) return reply.redirect(safeNext((request.query as Record<string, unknown>).next), 303);
    return loginPage(request, reply, 200);
  });

  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const cookie = request.cookies[LOGIN_COOKIE];
    const nonce = cookie ? request.unsignCookie(cookie) : undefined;
    if (!nonce?.valid || !nonce.value || !sameSecret(body._login, nonce.value)) {
      return loginPage(request, reply, 403, 'The sign-in form expired. Please enter your token again.');
    }
    try {
      await limiter.enforce(`ip:${request.ip}`);
    } catch (error) {
      if (error instanceof TooManyRequestsError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
        return loginPage(request, reply, 429, `Too many attempts. Try again in ${Math.ceil(error.retryAfterSeconds / 60)} minute(s).`);
      }
      throw error;
    }
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const check = token ? await checkToken(ctx.db, token) : ({ ok: false, reason: 'unknown' } as const);
    if (!check.ok) {
      ctx.log.warn({ event: 'dashboard.sign_in_failed', reason: check.reason, ip: request.ip }, 'dashboard sign-in refused');
      return loginPage(request, reply, 401, check.reason === 'revoked' ? 'This token has been revoked.' : 'That token is not valid.');
    }
    await sessions.create(reply, check.owner.id);
    reply.clearCookie(LOGIN_COOKIE, { path: '/login' });
    ctx.log.info({ event: 'dashboard.signed_in', tokenId: check.owner.id, name: check.owner.name }, 'editor signed in');
    return reply.redirect(safeNext(body.next), 303);
  });

  app.post('/logout', { onRequest: requireSession(sessions), preHandler: checkFormCsrf }, async (request, reply) => {
    await sessions.destroy(request, reply);
    return reply.redirect('/login', 303);
  });
}
