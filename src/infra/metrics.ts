/**
 * Prometheus metrics. Each app owns one registry (tests build many apps in one process).
 * Features get or create their metrics through these helpers, so a name is defined once.
 */
import client from 'prom-client';

export class Metrics {
  readonly registry = new client.Registry();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) client.collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): client.Counter<L> {
    return (this.registry.getSingleMetric(name) as client.Counter<L>) ?? new client.Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: client.Gauge<L>) => void): client.Gauge<L> {
    return (
      (this.registry.getSingleMetric(name) as client.Gauge<L>) ??
      new client.Gauge({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) })
    );
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets?: number[]): client.Histogram<L> {
    return (
      (this.registry.getSingleMetric(name) as client.Histogram<L>) ??
      new client.Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) })
    );
  }
}

/** Buckets in seconds for request and LLM latencies: 5 ms … 2 min. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
