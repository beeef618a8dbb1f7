// Who is asking: the editor API takes a bearer token or a dashboard session (then, for anything but a read, with
// the session's CSRF token in X-CSRF-Token); dashboard pages take the session only and send strangers to sign in.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { bearerAuth } from '../auth.js';
import { errorReply } from '../errors.js';
import { sameSecret, type SessionStore } from './sessions.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isSafeMethod = (request: FastifyRequest) => SAFE_METHODS.has(request.method);

export function sessionOrBearerAuth(db: Kysely<Database>, sessions: SessionStore) {
  const bearer = bearerAuth(db);
  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    if (request.headers.authorization) return bearer(request, reply);
    const signedIn = await sessions.resolve(request);
    if (!signedIn) return bearer(request, reply); // answers 401 with the bearer hint
    if (!isSafeMethod(request) && !sameSecret(request.headers['x-csrf-token'], signedIn.session.csrf)) {
      return reply.code(403).send(errorReply('forbidden', 'missing or wrong X-CSRF-Token for this session'));
    }
    request.editor = signedIn.owner;
  };
}

/** Dashboard pages: a signed-in editor, or a redirect to the sign-in page (401 for anything but a page view). */
export function requireSession(sessions: SessionStore) {
  return async function requireSignedIn(request: FastifyRequest, reply: FastifyReply) {
    const signedIn = await sessions.resolve(request);
    if (signedIn) {
      request.editor = signedIn.owner;
      return;
    }
    if (request.method === 'GET') {
      const next = request.url === '/' ? '' : `?next=${encodeURIComponent(request.url)}`;
      return reply.redirect(`/login${next}`, 303);
    }
    return reply.code(401).type('text/plain').send('Your session has ended. Sign in again.');
  };
}

/** Every state-changing dashboard form carries the session's CSRF token as `_csrf`. */
export async function checkFormCsrf(request: FastifyRequest, reply: FastifyReply) {
  if (isSafeMethod(request)) return;
  const body = (request.body ?? {}) as Record<string, unknown>;
  if (!request.dashboard || !sameSecret(body._csrf, request.dashboard.session.csrf)) {
    return reply.code(403).type('text/plain').send('This form has expired or did not come from Herald. Go back, reload the page and try again.');
  }
}
