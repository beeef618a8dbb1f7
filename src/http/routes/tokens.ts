// Admin API: list, issue and revoke editor and admin tokens.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { cleanLine } from '../../text/plain-text.js';
import { issueToken, listTokens, revokeTokenSafely } from '../../auth/token-admin.js';
import type { HeraldContext } from '../../context.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { requireAdmin } from '../roles.js';
import { idParams } from './articles.js';
import { errors, issuedToken, noContent, token } from '../api-schemas.js';

export const newTokenInput = z.object({
  name: z.string().max(100).transform(cleanLine).pipe(z.string().min(1, 'must not be blank')),
  role: z.enum(['editor', 'admin']).default('editor'),
});

export function tokenRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/api/tokens', {
    schema: { tags: ['tokens'], summary: 'Admins: every API token (never the secret)', response: { 200: z.object({ tokens: z.array(token) }), ...errors() } },
  }, async (request) => {
    requireAdmin(request);
    return { tokens: await listTokens(ctx.db) };
  });

  app.post('/api/tokens', {
    schema: { tags: ['tokens'], summary: 'Admins: issue a token (shown once)', body: newTokenInput, response: { 201: issuedToken, ...errors(400) } },
  }, async (request, reply) => {
    requireAdmin(request);
    const input = parseInput(newTokenInput, request.body);
    const { id, token } = await issueToken(ctx.db, input.name, input.role);
    ctx.log.info({ event: 'token.issued', id, role: input.role, by: request.editor?.name }, 'API token issued');
    return reply.code(201).send({ id, name: input.name, role: input.role, token });
  });

  app.delete('/api/tokens/:id', {
    schema: { tags: ['tokens'], summary: 'Admins: revoke a token', params: idParams, response: { 204: noContent, ...errors(400, 404, 409) } },
  }, async (request, reply) => {
    requireAdmin(request);
    const { id } = parseInput(idParams, request.params, 'path');
    const outcome = await revokeTokenSafely(ctx.db, id);
    if (outcome === 'not-found') throw notFound('token');
    if (outcome === 'last-admin') throw new HttpError(409, 'this is the last admin token; issue another admin token first');
    ctx.log.info({ event: 'token.revoked', id, by: request.editor?.name }, 'API token revoked');
    return reply.code(204).send();
  });
}
