// Bearer-token authentication for the editor API: 401 without a valid token, 403 for a revoked one.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { checkToken, type TokenOwner } from '../auth/api-tokens.js';
import type { Database } from '../db/schema.js';
import { errorReply } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    editor?: TokenOwner;
  }
}

export function bearerAuth(db: Kysely<Database>) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorReply('missing_token', 'missing bearer token (Authorization: Bearer <token>)'));
    }
    const result = await checkToken(db, match[1]);
    if (!result.ok) {
      return result.reason === 'revoked'
        ? reply.code(403).send(errorReply('token_revoked', 'this token has been revoked'))
        : reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send(errorReply('invalid_token', 'invalid token'));
    }
    request.editor = result.owner;
  };
}

/** Who did it, for the event log: `editor:<token name>`. */
export const editorCause = (request: { editor?: { name: string } }, fallback = 'api') =>
  `editor:${request.editor?.name ?? fallback}`;
