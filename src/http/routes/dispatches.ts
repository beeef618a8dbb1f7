// Editor API: watch and cancel dispatches.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { listDispatches, viewDispatch } from '../../dispatch/dispatch-repository.js';
import { listSocialPosts } from '../../social/social-deliveries.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { decodeCursor, pageQuery, toPage } from '../pagination.js';
import { idParams } from './articles.js';
import { editorCause } from '../auth.js';
import { cancelReport as cancelReportBody, dispatch, dispatchWithPosts, errors, page } from '../api-schemas.js';

const listQuery = pageQuery(50, 500).extend({
  article: z.coerce.number().int().positive().optional().describe('only the dispatches of this article'),
});

export function dispatchRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/api/dispatches', {
    schema: { tags: ['dispatches'], summary: 'List dispatches, newest first', querystring: listQuery, response: { 200: page('dispatches', dispatch), ...errors(400) } },
  }, async (request) => {
    const { limit, cursor, article } = parseInput(listQuery, request.query, 'query');
    const rows = await listDispatches(ctx.db, { articleId: article, limit: limit + 1, beforeId: decodeCursor(cursor, 'number') });
    const page = toPage(rows, limit, (dispatch) => dispatch.id);
    return { dispatches: page.items, nextCursor: page.nextCursor };
  });

  app.get('/api/dispatches/:id', {
    schema: { tags: ['dispatches'], summary: 'A dispatch with per-channel counts and its social posts', params: idParams, response: { 200: dispatchWithPosts, ...errors(400, 404) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const dispatch = await viewDispatch(ctx.db, id);
    if (!dispatch) throw notFound('dispatch');
    return { ...dispatch, posts: await listSocialPosts(ctx.db, id) };
  });

  app.post('/api/dispatches/:id/cancel', {
    schema: { tags: ['dispatches'], summary: 'Cancel; says how many went out', params: idParams, response: { 200: cancelReportBody, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const outcome = await ctx.editorial.cancel(id, editorCause(request));
    if (outcome.kind === 'not-found') throw notFound('dispatch');
    if (outcome.kind === 'wrong-status') throw new HttpError(409, `dispatch is ${outcome.status} and can no longer be cancelled`);
    // With `sent`/`unsent`: what went out before the cancel took hold (in-flight deliveries awaited).
    return outcome.report;
  });
}
