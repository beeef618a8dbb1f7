// A redis-server of a test's own on a free port, for tests that stop Redis or need it configured differently
// (the shared one on 6379 is never stopped or reconfigured).
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { eventually, freePort } from './herald.js';

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `port`: start again on a port a stopped one used, so clients reconnect. */
export async function startPrivateRedis(args: string[] = [], port?: number): Promise<PrivateRedis> {
  port ??= await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  await eventually(async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, 10_000, `redis-server on ${port}`);
  return {
    url,
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
