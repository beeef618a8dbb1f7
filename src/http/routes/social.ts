// Editor API for social posts: a live preview of every network's post, and the length check of editors' own texts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { articleInput } from '../../articles/article-input.js';
import { findArticle } from '../../articles/article-repository.js';
import type { HeraldContext } from '../../context.js';
import { previewPosts } from '../../social/preview.js';
import { socialTextIssues, socialTextsInput, type SocialTextsEdit } from '../../social/social-texts.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { errors, postPreview } from '../api-schemas.js';

const savedArticle = z.object({
  articleId: z.number().int().positive().max(2_147_483_647),
  socialTexts: socialTextsInput.optional(),
});
// A draft needs only what composing reads; other fields of a full article payload (externalId, channels…) are ignored.
const draftArticle = articleInput
  .pick({ title: true, url: true, excerpt: true, html: true, tags: true, image: true })
  .extend({ socialTexts: socialTextsInput.optional() });

/** 400 naming each text that is too long for its network (measured against the live limit), like a schema error. */
export async function checkSocialTexts(ctx: HeraldContext, texts: SocialTextsEdit | undefined): Promise<void> {
  if (!texts || Object.values(texts).every((t) => t == null)) return;
  const issues = socialTextIssues(texts, await ctx.social.limits());
  if (issues.length > 0) throw new HttpError(400, 'invalid body', issues);
}

export function socialRoutes(app: FastifyInstance, ctx: HeraldContext) {
  /** Body: `{articleId}` or an article payload, each with optional `socialTexts`; answers every network's post. */
  app.post('/api/social/preview', {
    schema: { tags: ['social'], summary: "Each network's composed post with its length and limit", body: z.union([savedArticle, draftArticle]), response: { 200: z.object({ posts: z.array(postPreview) }), ...errors(400, 404) } },
  }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if ('articleId' in body) {
      const input = parseInput(savedArticle, body);
      const article = await findArticle(ctx.db, input.articleId);
      if (!article) throw notFound('article');
      return { posts: await previewPosts(article, ctx.social, input.socialTexts) };
    }
    const draft = parseInput(draftArticle, body);
    const article = { ...draft, imageUrl: draft.image?.url ?? null, imageAlt: draft.image?.alt ?? null };
    return { posts: await previewPosts(article, ctx.social, draft.socialTexts) };
  });
}
