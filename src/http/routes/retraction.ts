// Editor API: retract an article (POST /api/articles/:id/retract) and read what its retraction came to, per post.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findRetraction } from '../../articles/retractions.js';
import type { HeraldContext } from '../../context.js';
import type { RetractionRow } from '../../db/schema.js';
import { listArticlePosts } from '../../social/social-deliveries.js';
import { articleRetraction, errors } from '../api-schemas.js';
import { editorCause } from '../auth.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';

export const retractInput = z.object({
  reason: z.string().trim().min(1).max(1000).describe('shown to readers on the web copy, and kept in the event log'),
});

/** The retraction as the API answers it: the reason, what it stopped, and each post's outcome. */
export async function retractionBody(
  ctx: HeraldContext,
  retraction: RetractionRow,
  extra: { alreadyRetracted: boolean; cancelledDispatches: number[] },
) {
  return {
    articleId: retraction.articleId,
    reason: retraction.reason,
    cause: retraction.cause,
    retractedAt: retraction.retractedAt,
    ...extra,
    posts: await listArticlePosts(ctx.db, retraction.articleId),
  };
}

export function retractionRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.post('/api/articles/:id/retract', {
    schema: {
      tags: ['articles'],
      summary: 'Retract an article: unsent email cancelled, its posts deleted, the web copy replaced (idempotent)',
      params: idParams,
      body: retractInput,
      response: { 200: articleRetraction, 201: articleRetraction, ...errors(400, 404) },
    },
  }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const { reason } = parseInput(retractInput, request.body);
    const outcome = await ctx.editorial.retract(id, reason, editorCause(request));
    if (outcome.kind === 'not-found') throw notFound('article');
    const first = outcome.kind === 'retracted';
    const body = await retractionBody(ctx, outcome.retraction, {
      alreadyRetracted: !first,
      cancelledDispatches: first ? outcome.cancelled : [],
    });
    return reply.code(first ? 201 : 200).send(body);
  });

  app.get('/api/articles/:id/retraction', {
    schema: { tags: ['articles'], summary: "An article's retraction and each post's outcome", params: idParams, response: { 200: articleRetraction, ...errors(400, 404) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const retraction = await findRetraction(ctx.db, id);
    if (!retraction) throw new HttpError(404, 'this article has not been retracted');
    return retractionBody(ctx, retraction, { alreadyRetracted: true, cancelledDispatches: [] });
  });
}
