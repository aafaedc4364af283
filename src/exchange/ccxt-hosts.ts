import type { Exchange } from "ccxt";

function rewriteHosts(api: unknown, origin: string): unknown {
  if (typeof api === "string") return api.replace(/^https?:\/\/[^/]+/, origin);
  if (api !== null && typeof api === "object") {
    return Object.fromEntries(Object.entries(api).map(([key, value]) => [key, rewriteHosts(value, origin)]));
  }
  return api;
}

/**
 * Points every host in a ccxt exchange's `urls.api` at `origin` ("http://127.0.0.1:PORT"), paths
 * kept: how the stand-ins and offline runs are reached. Every venue's paths are distinct
 * (/v5, /fapi, /api/v5, /api/v2), so one server can answer them all.
 */
export function pointAt(exchange: Exchange, origin: string): void {
  const base = origin.replace(/\/+$/, "");
  exchange.urls = { ...exchange.urls, api: rewriteHosts(exchange.urls.api, base) as typeof exchange.urls.api };
}
