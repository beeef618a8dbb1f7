// Logs a dependency going away once, and its return once, however many connections and retries report it in between:
// an operator searching for `dependency.lost` finds one line per outage, not one per reconnect attempt.
import type { Logger } from 'pino';

export type Dependency = 'redis' | 'database';

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Errors that say the connection is gone (reconnecting), not that a command was wrong. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'string' && CONNECTION_ERROR_CODES.has(e.code)) return true;
  return typeof e?.message === 'string' && /connection is closed|connect ECONNREFUSED|socket closed|stream isn't writeable/i.test(e.message);
}

export class OutageLog {
  private readonly down = new Map<Dependency, number>();

  constructor(private readonly log: Logger) {}

  lost(dependency: Dependency, error?: unknown): void {
    if (this.down.has(dependency)) return;
    this.down.set(dependency, Date.now());
    this.log.warn({ event: 'dependency.lost', dependency, err: error }, `${dependency} unavailable; reconnecting`);
  }

  restored(dependency: Dependency): void {
    const since = this.down.get(dependency);
    if (since === undefined) return;
    this.down.delete(dependency);
    this.log.info({ event: 'dependency.restored', dependency, downMs: Date.now() - since }, `${dependency} is back`);
  }
}

/**
 * Listens to a BullMQ queue, worker or flow producer's `error` event: its own errors are logged, its connection's
 * reconnect attempts only at debug (the shared connection logs the outage once). Without a listener BullMQ prints
 * every reconnect attempt to stderr.
 */
export function reportClientErrors(client: { on(event: 'error', listener: (error: Error) => void): unknown }, log: Logger, what: string): void {
  client.on('error', (error) => {
    if (isConnectionError(error)) log.debug({ event: 'redis.client_waiting', err: error }, `${what} waiting for Redis`);
    else log.warn({ event: 'redis.client_error', err: error }, `${what} error`);
  });
}
