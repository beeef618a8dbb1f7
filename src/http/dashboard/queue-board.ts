// bull-board at /admin/queues: admins only (dashboard session), no request from another site, and nothing loaded
// from elsewhere (its stylesheet asks for a web font; the policy below keeps the page working offline without it).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { HeraldContext } from '../../context.js';
import { errorReply } from '../errors.js';
import { isSafeMethod } from './auth-hooks.js';
import type { SessionStore } from './sessions.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** A state change must come from our own pages: the browser says so (Sec-Fetch-Site, else Origin). */
function fromThisSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = request.headers.origin;
  return !origin || new URL(origin).host === request.headers.host;
}

export function queueBoard(ctx: HeraldContext, sessions: SessionStore) {
  return async function registerQueueBoard(app: FastifyInstance) {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const signedIn = await sessions.resolve(request);
      if (!signedIn) {
        return request.method === 'GET'
          ? reply.redirect(`/login?next=${encodeURIComponent(QUEUE_BOARD_PATH)}`, 303)
          : reply.code(401).send(errorReply('missing_token', 'sign in first'));
      }
      if (signedIn.owner.role !== 'admin') return reply.code(403).type('text/plain').send('The queue board is for admins.');
      if (!isSafeMethod(request) && !fromThisSite(request)) return reply.code(403).send(errorReply('forbidden', 'cross-site request refused'));
      request.editor = signedIn.owner;
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      // Its page asks Google for a web font: dropped, so the board loads nothing from outside (works offline).
      const page = typeof payload === 'string' && String(reply.getHeader('content-type') ?? '').startsWith('text/html')
        ? payload.replace(/<link[^>]+fonts\.googleapis\.com[^>]*>/g, '')
        : payload;
      reply
        .header('cache-control', 'no-store')
        .header('x-frame-options', 'DENY')
        .header(
          'content-security-policy',
          "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
            "connect-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'",
        );
      return page;
    });

    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: ctx.queues.all().map((queue) => new BullMQAdapter(queue)),
      // @bull-board/fastify pins a patch release of @bull-board/api of its own: the same shape, declared twice.
      serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
      options: {
        uiConfig: { boardTitle: 'Herald queues', hideDocsLink: true, miscLinks: [{ text: 'Back to Herald', url: '/' }] },
      },
    });
    await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  };
}
