// "View in browser": an edition's web copy, public, with the per-reader parts replaced by neutral ones.
import type { FastifyInstance } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { fillRecipientMarkers } from '../../email/edition-preview.js';
import { notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';

export function editionRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/editions/:id', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const edition = await ctx.db.selectFrom('editions').select('html').where('dispatchId', '=', id).executeTakeFirst();
    if (!edition) throw notFound('edition');
    // The web copy is the same for everyone: no name, and its links go to the subscribe page.
    const html = fillRecipientMarkers(edition.html, ctx.config.PUBLIC_URL);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'")
      .send(html);
  });
}
