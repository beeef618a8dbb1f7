// GET /l/:token: a tracked link. Answers 302 to the target signed into the token at once (no database read) and
// counts the click afterwards; a token that is not genuine gets a 404 page and never a redirect.
import type { FastifyInstance } from 'fastify';
import { verifyClickToken } from '../../analytics/click-tokens.js';
import type { HeraldContext } from '../../context.js';
import { noticePage, pageSettings, sendPage } from '../pages/page.js';

export function clickRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const settings = pageSettings(ctx);
  const notFoundPage = noticePage(settings, 'Link not found', 'This link is not one of ours, or it was cut short. Please copy the whole link from the email.');
  app.route({
    method: ['GET', 'HEAD'],
    // A wildcard, not a :param: tokens carry their target URL and outgrow the router's 100-character limit on params.
    url: '/l/*',
    // Clicks come in bursts right after a send: logged at debug, not one info line each.
    config: { polled: true },
    handler: (request, reply) => {
      const { '*': token } = request.params as { '*': string };
      const click = token.length <= 4096 ? verifyClickToken(ctx.linkSecrets, token) : undefined;
      if (!click) return sendPage(reply, 404, notFoundPage);
      ctx.clicks.recorder.record(click, { method: request.method, userAgent: request.headers['user-agent'], at: new Date() });
      return reply
        .code(302)
        .header('location', click.target)
        .header('cache-control', 'private, no-store')
        .header('referrer-policy', 'no-referrer')
        .send();
    },
  });
}
