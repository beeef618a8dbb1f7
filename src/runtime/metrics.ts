// Prometheus metrics, one registry per Herald instance (several may live in one test process).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { FailoverObserver, TransportHealth } from '../email/transports/failover-transport.js';
import type { Queues } from '../queue/queues.js';

export interface Metrics {
  registry: Registry;
  deliveries: Counter<'channel' | 'status'>;
  published: Counter;
  /** This process' email transports, once its workers opened them: read by /metrics and the dashboard. */
  transports: { health?: () => TransportHealth[] };
  /** Counts what the failover transport reports (sends per transport and outcome, moves to another transport). */
  transportObserver: FailoverObserver;
}

const BREAKER_STATES = ['closed', 'half_open', 'open'] as const;

export function createMetrics(queues: Queues): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_' });
  const deliveries = new Counter({
    name: 'herald_deliveries_total',
    help: 'Deliveries that reached a final status in this process',
    labelNames: ['channel', 'status'] as const,
    registers: [registry],
  });
  const published = new Counter({ name: 'herald_articles_published_total', help: 'Articles published', registers: [registry] });
  new Gauge({
    name: 'herald_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of queues.all()) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
      }
    },
  });
  const transports: Metrics['transports'] = {};
  new Gauge({
    name: 'herald_email_transport_state',
    help: "Each email transport's circuit breaker in this process: 1 for its current state (closed, half_open, open), 0 for the others",
    labelNames: ['transport', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of transports.health?.() ?? []) {
        for (const state of BREAKER_STATES) this.set({ transport: t.name, state }, t.state === state ? 1 : 0);
      }
    },
  });
  const sends = new Counter({
    name: 'herald_email_transport_sends_total',
    help: 'Messages handed to each email transport, by outcome (accepted, or the failure kind)',
    labelNames: ['transport', 'outcome'] as const,
    registers: [registry],
  });
  const failovers = new Counter({
    name: 'herald_email_transport_failovers_total',
    help: 'Messages moved on from a transport to the next one (nothing had been sent)',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const transportObserver: FailoverObserver = {
    sent: (transport, outcome) => sends.inc({ transport, outcome }),
    failedOver: (transport) => failovers.inc({ transport }),
  };
  return { registry, deliveries, published, transports, transportObserver };
}
