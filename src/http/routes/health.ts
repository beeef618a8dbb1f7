// Liveness for orchestrators and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { HeraldContext } from '../../context.js';

async function check(name: string, probe: () => Promise<unknown>, timeoutMs = 2000): Promise<[string, string]> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref()),
    ]);
    return [name, 'ok'];
  } catch (error) {
    return [name, (error as Error).message || 'failed'];
  }
}

export function healthRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/healthz', async (_request, reply) => {
    const checks = Object.fromEntries(
      await Promise.all([
        check('database', () => sql`select 1`.execute(ctx.db)),
        check('redis', () => ctx.redis.ping()),
      ]),
    );
    const healthy = Object.values(checks).every((v) => v === 'ok');
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
