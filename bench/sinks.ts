// The SMTP server every bench figure is measured against: Postfix's `smtp-sink` (C, the machine's ceiling) when it is
// installed, else a Node SMTP server in its own process. Both only count messages; the count is read while they run.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freeServicePort } from '../tests/support/private-services.js';

export interface Sink {
  /** What is answering: `postfix smtp-sink` or `node smtp-server`. */
  name: string;
  port: number;
  /** Messages accepted since the last reset. */
  count(): Promise<number>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const POSTFIX_SINK = '/usr/sbin/smtp-sink';

export async function startSink(options: { preferPostfix: boolean }): Promise<Sink> {
  return options.preferPostfix && existsSync(POSTFIX_SINK) ? startPostfixSink() : startNodeSink();
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** `smtp-sink -c` prints a running `sess=… quit=… mesg=N` counter; the last one printed is the count. */
async function startPostfixSink(): Promise<Sink> {
  const port = await freeServicePort();
  const child = spawn(POSTFIX_SINK, ['-c', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let total = 0;
  let offset = 0;
  let tail = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('latin1')).slice(-200);
    const counters = [...tail.matchAll(/mesg=(\d+)/g)];
    if (counters.length) total = Number(counters.at(-1)![1]);
  });
  let errors = '';
  child.stderr!.on('data', (chunk) => (errors += chunk));
  await waitForListener(port, () => (child.exitCode !== null ? `smtp-sink exited: ${errors}` : undefined));
  return {
    name: 'postfix smtp-sink',
    port,
    count: async () => total - offset,
    reset: async () => void (offset = total),
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

function startNodeSink(): Promise<Sink> {
  const child = fork(new URL('./smtp-sink-process.ts', import.meta.url).pathname, { execArgv: ['--import', 'tsx'] });
  const ask = <T>(type: string, pick: (reply: { type: string; received: number }) => T) =>
    new Promise<T>((resolve) => {
      const onMessage = (reply: { type: string; received: number }) => {
        if (reply.type !== type) return;
        child.off('message', onMessage);
        resolve(pick(reply));
      };
      child.on('message', onMessage);
      child.send({ type });
    });
  return new Promise((resolve) => {
    child.once('message', (ready: { port: number }) =>
      resolve({
        name: 'node smtp-server (install postfix for smtp-sink)',
        port: ready.port,
        count: () => ask('count', (reply) => reply.received),
        reset: () => ask('reset', () => undefined),
        stop: async () => {
          child.send({ type: 'stop' });
          await exited(child);
        },
      }),
    );
  });
}

async function waitForListener(port: number, failure: () => string | undefined): Promise<void> {
  const { connect } = await import('node:net');
  for (let attempt = 0; attempt < 100; attempt++) {
    const problem = failure();
    if (problem) throw new Error(problem);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}
