// Every error the API answers with has one shape: {error, code, issues?: [{path, message}]}. `error` is for people
// and may change; `code` is for programs and is stable (the list is ERROR_CODES, documented in the OpenAPI document).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z, ZodError } from 'zod';

export const ERROR_CODES = [
  'invalid_input', // 400: a field, query parameter or path segment is wrong (see issues)
  'invalid_cursor', // 400: a pagination cursor that this endpoint did not hand out
  'missing_token', // 401: no Authorization: Bearer header
  'invalid_token', // 401: a token Herald does not know
  'token_revoked', // 403
  'forbidden', // 403: the token's role may not do this, or a cross-site request
  'not_found', // 404
  'conflict', // 409: the resource is in a state that does not allow this (e.g. a dispatch that already ran)
  'suppressed', // 409: an erased address on the suppression list
  'duplicate', // 409: it exists already
  'body_too_large', // 413
  'unsupported_media_type', // 415
  'unprocessable', // 422: valid input Herald cannot act on (an article that cannot become an edition)
  'rate_limited', // 429
  'upstream_failed', // 502: an SMTP server or network refused
  'internal', // 500
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_input', 401: 'invalid_token', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'body_too_large',
  415: 'unsupported_media_type', 422: 'unprocessable', 429: 'rate_limited', 502: 'upstream_failed',
};
export const codeForStatus = (status: number): ErrorCode => CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'invalid_input');

export const errorIssue = z.object({ path: z.string(), message: z.string() });
/** The error answer, as the OpenAPI document describes it. */
export const errorBody = z
  .object({
    error: z.string().describe('what went wrong, for people'),
    code: z.enum(ERROR_CODES).describe('what went wrong, for programs (stable)'),
    issues: z.array(errorIssue).optional().describe('every offending field'),
  })
  .meta({ id: 'Error' });

export class HttpError extends Error {
  readonly code: ErrorCode;
  constructor(
    readonly statusCode: number,
    message: string,
    readonly issues?: { path: string; message: string }[],
    code?: ErrorCode,
  ) {
    super(message);
    this.code = code ?? codeForStatus(statusCode);
  }
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`);

/** The body of an error answer, for the few places that reply without throwing (auth hooks). */
export const errorReply = (code: ErrorCode, error: string) => ({ error, code });

export function zodIssues(error: ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
}

/** Parses with a zod schema or throws a 400 that names every offending field. */
export function parseInput<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } }, value: unknown, where = 'body'): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new HttpError(400, `invalid ${where}`, zodIssues(result.error));
  return result.data;
}

export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError) {
    return reply.code(error.statusCode).send({ error: error.message, code: error.code, ...(error.issues ? { issues: error.issues } : {}) });
  }
  if (error instanceof ZodError) {
    return reply.code(400).send({ error: 'invalid input', code: 'invalid_input', issues: zodIssues(error) });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.code(413).send({ error: 'request body too large', code: 'body_too_large' });
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return reply.code(fastifyError.statusCode).send({ error: fastifyError.message, code: codeForStatus(fastifyError.statusCode) });
  }
  request.log.error({ event: 'http.error', err: error }, 'unhandled error');
  return reply.code(500).send({ error: 'internal error', code: 'internal' });
}
