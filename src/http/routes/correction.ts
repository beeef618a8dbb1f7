// Editor API: correct an article that went out (POST /api/articles/:id/correct) and read what each correction came to.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { correctionProgress, listCorrections } from '../../articles/corrections.js';
import type { HeraldContext } from '../../context.js';
import type { CorrectionRow } from '../../db/schema.js';
import { articleCorrection, errors } from '../api-schemas.js';
import { editorCause } from '../auth.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';

export const correctInput = z
  .object({
    note: z.string().trim().min(1).max(500).describe('the correction, as readers see it after "Correction: "; the same note again is the same correction'),
    email: z.boolean().default(false).describe('a short correction email to every reader whose edition was delivered'),
    social: z
      .enum(['reply', 'edit', 'none'])
      .default('none')
      .describe('reply under each post; edit it where the network can (Mastodon), replying elsewhere; or nothing'),
  })
  .strict()
  .refine((v) => v.email || v.social !== 'none', { message: 'nothing to send: set email to true or social to reply or edit', path: ['social'] });

/** A correction as the API answers it: what was asked, and each reader's and post's outcome. */
export async function correctionBody(ctx: HeraldContext, correction: CorrectionRow, repeated: boolean) {
  const { posts, email } = await correctionProgress(ctx.db, correction.id);
  return { ...correction, repeated, emails: email, posts };
}

export function correctionRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.post('/api/articles/:id/correct', {
    schema: {
      tags: ['articles'],
      summary: 'Correct an article that went out: a short email to its readers and/or a reply under (or edit of) each post (idempotent per note)',
      params: idParams,
      body: correctInput,
      response: { 200: articleCorrection, 201: articleCorrection, ...errors(400, 404, 409) },
    },
  }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const input = parseInput(correctInput, request.body);
    const outcome = await ctx.editorial.correct(id, input, editorCause(request));
    if (outcome.kind === 'not-found') throw notFound('article');
    if (outcome.kind === 'conflict') throw new HttpError(409, outcome.reason);
    const first = outcome.kind === 'corrected';
    return reply.code(first ? 201 : 200).send(await correctionBody(ctx, outcome.correction, !first));
  });

  app.get('/api/articles/:id/corrections', {
    schema: {
      tags: ['articles'],
      summary: "An article's corrections, each with every reader's and post's outcome",
      params: idParams,
      response: { 200: z.array(articleCorrection), ...errors(400, 404) },
    },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const article = await ctx.db.selectFrom('articles').select('id').where('id', '=', id).executeTakeFirst();
    if (!article) throw notFound('article');
    return Promise.all((await listCorrections(ctx.db, id)).map((c) => correctionBody(ctx, c, true)));
  });
}
