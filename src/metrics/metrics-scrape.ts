import { collectDefaultMetrics, Registry } from "prom-client";
import type { App } from "../app/context";
import type { Queues } from "../queue/queues";
import { accountMetrics } from "./account-metrics";
import { alertMetrics } from "./alert-metrics";
import { marketMetrics } from "./market-metrics";
import { gauge, type MetricsSource } from "./metrics-source";
import { queueMetrics } from "./queue-metrics";
import { tradingMetrics } from "./trading-metrics";

/** Each source gets this long per scrape; Prometheus's own scrape timeout is 10 s by default. */
export const SOURCE_TIMEOUT_MS = 2_000;

export interface MetricsScrape {
  readonly contentType: string;
  /** The exposition text. Never throws for a source that is down: that source is reported as such. */
  collect(): Promise<string>;
}

/**
 * Everything is read at scrape time from the state the roles share (Redis, the database), so a
 * web process alone reports on workers and bots in other processes, and no other module carries
 * instrumentation. Every scrape builds fresh registries: two scrapes at once cannot mix values.
 * The process's own figures (resident memory, heap, event-loop lag: prom-client's defaults) are
 * this web process's.
 */
export function createMetricsScrape(deps: { app: App; queues: Queues; timeoutMs?: number }): MetricsScrape {
  const { app } = deps;
  const timeoutMs = deps.timeoutMs ?? SOURCE_TIMEOUT_MS;
  const sources: readonly MetricsSource[] = [queueMetrics(deps.queues), marketMetrics(app), tradingMetrics(app), alertMetrics(app), accountMetrics(app)];
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
  /** Last state per source, so a source that stays down is logged when it goes down and when it is back, not every scrape. */
  const wasUp = new Map<string, boolean>();

  return {
    contentType: processRegistry.contentType,
    collect: async () => {
      const started = Date.now();
      const now = app.clock();
      const results = await Promise.all(sources.map(async (source) => {
        const registry = new Registry();
        try {
          const publish = await withTimeout(source.read(now), timeoutMs, source.name);
          publish(registry);
          return { source: source.name, registry, error: null };
        } catch (error) {
          return { source: source.name, registry: null, error: error instanceof Error ? error.message : String(error) };
        }
      }));
      const own = new Registry();
      const up = gauge(own, "perpbot_scrape_source_up", "1 when the source answered this scrape; 0 when it failed or took too long (its metrics are then absent).", ["source"]);
      for (const r of results) {
        up.set({ source: r.source }, r.registry === null ? 0 : 1);
        const previously = wasUp.get(r.source) ?? true;
        if (r.error !== null && previously) app.logger.warn({ source: r.source, error: r.error }, "metrics: a source is down; its metrics are left out until it answers");
        if (r.error === null && !previously) app.logger.info({ source: r.source }, "metrics: the source answers again");
        wasUp.set(r.source, r.error === null);
      }
      gauge(own, "perpbot_scrape_duration_seconds", "How long this scrape took to read every source.").set((Date.now() - started) / 1000);
      const registries = [processRegistry, own, ...results.flatMap((r) => (r.registry === null ? [] : [r.registry]))];
      return Registry.merge(registries).metrics();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  // The late answer is dropped; a rejection after the timeout must not go unhandled.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
