import type { Venue } from "./exchange-venue-formats";

/**
 * How the stand-in's fault injections and request counts pick out each venue's bulk 24 h ticker
 * requests, which on Bybit and Binance share their path with the single-symbol ones.
 */

/** A request as a fault injection or a count matches it: its path, and where one path serves both single and bulk answers, its query. */
export interface RequestMatch {
  readonly path: RegExp;
  readonly query?: (query: URLSearchParams) => boolean;
}

const noSymbol = (q: URLSearchParams): boolean => q.get("symbol") === null;

/**
 * Each venue's bulk 24 h ticker requests as ccxt's fetchTickers sends them: Bybit and Binance
 * share the single request's path (no symbol = every market of the type; Binance spot takes a
 * `symbols` list), OKX and Bitget's perps have a path of their own.
 */
export const BULK_TICKERS: Readonly<Record<Venue, { readonly perp: RequestMatch; readonly spot: RequestMatch }>> = {
  bybit: {
    perp: { path: /\/v5\/market\/tickers$/, query: (q) => noSymbol(q) && q.get("category") === "linear" },
    spot: { path: /\/v5\/market\/tickers$/, query: (q) => noSymbol(q) && q.get("category") === "spot" },
  },
  binanceusdm: { perp: { path: /\/fapi\/v1\/ticker\/24hr$/, query: noSymbol }, spot: { path: /\/api\/v3\/ticker\/24hr$/, query: noSymbol } },
  okx: {
    perp: { path: /\/api\/v5\/market\/tickers$/, query: (q) => q.get("instType") === "SWAP" },
    spot: { path: /\/api\/v5\/market\/tickers$/, query: (q) => q.get("instType") === "SPOT" },
  },
  bitget: { perp: { path: /\/api\/v2\/mix\/market\/tickers$/ }, spot: { path: /\/api\/v2\/spot\/market\/tickers$/, query: noSymbol } },
};

export function matches(match: RegExp | RequestMatch, path: string, query: URLSearchParams): boolean {
  if (match instanceof RegExp) return match.test(path);
  return match.path.test(path) && (match.query === undefined || match.query(query));
}
