import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { App } from "../app/context";
import { createMetricsEndpoint, METRICS_PATH } from "../metrics/metrics-endpoint";
import type { MetricsConfig } from "../metrics/metrics-config";
import { createOutageLog } from "../queue/outage-log";
import { QUEUE, type Queues } from "../queue/queues";
import { databaseAnswers } from "../store/database-probe";
import { createHealth, type Health } from "./health";
import { isDashboardPath, queueDashboardGate } from "./queue-dashboard-access";
import { SIGNAL_WEBHOOK_PATH } from "./signal-webhook";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

interface WebDeps {
  app: App;
  queues: Queues;
  telegramWebhook?: { path: string; handler: RequestHandler };
  /** The inbound signal webhook (src/web/signal-webhook.ts), only when SIGNAL_WEBHOOK_SECRET is set. */
  signalWebhook?: RequestHandler;
  /** METRICS_TOKEN and the queue dashboard (src/metrics/metrics-config.ts); absent: /metrics without a token, no dashboard. */
  operator?: MetricsConfig;
  /** GET /health's report (src/web/health.ts), from the runtime's outage logs; absent: one of its own. */
  health?: Health;
}

interface Routes {
  metrics: RequestHandler;
  /** Null when the dashboard is not configured: /admin/queues is then 404. */
  queueDashboard: RequestHandler | null;
  health: Health;
}

/**
 * The `web` process: a health check for the platform's router, a JSON queue overview, Prometheus
 * metrics, the Telegram webhook and the inbound signal webhook when configured, and the queue
 * dashboard when configured. Nothing here changes trading state by itself (an inbound signal goes
 * through the same proposal rules as the engine's; the dashboard is read-only unless told).
 */
/** `host`: the interface to bind, 127.0.0.1 unless given (nothing on the network can reach /queues by default). */
export function startHttpServer(deps: WebDeps & { port: number; host?: string }): Promise<Server> {
  const operator = deps.operator ?? { metricsToken: null, queueDashboard: null };
  const routes: Routes = {
    metrics: createMetricsEndpoint({ app: deps.app, queues: deps.queues, token: operator.metricsToken }),
    queueDashboard: operator.queueDashboard === null ? null : queueDashboardGate(deps.queues, operator.queueDashboard, deps.app.logger),
    health: deps.health ?? standaloneHealth(deps.app, deps.queues),
  };
  const host = deps.host ?? "127.0.0.1";
  if (operator.metricsToken === null && !isLoopback(host)) {
    deps.app.logger.warn({ host }, "GET /metrics answers anyone who can reach this address (equity, positions, queues): set METRICS_TOKEN");
  }
  const server = createServer((req, res) => {
    void route(deps, routes, req, res).catch((error: unknown) => {
      deps.app.logger.error({ err: error, url: req.url }, "http request failed");
      if (!res.headersSent) json(res, 500, { ok: false, error: "internal error" });
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(deps.port, host, () => {
      const address = server.address() as { address: string; port: number };
      deps.app.logger.info({ host: address.address, port: address.port }, "web listening");
      resolve(server);
    });
  });
}

async function route(deps: WebDeps, routes: Routes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (deps.telegramWebhook && req.method === "POST" && path === deps.telegramWebhook.path) {
    await deps.telegramWebhook.handler(req, res);
    return;
  }
  if (deps.signalWebhook && path === SIGNAL_WEBHOOK_PATH) {
    await deps.signalWebhook(req, res);
    return;
  }
  if (req.method === "GET" && (path === "/health" || path === "/")) {
    const { httpStatus, body } = await routes.health.report();
    json(res, httpStatus, body);
    return;
  }
  if (req.method === "GET" && path === "/queues") {
    const counts = Object.fromEntries(await Promise.all(Object.entries(deps.queues).map(async ([name, queue]) =>
      [name, await (queue as Queues["notify"]).getJobCounts("waiting", "active", "delayed", "failed", "completed")] as const)));
    json(res, 200, { ok: true, queues: counts });
    return;
  }
  if (path === METRICS_PATH) {
    await routes.metrics(req, res);
    return;
  }
  if (routes.queueDashboard !== null && path !== undefined && isDashboardPath(path)) {
    await routes.queueDashboard(req, res);
    return;
  }
  json(res, 404, { ok: false, error: "not found" });
}

/**
 * A server started without the runtime (tests, tools): its own outage logs, probed through a queue
 * (one Redis round trip) and the app's database client.
 */
function standaloneHealth(app: WebDeps["app"], queues: Queues): Health {
  const redis = createOutageLog({ what: "Redis", logger: app.logger, clock: Date.now, probe: async () => { await queues[QUEUE.notify].getJobCounts("waiting"); return true; } });
  const database = createOutageLog({ what: "database", logger: app.logger, clock: Date.now, probe: databaseAnswers(app.db) });
  return createHealth({ app, roles: ["web"], redis, database });
}

const isLoopback = (host: string): boolean => host === "localhost" || host === "::1" || host.startsWith("127.");

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
