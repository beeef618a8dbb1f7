// The HTTP server: editor API under /api (bearer token), health and metrics; later the public pages and dashboard.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { HeraldContext } from '../context.js';
import { bearerAuth } from './auth.js';
import { handleError } from './errors.js';
import { articleRoutes } from './routes/articles.js';
import { dispatchRoutes } from './routes/dispatches.js';
import { editionRoutes } from './routes/editions.js';
import { healthRoutes } from './routes/health.js';
import { outboxRoutes } from './routes/outbox.js';
import { subscriberRoutes } from './routes/subscribers.js';

export async function buildHttpServer(ctx: HeraldContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: ctx.config.HERALD_BODY_LIMIT,
    trustProxy: true,
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route for ${request.method} ${request.url.split('?')[0]}` }));
  await app.register(formbody);

  healthRoutes(app, ctx);
  editionRoutes(app, ctx);

  await app.register(async (api) => {
    api.addHook('onRequest', bearerAuth(ctx.db));
    articleRoutes(api, ctx);
    subscriberRoutes(api, ctx);
    dispatchRoutes(api, ctx);
    outboxRoutes(api, ctx);
  });
  return app;
}
