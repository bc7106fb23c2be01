import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from './errors';
import type { ChatStore } from './store/store';

/**
 * The process's own metrics (CPU, memory, event loop lag, GC: prom-client's default collectors), in one
 * registry per process. They measure the process whatever the number of apps in it, and prom-client cannot
 * stop its collectors: collected per app, they kept every app ever created alive (issue 11).
 */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'chat_' });
  }
  return processRegistry;
}

/**
 * Prometheus metrics of one app, in a registry of its own (several apps in one process stay separate).
 * Exposed at GET /metrics with the process's metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsIn = new Counter({
    name: 'chat_events_in_total',
    help: 'Client events received, by event name',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly eventsOut = new Counter({
    name: 'chat_events_out_total',
    help: 'Server emissions (one per emit call, however many sockets it reaches), by event name',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'chat_errors_total',
    help: 'Failed client events and HTTP requests, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly ackLatency = new Histogram({
    name: 'chat_ack_latency_seconds',
    help: 'Time from receiving a client event to answering it, by event name',
    labelNames: ['event'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly storeLatency = new Histogram({
    name: 'chat_store_operation_seconds',
    help: 'Store call duration including group-commit wait, by operation',
    labelNames: ['op'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'chat_http_requests_total',
    help: 'HTTP requests, by method and status',
    labelNames: ['method', 'status'] as const,
    registers: [this.registry],
  });

  constructor(connections: () => number) {
    new Gauge({
      name: 'chat_connections',
      help: 'Open Engine.IO connections',
      registers: [this.registry],
      collect() {
        this.set(connections());
      },
    });
    processMetrics();
  }

  /** Cluster mode: what waits for Redis, and what was dropped instead of delivered late (cluster-events.ts). */
  watchClusterEvents(stats: () => { queued: number; dropped: number }): void {
    new Gauge({
      name: 'chat_cluster_events_queued',
      help: 'Cross-node events waiting for Redis (bounded)',
      registers: [this.registry],
      collect() {
        this.set(stats().queued);
      },
    });
    let counted = 0;
    new Counter({
      name: 'chat_cluster_events_dropped_total',
      help: 'Cross-node events dropped: stale after a Redis outage, beyond the bound, or lost with the connection',
      registers: [this.registry],
      collect() {
        const { dropped } = stats();
        this.inc(dropped - counted);
        counted = dropped;
      },
    });
  }

  /** What GET /metrics shows: this app's metrics and the process's, in the Prometheus text format. */
  exposition(): Promise<string> {
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }

  error(code: ErrorCode): void {
    this.errors.inc({ code });
  }
}

/** Wraps every store method so its duration lands in `chat_store_operation_seconds`. */
export function instrumentStore(store: ChatStore, metrics: Metrics): ChatStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close') return value;
      return (...args: unknown[]) => {
        const end = metrics.storeLatency.startTimer({ op: prop });
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) {
          end();
          return result;
        }
        return result.finally(() => end());
      };
    },
  });
}
