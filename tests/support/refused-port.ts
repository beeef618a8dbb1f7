// A loopback port that refuses every connection for as long as a test holds it. The port is the local end of an open
// TCP connection: bound, never listening, so a connect gets ECONNREFUSED, and no other process can bind it meanwhile
// (unlike a port some server had and closed, which anyone may take before the test connects).
import { createConnection, createServer, type Socket } from 'node:net';

export interface RefusedPort {
  port: number;
  /** http(s)://127.0.0.1:port */
  url(scheme?: 'http' | 'https'): string;
  release(): Promise<void>;
}

export async function holdRefusedPort(): Promise<RefusedPort> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port: serverPort } = server.address() as { port: number };
  const client = createConnection({ host: '127.0.0.1', port: serverPort });
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  const port = client.localPort!;
  return {
    port,
    url: (scheme = 'http') => `${scheme}://127.0.0.1:${port}`,
    release: async () => {
      client.destroy();
      accepted.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
