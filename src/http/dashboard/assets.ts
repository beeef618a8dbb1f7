// The dashboard's stylesheet and scripts, from templates/dashboard/: served by Herald itself, no CDN, no build step.
import type { FastifyInstance } from 'fastify';
import { loadTemplate } from '../../runtime/templates.js';
import { notFound } from '../errors.js';

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };

export function assetRoutes(app: FastifyInstance) {
  app.get('/dashboard/assets/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    // A bare name with a known extension: nothing outside templates/dashboard/ can be asked for.
    const match = /^[a-z-]+\.(css|js)$/.exec(file);
    if (!match) throw notFound('asset');
    let body: string;
    try {
      body = loadTemplate(`dashboard/${file}`);
    } catch {
      throw notFound('asset');
    }
    return reply
      .header('content-type', TYPES[match[1]])
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
}
