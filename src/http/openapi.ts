// The editor API's OpenAPI 3.1 document, generated from the zod schemas the routes validate with (requests) and
// answer with (src/http/api-schemas.ts), at /api/openapi.json; a reference page at /api/docs, served with its own
// assets (no CDN). Routes keep validating through parseInput (one error shape): Fastify's own validator and
// serializer pass everything through, so the schemas only describe.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { heraldVersion } from '../runtime/templates-dir.js';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Herald editor API',
        version: heraldVersion(),
        description:
          'Publish articles, manage subscribers, steer dispatches. Every error answers `{error, code, issues?}`; ' +
          'lists page with `?limit=` and `?cursor=` (the previous answer\'s `nextCursor`).',
      },
      servers: [{ url: publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token' } } },
      security: [{ bearer: [] }],
    },
    // Only routes with tags: the editor API. Pages, webhooks and the dashboard are documented in docs/.
    hideUntagged: true,
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    // No call to validator.swagger.io: the page works without the internet.
    uiConfig: { validatorUrl: null, deepLinking: true },
    logLevel: 'warn',
  });
  app.get(OPENAPI_PATH, { logLevel: 'warn' }, async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()));
}
