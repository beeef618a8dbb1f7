// Editor API: settle a delivery whose outcome is unknown (a post that timed out after sending, an email held by
// UNCERTAIN_DELIVERY_POLICY=hold) once the editor has checked the account or mailbox.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';
import { editorCause } from '../auth.js';
import { delivery, errors } from '../api-schemas.js';

const resolution = z.object({
  /** `sent`: it did arrive (optionally with the post's id or URL); `failed`: it did not, and will not be repeated. */
  status: z.enum(['sent', 'failed']),
  note: z.string().trim().max(500).optional(),
  // Shown as a link in the dashboard: http(s) only, never javascript: or data:.
  remoteUrl: z.string().trim().url().max(2048).refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL').optional(),
});

export function deliveryRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.post('/api/deliveries/:id/resolve', {
    schema: { tags: ['deliveries'], summary: 'Settle an uncertain delivery', params: idParams, body: resolution, response: { 200: delivery, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const body = parseInput(resolution, request.body);
    const outcome = await ctx.editorial.resolveDelivery(id, body, editorCause(request));
    if (outcome.kind === 'not-found') throw notFound('delivery');
    if (outcome.kind === 'wrong-status') throw new HttpError(409, `delivery is ${outcome.status}; only an uncertain delivery can be resolved`);
    return outcome.delivery;
  });
}
