// Every error the API answers with has one shape: {error, issues?: [{path, message}]}.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`);

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
    return reply.code(error.statusCode).send({ error: error.message, ...(error.issues ? { issues: error.issues } : {}) });
  }
  if (error instanceof ZodError) {
    return reply.code(400).send({ error: 'invalid input', issues: zodIssues(error) });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.code(413).send({ error: 'request body too large' });
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return reply.code(fastifyError.statusCode).send({ error: fastifyError.message });
  }
  request.log.error({ event: 'http.error', err: error }, 'unhandled error');
  return reply.code(500).send({ error: 'internal error' });
}
