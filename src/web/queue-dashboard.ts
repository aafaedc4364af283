import type { IncomingMessage, ServerResponse } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { getRequestListener } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Queue } from "bullmq";
import { Hono } from "hono";
import type { Queues } from "../queue/queues";

/**
 * The standard BullMQ dashboard (bull-board), served by Hono's request listener on our own
 * node:http server: Hono and its node adapter have no dependencies of their own, where the
 * Express adapter would bring Express's tree. Only imported when the dashboard is configured
 * (src/web/queue-dashboard-access.ts imports it at the first authorised request).
 */
export function createQueueDashboard(queues: Queues, options: { basePath: string; readOnly: boolean }): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    queues: Object.values(queues).map((queue: Queue) => new BullMQAdapter(queue, { readOnlyMode: options.readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: options.readOnly ? "perpbot queues (read-only)" : "perpbot queues" } },
  });
  const app = new Hono().route(options.basePath, serverAdapter.registerPlugin());
  // overrideGlobalObjects false: the rest of the process keeps Node's own Request and Response.
  return getRequestListener(app.fetch, { overrideGlobalObjects: false });
}
