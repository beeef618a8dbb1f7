// Liveness, readiness (/healthz is an alias) and Prometheus metrics, answered by src/ops/ops-endpoints.ts so the
// API and `herald worker` say the same thing.
import type { FastifyInstance } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { answerOps, OPS_PATHS } from '../../ops/ops-endpoints.js';

export function healthRoutes(app: FastifyInstance, ctx: HeraldContext) {
  for (const path of OPS_PATHS) {
    // Polled every few seconds by orchestrators and Prometheus: their request logs stay at debug level.
    app.get(path, { config: { polled: true } }, async (request, reply) => {
      const answer = await answerOps(ctx, path, request.headers.authorization);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
  }
}
