// GET /o/:token.gif: the open pixel (HERALD_TRACK_OPENS). Answers the 1×1 GIF at once (no database read) and counts
// the open afterwards; a token that is not genuine gets a 404 and counts nothing.
import type { FastifyInstance } from 'fastify';
import { verifyOpenToken } from '../../analytics/open-tokens.js';
import type { HeraldContext } from '../../context.js';

/** A transparent 1×1 GIF (43 bytes). */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function openPixelRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.route({
    method: ['GET', 'HEAD'],
    // A wildcard, like /l/*: the token with its reader slot outgrows the router's limit on params.
    url: '/o/*',
    config: { polled: true },
    handler: (request, reply) => {
      const { '*': path } = request.params as { '*': string };
      const token = path.endsWith('.gif') && path.length <= 512 ? path.slice(0, -'.gif'.length) : '';
      const open = token ? verifyOpenToken(ctx.linkSecrets, token) : undefined;
      if (!open) return reply.code(404).header('cache-control', 'no-store').send();
      // Counted whatever the setting is now: the pixel is only in editions rendered while it was on.
      ctx.clicks.opens.record(open, { method: request.method, userAgent: request.headers['user-agent'], at: new Date() });
      return reply
        .code(200)
        .header('content-type', 'image/gif')
        // Every fetch is asked for again (a cached pixel counts nothing), and no proxy keeps one reader's copy.
        .header('cache-control', 'private, no-store, no-cache, max-age=0')
        .header('referrer-policy', 'no-referrer')
        .send(PIXEL);
    },
  });
}
