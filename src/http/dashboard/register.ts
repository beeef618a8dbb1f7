// The web dashboard, wired into the HTTP server: cookies, sign-in, the signed-in pages (session + CSRF on every
// form), its assets and the queue board. Returns the session store the editor API also accepts.
import { createHmac } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import type { HeraldContext } from '../../context.js';
import { HttpError } from '../errors.js';
import { assetRoutes } from './assets.js';
import { checkFormCsrf, requireSession } from './auth-hooks.js';
import { html } from '../../render/html.js';
import { layout, sendDashboardPage } from './layout.js';
import { adminPages } from './pages/admin.js';
import { articlePages } from './pages/articles.js';
import { dispatchPages } from './pages/dispatch.js';
import { inboxPages } from './pages/inbox.js';
import { previewPages } from './pages/preview.js';
import { publishPages } from './pages/publish.js';
import { reportPages } from './pages/report.js';
import { signInRoutes } from './pages/sign-in.js';
import { subscriberPages } from './pages/subscribers.js';
import { webhookPages } from './pages/webhooks.js';
import { queueBoard } from './queue-board.js';
import { sessionStore, type SessionStore } from './sessions.js';

/** Errors on a page are pages: 404 for unknown or malformed ids, 403 for admin pages, 500 logged. */
function pageErrors(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const status = error instanceof ZodError ? 404 : error instanceof HttpError ? error.statusCode : ((error as FastifyError).statusCode ?? 500);
  if (status >= 500) request.log.error({ event: 'http.error', err: error }, 'unhandled error on a dashboard page');
  const [heading, message] = status === 404
    ? ['Not found', 'There is nothing at this address. It may have been a mistyped link.']
    : status === 403 ? ['Not for this token', error.message]
      : status < 500 ? ['That did not work', error.message]
        : ['Something went wrong', 'Nothing was changed. Try again; if it keeps happening, the server log has the details.'];
  const content = html`<section class="card narrow"><h1>${heading}</h1><p>${message}</p><p><a href="/">Back to the articles</a></p></section>`;
  return sendDashboardPage(reply, status, layout({ title: heading, request, page: 'error' }, content));
}

export async function registerDashboard(app: FastifyInstance, ctx: HeraldContext): Promise<SessionStore> {
  // Cookies are signed with a key of their own, derived from Herald's secret.
  await app.register(cookie, {
    secret: createHmac('sha256', ctx.secret).update('herald dashboard cookies').digest('base64url'),
    // Defaults for every cookie Herald sets: never readable by scripts, never sent over plain http behind https.
    parseOptions: { httpOnly: true, sameSite: 'strict', path: '/', secure: ctx.config.PUBLIC_URL.startsWith('https://') },
  });
  const sessions = sessionStore(ctx);

  await app.register(async (open) => {
    open.setErrorHandler(pageErrors);
    signInRoutes(open, ctx, sessions);
    assetRoutes(open);
  });

  await app.register(async (pages) => {
    pages.addHook('onRequest', requireSession(sessions));
    pages.addHook('preHandler', checkFormCsrf);
    pages.setErrorHandler(pageErrors);
    articlePages(pages, ctx);
    publishPages(pages, ctx);
    dispatchPages(pages, ctx);
    previewPages(pages, ctx);
    reportPages(pages, ctx);
    subscriberPages(pages, ctx);
    inboxPages(pages, ctx);
    adminPages(pages, ctx);
    webhookPages(pages, ctx);
  });

  await app.register(queueBoard(ctx, sessions));
  return sessions;
}
