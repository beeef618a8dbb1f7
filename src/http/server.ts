// The HTTP server: editor API under /api (bearer token), health and metrics; later the public pages and dashboard.
import type { Server } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import formbody from '@fastify/formbody';
import type { HeraldContext } from '../context.js';
import { sessionOrBearerAuth } from './dashboard/auth-hooks.js';
import { registerDashboard } from './dashboard/register.js';
import { handleError } from './errors.js';
import { articleRoutes } from './routes/articles.js';
import { cmsWebhookRoutes } from './routes/cms-webhook.js';
import { dispatchControlRoutes } from './routes/dispatch-control.js';
import { dispatchEditRoutes } from './routes/dispatch-edits.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { dispatchRoutes } from './routes/dispatches.js';
import { editionRoutes } from './routes/editions.js';
import { healthRoutes } from './routes/health.js';
import { publicRoutes } from './routes/public.js';
import { outboxRoutes } from './routes/outbox.js';
import { socialRoutes } from './routes/social.js';
import { subscriberRoutes } from './routes/subscribers.js';
import { tokenRoutes } from './routes/tokens.js';

/** `server`: an http.Server already listening (src/herald.ts binds it first, so links can name the port bound). */
export async function buildHttpServer(ctx: HeraldContext, server?: Server): Promise<FastifyInstance> {
  const app = Fastify({
    ...(server ? { serverFactory: ((handler) => server.on('request', handler)) satisfies FastifyServerFactory<Server> } : {}),
    loggerInstance: ctx.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: ctx.config.HERALD_BODY_LIMIT,
    trustProxy:
      typeof ctx.config.TRUST_PROXY === 'number'
        ? ((hops: number) => (_address: string, hop: number) => hop < hops)(ctx.config.TRUST_PROXY)
        : ctx.config.TRUST_PROXY,
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route for ${request.method} ${request.url.split('?')[0]}` }));
  await app.register(formbody);

  healthRoutes(app, ctx);
  await app.register(publicRoutes(ctx));
  editionRoutes(app, ctx);
  await app.register(cmsWebhookRoutes(ctx));
  // The dashboard at / (signed-in pages, bull-board at /admin/queues); its session also opens the API below.
  const sessions = await registerDashboard(app, ctx);

  await app.register(async (api) => {
    api.addHook('onRequest', sessionOrBearerAuth(ctx.db, sessions));
    articleRoutes(api, ctx);
    subscriberRoutes(api, ctx);
    dispatchRoutes(api, ctx);
    deliveryRoutes(api, ctx);
    dispatchEditRoutes(api, ctx);
    socialRoutes(api, ctx);
    outboxRoutes(api, ctx);
    dispatchControlRoutes(api, ctx);
    tokenRoutes(api, ctx);
  });
  return app;
}
