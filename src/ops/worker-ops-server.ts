// `herald worker`'s own small HTTP server on HERALD_WORKER_PORT: /livez, /readyz, /healthz and /metrics, so
// Prometheus sees what workers count and an orchestrator can probe them. node:http only: a worker process never
// loads Fastify.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerOps, OPS_PATHS, type OpsDeps, type OpsPath } from './ops-endpoints.js';

export interface WorkerOpsServer {
  address: string;
  close(): Promise<void>;
}

export async function startWorkerOpsServer(ctx: OpsDeps, port: number, host: string): Promise<WorkerOpsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || !(OPS_PATHS as readonly string[]).includes(path)) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found', code: 'not_found' }));
      return;
    }
    answerOps(ctx, path as OpsPath, request.headers.authorization).then(
      (answer) => response.writeHead(answer.status, answer.headers).end(answer.body),
      (error) => {
        ctx.log.error({ event: 'ops.error', err: error }, 'operator endpoint failed');
        response.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const address = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  ctx.log.info({ event: 'worker.ops_listening', address }, `worker metrics and health on ${address}`);
  return {
    address,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
