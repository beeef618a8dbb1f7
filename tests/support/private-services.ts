// Private Redis and PostgreSQL servers a test may kill and restart (the shared ones on 6379 and 5432 are never
// touched): `redis-server` on a free port, with or without its append-only file, and a PostgreSQL cluster made with
// initdb and run by pg_ctl as the postgres user, stopped with `-m immediate` as a crash would stop it.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { redisAnswersAt } from '../../src/runtime/redis.js';
import pg from 'pg';

const run = promisify(execFile);

/**
 * A free port below Linux's ephemeral range (32768+): a server restarted on it cannot lose it to an outgoing
 * connection, and it does not race the ports other tests take with port 0.
 */
export async function freeServicePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
const PG_BIN = '/usr/lib/postgresql/15/bin';

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a Redis answers PING on the loopback port. */
export const redisAnswers = (port: number): Promise<boolean> => redisAnswersAt(`redis://127.0.0.1:${port}`);

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: no shutdown save, as a crash or an OOM kill. */
  kill(): Promise<void>;
  /** Starts it again on the same port: from its append-only file when persistent, empty otherwise. */
  start(): Promise<void>;
  /** Kills it and removes its data. */
  close(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Keep an append-only file in its own folder (default: no persistence). */
  appendOnly?: boolean;
  /** More `redis-server` arguments; they win over the defaults (e.g. `--maxmemory-policy allkeys-lru`). */
  args?: string[];
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freeServicePort();
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', options.appendOnly ? 'yes' : 'no', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction',
      ...(options.args ?? []),
    ], { stdio: 'ignore' });
    await until(() => redisAnswers(port), 10_000, `redis-server on ${port}`);
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise((resolve) => {
      c.once('exit', resolve);
      c.kill('SIGKILL');
    });
  };
  await start();
  return {
    url,
    port,
    kill,
    start,
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivatePostgres {
  /** A database on the cluster, for Herald (created at start). */
  url: string;
  /** `pg_ctl stop -m immediate`: every connection is cut, no checkpoint, as a crash. */
  stopImmediately(): Promise<void>;
  /** Starts the cluster again on the same port (crash recovery from its WAL). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freeServicePort();
  const root = mkdtempSync(join(tmpdir(), 'herald-pg-'));
  const data = join(root, 'data');
  chownSync(root, uidOf('postgres'), gidOf('postgres'));
  const asPostgres = (command: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', join(PG_BIN, command), ...args], { cwd: root });
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-l', join(root, 'log'), '-w', '-t', '30', 'start', '-o',
      `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`]);
  };
  await start();
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query('create database herald');
  await client.end();
  const stop = (mode: 'immediate' | 'fast') => asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']).catch(() => undefined);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/herald`,
    stopImmediately: async () => {
      await stop('immediate');
    },
    start,
    close: async () => {
      await stop('immediate');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function idOf(flag: '-u' | '-g', user: string): number {
  return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
}
const uidOf = (user: string) => idOf('-u', user);
const gidOf = (user: string) => idOf('-g', user);
