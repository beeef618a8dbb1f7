// Admin API: register, list, remove outbound webhook endpoints; their recent deliveries; redeliver one.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { WEBHOOK_EVENTS } from '../../webhooks/webhook-events.js';
import { listDeliveries, listEndpoints, redeliver, registerEndpoint, removeEndpoint } from '../../webhooks/webhook-endpoints.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { requireAdmin } from '../roles.js';
import { errors, noContent } from '../api-schemas.js';
import { idParams } from './articles.js';

const webhookEvent = z.enum(WEBHOOK_EVENTS);
const timestamp = z.string().describe('ISO 8601 date-time');

export const newWebhookInput = z.object({
  url: z
    .string()
    .max(2000)
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'must be an http or https URL'),
  events: z.array(webhookEvent).min(1, 'name at least one event'),
});

const endpointView = z
  .object({
    id: z.number().int().positive(),
    url: z.string(),
    events: z.array(webhookEvent),
    createdAt: timestamp,
    disabledAt: timestamp.nullable(),
    disabledReason: z.string().nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastAttemptAt: timestamp.nullable(),
    consecutiveFailures: z.number().int(),
    failingSince: timestamp.nullable(),
  })
  .meta({ id: 'WebhookEndpoint' });
const registeredEndpoint = endpointView
  .extend({ secret: z.string().describe('signs every delivery; shown once') })
  .meta({ id: 'RegisteredWebhookEndpoint' });
const deliveryView = z
  .object({
    id: z.number().int().positive(),
    event: webhookEvent,
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: timestamp,
    deliveredAt: timestamp.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
const redeliverParams = idParams.extend({ deliveryId: idParams.shape.id });

export function outboundWebhookRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/api/webhooks', {
    schema: { tags: ['webhooks'], summary: 'Admins: every webhook endpoint with its health (never the secret)', response: { 200: z.object({ webhooks: z.array(endpointView) }), ...errors() } },
  }, async (request) => {
    requireAdmin(request);
    return { webhooks: await listEndpoints(ctx.db) };
  });

  app.post('/api/webhooks', {
    schema: { tags: ['webhooks'], summary: 'Admins: register an endpoint and the events it receives (secret shown once)', body: newWebhookInput, response: { 201: registeredEndpoint, ...errors(400) } },
  }, async (request, reply) => {
    requireAdmin(request);
    const input = parseInput(newWebhookInput, request.body);
    const endpoint = await registerEndpoint(ctx.db, input);
    ctx.log.info({ event: 'webhook.registered', id: endpoint.id, events: endpoint.events, by: request.editor?.name }, 'webhook endpoint registered');
    return reply.code(201).send(endpoint);
  });

  app.delete('/api/webhooks/:id', {
    schema: { tags: ['webhooks'], summary: 'Admins: remove an endpoint and its deliveries', params: idParams, response: { 204: noContent, ...errors(400, 404) } },
  }, async (request, reply) => {
    requireAdmin(request);
    const { id } = parseInput(idParams, request.params, 'path');
    if (!(await removeEndpoint(ctx.db, id))) throw notFound('webhook');
    ctx.log.info({ event: 'webhook.removed', id, by: request.editor?.name }, 'webhook endpoint removed');
    return reply.code(204).send();
  });

  app.get('/api/webhooks/:id/deliveries', {
    schema: { tags: ['webhooks'], summary: 'Admins: the newest deliveries to an endpoint', params: idParams, response: { 200: z.object({ deliveries: z.array(deliveryView) }), ...errors(400, 404) } },
  }, async (request) => {
    requireAdmin(request);
    const { id } = parseInput(idParams, request.params, 'path');
    const deliveries = await listDeliveries(ctx.db, id);
    if (!deliveries) throw notFound('webhook');
    return { deliveries };
  });

  app.post('/api/webhooks/:id/redeliver/:deliveryId', {
    schema: { tags: ['webhooks'], summary: 'Admins: send one delivery again (re-enables a disabled endpoint)', params: redeliverParams, response: { 202: z.object({ queued: z.literal(true) }), ...errors(400, 404, 409) } },
  }, async (request, reply) => {
    requireAdmin(request);
    const { id, deliveryId } = parseInput(redeliverParams, request.params, 'path');
    const outcome = await redeliver(ctx.db, ctx.queues, id, deliveryId);
    if (outcome === 'not-found') throw notFound('webhook delivery');
    if (outcome === 'in-progress') throw new HttpError(409, 'this delivery is still being sent');
    return reply.code(202).send({ queued: true });
  });
}
