// The operator endpoints every Herald process answers, framework-free so the API (Fastify) and `herald worker`
// (a bare node:http server, no HTTP stack loaded) serve exactly the same thing:
//   /livez   the process is up (no dependency checked: a restart would not fix Redis)
//   /readyz  database and Redis answer (ok/failing each); /healthz is an alias
//   /metrics Prometheus text, behind HERALD_METRICS_TOKEN (bearer) when it is set
import { timingSafeEqual } from 'node:crypto';
import type { HeraldContext } from '../context.js';
import { checkReadiness } from './health-checks.js';

export interface OpsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const OPS_PATHS = ['/livez', '/readyz', '/healthz', '/metrics'] as const;
export type OpsPath = (typeof OPS_PATHS)[number];

const json = (status: number, value: unknown, headers: Record<string, string> = {}): OpsAnswer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
});

function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** What the operator endpoints read: the two dependencies they probe, the metrics, the token and a log. */
export type OpsDeps = Pick<HeraldContext, 'db' | 'redis' | 'log' | 'metrics' | 'config'>;

export async function answerOps(
  ctx: OpsDeps,
  path: OpsPath,
  authorization: string | undefined,
): Promise<OpsAnswer> {
  switch (path) {
    case '/livez':
      return json(200, { status: 'ok' });
    case '/readyz':
    case '/healthz': {
      const { ready, checks } = await checkReadiness(ctx);
      return json(ready ? 200 : 503, { status: ready ? 'ok' : 'failing', checks });
    }
    case '/metrics': {
      const token = ctx.config.HERALD_METRICS_TOKEN;
      if (token && !bearerMatches(authorization, token)) {
        return json(401, { error: 'metrics need Authorization: Bearer <HERALD_METRICS_TOKEN>', code: 'unauthorized' }, {
          'www-authenticate': 'Bearer',
        });
      }
      return {
        status: 200,
        headers: { 'content-type': ctx.metrics.registry.contentType, 'cache-control': 'no-store' },
        body: await ctx.metrics.registry.metrics(),
      };
    }
  }
}
