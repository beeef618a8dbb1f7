// A redis-server of the test's own on a free loopback port, which the test may stop and start again (the shared
// Redis on 6379 is never touched). The port is picked by a probe; redis-server then either binds it or exits, and a
// taken port is simply tried again with another.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export async function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether a Redis answers PING on the port. */
export async function redisAnswers(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

async function launch(port: number): Promise<ChildProcess | undefined> {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return undefined; // the port was taken meanwhile
    if (await redisAnswers(port)) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  return undefined;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  for (let tries = 0; tries < 5; tries++) {
    const port = await probePort();
    let child = await launch(port);
    if (!child) continue;
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      stop: async () => {
        if (!child || child.exitCode !== null) return;
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      },
      start: async () => {
        child = await launch(port);
        if (!child) throw new Error(`could not restart redis-server on ${port}`);
      },
    };
  }
  throw new Error('could not start a private redis-server');
}
