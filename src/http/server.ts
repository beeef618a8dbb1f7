// The HTTP server: editor API under /api (bearer token), health and metrics; later the public pages and dashboard.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import formbody from '@fastify/formbody';
import type { HeraldContext } from '../context.js';
import { sessionOrBearerAuth } from './dashboard/auth-hooks.js';
import { registerDashboard } from './dashboard/register.js';
import { errorReply, handleError } from './errors.js';
import { redactedRequest, redactLinkTokens } from './log-redaction.js';
import { registerOpenApi } from './openapi.js';
import { articleRoutes } from './routes/articles.js';
import { clickRoutes } from './routes/click-redirect.js';
import { openPixelRoutes } from './routes/open-pixel.js';
import { retractionRoutes } from './routes/retraction.js';
import { correctionRoutes } from './routes/correction.js';
import { cmsWebhookRoutes } from './routes/cms-webhook.js';
import { dispatchControlRoutes } from './routes/dispatch-control.js';
import { dispatchEditRoutes } from './routes/dispatch-edits.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { dispatchRoutes } from './routes/dispatches.js';
import { dispatchReportRoutes } from './routes/dispatch-report.js';
import { editionRoutes } from './routes/editions.js';
import { healthRoutes } from './routes/health.js';
import { publicRoutes } from './routes/public.js';
import { CAPTURE_INBOX_ALIAS, CAPTURE_INBOX_PATH, captureInboxRoutes } from './routes/capture-inbox.js';
import { socialRoutes } from './routes/social.js';
import { subscriberRoutes } from './routes/subscribers.js';
import { tokenRoutes } from './routes/tokens.js';
import { outboundWebhookRoutes } from './routes/outbound-webhooks.js';

/**
 * API answers that carry readers' addresses (subscribers, their export, deliveries, the capture inbox) or tokens:
 * no browser, proxy or CDN may keep a copy.
 */
const PERSONAL_DATA_PREFIXES = ['/api/subscribers', '/api/deliveries', CAPTURE_INBOX_PATH, CAPTURE_INBOX_ALIAS, '/api/tokens'];
const holdsPersonalData = (url: string) => PERSONAL_DATA_PREFIXES.some((prefix) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`));

/**
 * `listening`: an http.Server already bound (src/herald.ts binds it first, so links can name the port bound) and
 * how to hand it Fastify's request handler.
 */
export async function buildHttpServer(
  ctx: HeraldContext,
  listening?: { server: Server; route(handler: (req: IncomingMessage, res: ServerResponse) => void): void },
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(listening
      ? { serverFactory: ((handler) => (listening.route(handler), listening.server)) satisfies FastifyServerFactory<Server> }
      : {}),
    loggerInstance: ctx.log.child({ component: 'http' }, { serializers: { req: redactedRequest } }) as FastifyBaseLogger,
    bodyLimit: ctx.config.HERALD_BODY_LIMIT,
    trustProxy:
      typeof ctx.config.TRUST_PROXY === 'number'
        ? ((hops: number) => (_address: string, hop: number) => hop < hops)(ctx.config.TRUST_PROXY)
        : ctx.config.TRUST_PROXY,
    // Logged by the onResponse hook below instead, so polled endpoints can log at debug.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook('onResponse', async (request, reply) => {
    const level = request.routeOptions.config.polled ? 'debug' : 'info';
    request.log[level](
      { event: 'http.request', method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      `${request.method} ${request.routeOptions.url ?? redactLinkTokens(request.url.split('?')[0])} ${reply.statusCode}`,
    );
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorReply('not_found', `no route for ${request.method} ${redactLinkTokens(request.url.split('?')[0])}`)));
  await app.register(formbody);
  // Before any route: the document is collected as routes are declared.
  await registerOpenApi(app, ctx.config.PUBLIC_URL);

  healthRoutes(app, ctx);
  await app.register(publicRoutes(ctx));
  editionRoutes(app, ctx);
  clickRoutes(app, ctx);
  openPixelRoutes(app, ctx);
  await app.register(cmsWebhookRoutes(ctx));
  // The dashboard at / (signed-in pages, bull-board at /admin/queues); its session also opens the API below.
  const sessions = await registerDashboard(app, ctx);

  await app.register(async (api) => {
    api.addHook('onRequest', sessionOrBearerAuth(ctx.db, sessions));
    api.addHook('onSend', async (request, reply) => {
      if (holdsPersonalData(request.url)) reply.header('cache-control', 'no-store');
    });
    articleRoutes(api, ctx);
    retractionRoutes(api, ctx);
    correctionRoutes(api, ctx);
    subscriberRoutes(api, ctx);
    dispatchRoutes(api, ctx);
    dispatchReportRoutes(api, ctx);
    deliveryRoutes(api, ctx);
    dispatchEditRoutes(api, ctx);
    socialRoutes(api, ctx);
    captureInboxRoutes(api, ctx);
    dispatchControlRoutes(api, ctx);
    tokenRoutes(api, ctx);
    outboundWebhookRoutes(api, ctx);
  });
  return app;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Polled by machines or the dashboard: its request log is at debug level, not info. */
    polled?: boolean;
  }
}
