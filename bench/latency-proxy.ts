// Starts the delaying proxy (latency-proxy-process.ts) in front of a port.
import { fork } from 'node:child_process';

export interface LatencyProxy {
  port: number;
  stop(): void;
}

export function startLatencyProxy(targetPort: number, delayMs: number): Promise<LatencyProxy> {
  const child = fork(new URL('./latency-proxy-process.ts', import.meta.url).pathname, [String(targetPort), String(delayMs)], {
    execArgv: ['--import', 'tsx'],
  });
  return new Promise((resolve) => {
    child.once('message', (ready: { port: number }) => resolve({ port: ready.port, stop: () => child.send('stop') }));
  });
}
