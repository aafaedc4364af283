import { loadConfig, type Config } from "../config";

/**
 * The web process's operator surfaces: `GET /metrics` and the queue dashboard at /admin/queues,
 * from the variables in src/config.ts (METRICS_TOKEN, QUEUE_DASHBOARD_*), validated there with the
 * rest of the configuration; their secrets are in `secretsOf` there.
 */
export interface QueueDashboardConfig {
  readonly user: string;
  readonly password: string;
  readonly readOnly: boolean;
}

export interface MetricsConfig {
  /** Null: /metrics is open to whoever can reach the web process (127.0.0.1 unless HOST says otherwise). */
  readonly metricsToken: string | null;
  /** Null: no dashboard, /admin/queues is 404 and its modules are never loaded. */
  readonly queueDashboard: QueueDashboardConfig | null;
}

type OperatorVariables = Pick<Config, "METRICS_TOKEN" | "QUEUE_DASHBOARD_USER" | "QUEUE_DASHBOARD_PASSWORD" | "QUEUE_DASHBOARD_READONLY">;

export function metricsConfigOf(c: OperatorVariables): MetricsConfig {
  return {
    metricsToken: c.METRICS_TOKEN ?? null,
    queueDashboard: c.QUEUE_DASHBOARD_USER !== undefined && c.QUEUE_DASHBOARD_PASSWORD !== undefined
      ? { user: c.QUEUE_DASHBOARD_USER, password: c.QUEUE_DASHBOARD_PASSWORD, readOnly: c.QUEUE_DASHBOARD_READONLY }
      : null,
  };
}

/** From an environment (tests, scripts): the whole configuration is checked, as at start. */
export function loadMetricsConfig(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  return metricsConfigOf(loadConfig(env));
}
