// What each role may do: editors run the newsroom; admins also manage tokens, see settings and the queues.
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

export function isAdmin(request: FastifyRequest): boolean {
  return request.editor?.role === 'admin';
}

export function requireAdmin(request: FastifyRequest): void {
  if (!isAdmin(request)) throw new HttpError(403, 'only an admin token may do this');
}
