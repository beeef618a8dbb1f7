// Editor API: publish and read articles.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { articleInput } from '../../articles/article-input.js';
import { findArticle, listArticles } from '../../articles/article-repository.js';
import type { HeraldContext } from '../../context.js';
import { notFound, parseInput } from '../errors.js';
import { decodeCursor, pageQuery, toPage } from '../pagination.js';
import { checkSocialTexts } from './social.js';
import { editorCause } from '../auth.js';
import { article, errors, page, publishedArticle } from '../api-schemas.js';

export const idParams = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
const listQuery = pageQuery(50, 500);

export function articleRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.post('/api/articles', {
    schema: { tags: ['articles'], summary: 'Publish an article (idempotent by externalId)', body: articleInput, response: { 200: publishedArticle, 201: publishedArticle, ...errors(400, 413) } },
  }, async (request, reply) => {
    const input = parseInput(articleInput, request.body);
    await checkSocialTexts(ctx, input.socialTexts);
    const outcome = await ctx.editorial.publish(input, editorCause(request));
    return outcome.kind === 'published'
      ? reply.code(201).send({ ...outcome.article, dispatch: outcome.dispatch })
      : reply.code(200).send({ ...outcome.article, dispatch: null });
  });

  app.get('/api/articles', {
    schema: { tags: ['articles'], summary: 'List articles, newest first', querystring: listQuery, response: { 200: page('articles', article), ...errors(400) } },
  }, async (request) => {
    const { limit, cursor } = parseInput(listQuery, request.query, 'query');
    const rows = await listArticles(ctx.db, { limit: limit + 1, before: decodeCursor(cursor, 'number') });
    const page = toPage(rows, limit, (article) => article.id);
    return { articles: page.items, nextCursor: page.nextCursor };
  });

  app.get('/api/articles/:id', {
    schema: { tags: ['articles'], summary: 'One article', params: idParams, response: { 200: article, ...errors(400, 404) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const article = await findArticle(ctx.db, id);
    if (!article) throw notFound('article');
    return article;
  });
}
