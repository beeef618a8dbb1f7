// Prometheus metrics, one registry per Herald instance (several may live in one test process).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queues } from '../queue/queues.js';

export interface Metrics {
  registry: Registry;
  deliveries: Counter<'channel' | 'status'>;
  published: Counter;
}

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
  return { registry, deliveries, published };
}
