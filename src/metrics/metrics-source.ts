import { Counter, Gauge, type Registry } from "prom-client";

/**
 * One part of the shared state a scrape reads (the queues in Redis, the trade journal, the market
 * health records…). `read` does all the I/O and returns what to publish, so a source that fails
 * or times out publishes nothing half-done; the scrape then reports it down and serves the rest.
 */
export type Publish = (registry: Registry) => void;

export interface MetricsSource {
  /** The `source` label of perpbot_scrape_source_up. */
  readonly name: string;
  read(now: number): Promise<Publish>;
}

export function gauge<L extends string = never>(registry: Registry, name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  return new Gauge<L>({ name, help, labelNames, registers: [registry] });
}

/**
 * A counter whose value is a total read from the database (rows only ever added): prom-client's
 * counters only add, so each scrape's fresh registry adds the whole total once.
 */
export function counter<L extends string = never>(registry: Registry, name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return new Counter<L>({ name, help, labelNames, registers: [registry] });
}

/**
 * Label values that come from stored rows are mapped onto a known, short list, so a stray value
 * (a symbol no longer configured, a status from an older version) cannot grow the series count.
 */
export function bounded(value: string | null, known: readonly string[]): string {
  return value !== null && known.includes(value) ? value : "other";
}
