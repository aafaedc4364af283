import type { IncomingMessage, ServerResponse } from "node:http";
import type { App } from "../app/context";
import type { Queues } from "../queue/queues";
import { bearerToken, sameSecret } from "../web/http-auth";
import type { MetricsScrape } from "./metrics-scrape";

export const METRICS_PATH = "/metrics";

/**
 * GET /metrics in the Prometheus text format. With a token, only `Authorization: Bearer <token>`
 * is answered (401 otherwise, nothing read). The collector and prom-client are loaded at the
 * first authorised scrape, so a web process nobody scrapes does not carry them.
 */
export function createMetricsEndpoint(deps: { app: App; queues: Queues; token: string | null; timeoutMs?: number }): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  let scrape: Promise<MetricsScrape> | null = null;
  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      plain(res, 405, "only GET\n", { allow: "GET, HEAD" });
      return;
    }
    if (deps.token !== null) {
      const given = bearerToken(req);
      if (given === null || !sameSecret(given, deps.token)) {
        plain(res, 401, "a bearer token is required (METRICS_TOKEN)\n", { "www-authenticate": 'Bearer realm="perpbot metrics"' });
        return;
      }
    }
    scrape ??= import("./metrics-scrape").then(({ createMetricsScrape }) => createMetricsScrape(deps));
    const loaded = await scrape.catch((error: unknown) => {
      scrape = null; // a failed load is tried again at the next scrape
      throw error;
    });
    const body = await loaded.collect();
    res.writeHead(200, { "content-type": loaded.contentType, "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
  };
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  res.end(text);
}
