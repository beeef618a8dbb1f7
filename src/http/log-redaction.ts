// Request logs without link tokens: whoever reads the logs must not be able to unsubscribe, confirm or edit the
// preferences of the readers whose links passed through (nor follow a reader's click-redirect later).
import type { FastifyRequest } from 'fastify';

/** Path segments whose next segment is a bearer credential. */
const TOKEN_PATHS = /\/(unsubscribe|confirm|confirm-email|preferences|l|o)\/[^/?#]+/g;

export function redactLinkTokens(url: string): string {
  return url.replace(TOKEN_PATHS, '/$1/[redacted]');
}

/** Replaces Fastify's `req` serializer: the same fields, with the URL redacted. */
export function redactedRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactLinkTokens(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
