// Opens every transport EMAIL_TRANSPORTS lists and puts them behind one failover transport, with their shares and
// the breaker settings: what a worker process sends through.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { FailoverTransport, type FailoverObserver } from './failover-transport.js';
import { openEmailTransport, transportDefinition, type TransportName } from './registry.js';

export async function openConfiguredTransport(
  config: Config,
  deps: { log?: Logger; observer?: FailoverObserver; now?: () => number } = {},
): Promise<FailoverTransport> {
  const opened = [];
  try {
    for (const name of config.EMAIL_TRANSPORTS) {
      opened.push(await openEmailTransport(name, config, { dataDir: config.HERALD_DATA_DIR }));
    }
  } catch (error) {
    await Promise.allSettled(opened.map((t) => t.close()));
    throw error;
  }
  const members = opened.map((transport) => ({
    transport,
    ...(config.EMAIL_TRANSPORT_SHARES ? { share: config.EMAIL_TRANSPORT_SHARES[transport.name as TransportName] } : {}),
  }));
  return new FailoverTransport(members as [typeof members[number], ...typeof members], {
    failureThreshold: config.EMAIL_BREAKER_FAILURES,
    coolDownMs: config.EMAIL_BREAKER_COOLDOWN_MS,
    ...deps,
  });
}

/** Messages in flight a process' transports can carry at once: the largest of the configured ones'. */
export function transportConnections(config: Config): number {
  return Math.max(...config.EMAIL_TRANSPORTS.map((name) => transportDefinition(name).maxConnections(config)));
}
