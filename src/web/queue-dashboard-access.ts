import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log";
import type { QueueDashboardConfig } from "../metrics/metrics-config";
import type { Queues } from "../queue/queues";
import { basicAuthMatches } from "./http-auth";

export const QUEUE_DASHBOARD_PATH = "/admin/queues";

export const isDashboardPath = (path: string): boolean => path === QUEUE_DASHBOARD_PATH || path.startsWith(`${QUEUE_DASHBOARD_PATH}/`);

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * /admin/queues behind HTTP Basic auth. The dashboard's modules (bull-board, Hono, ejs) are
 * imported at the first authorised request, never before and never when the dashboard is not
 * configured: measured, they add about 6–9 MB of heap to the web process (150 MB memory goal).
 * Read-only by default: bull-board then hides its buttons and refuses its write routes, and this
 * gate refuses every request but GET and HEAD before bull-board sees it. Retrying or removing a job
 * by hand goes around the outbox: a retried execution job could send an order the journal does not
 * expect, and a removed one leaves its intent for the reconciler to queue again.
 */
export function queueDashboardGate(queues: Queues, config: QueueDashboardConfig, logger: Logger): Handler {
  let dashboard: Promise<Handler> | null = null;
  const load = async (): Promise<Handler> => {
    const { createQueueDashboard } = await import("./queue-dashboard");
    return createQueueDashboard(queues, { basePath: QUEUE_DASHBOARD_PATH, readOnly: config.readOnly });
  };
  logger.info({ path: QUEUE_DASHBOARD_PATH, readOnly: config.readOnly }, "queue dashboard on");
  return async (req, res) => {
    if (!basicAuthMatches(req, config)) {
      res.writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Basic realm="perpbot queues", charset="UTF-8"' });
      res.end("credentials required\n");
      return;
    }
    if (config.readOnly && req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "content-type": "application/json", allow: "GET, HEAD" });
      res.end(JSON.stringify({ error: "the queue dashboard is read-only (QUEUE_DASHBOARD_READONLY=false allows retries and removals)" }));
      return;
    }
    dashboard ??= load().catch((error: unknown) => {
      dashboard = null; // tried again at the next request
      throw error;
    });
    await (await dashboard)(req, res);
  };
}
