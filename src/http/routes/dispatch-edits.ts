// Editor API: change a dispatch before it starts (email subject and preheader, per-network post texts).
import type { FastifyInstance } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { viewDispatch } from '../../dispatch/dispatch-repository.js';
import { dispatchEdits, editDispatch, EDITABLE_STATUSES } from '../../dispatch/edit-dispatch.js';
import { listSocialPosts } from '../../social/social-deliveries.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';
import { checkSocialTexts } from './social.js';
import { editorCause } from '../auth.js';
import { dispatchWithPosts, errors } from '../api-schemas.js';

export function dispatchEditRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.patch('/api/dispatches/:id', {
    schema: { tags: ['dispatches'], summary: 'Edit subject, preheader or social texts before it fires', params: idParams, body: dispatchEdits, response: { 200: dispatchWithPosts, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const edits = parseInput(dispatchEdits, request.body);
    await checkSocialTexts(ctx, edits.socialTexts);
    const outcome = await editDispatch(ctx.db, id, edits, editorCause(request));
    if (outcome.kind === 'not-found') throw notFound('dispatch');
    if (outcome.kind === 'too-late') {
      throw new HttpError(409, `dispatch is ${outcome.status}; only a ${EDITABLE_STATUSES.join(' or ')} dispatch can be changed`);
    }
    return { ...(await viewDispatch(ctx.db, id)), posts: await listSocialPosts(ctx.db, id) };
  });
}
