import type { Exchange, MarketInterface, okx as OkxClass } from "ccxt";
import { loadExchangeClass } from "../ccxt-loader";
import { finite, record, THIRTY_MINUTES, type RawOpenInterest, type VenueDescriptor } from "./types";

/**
 * OKX v5, SWAP and SPOT instruments. Swap sizes count contracts of ctVal base units (0.01 BTC for
 * BTC-USDT-SWAP): books, the ticker's vol24h and the open interest's `oi` are in contracts. The
 * funding-rate answer carries the interval (ccxt reads it from fundingTime → nextFundingTime).
 * Funding history pages backward with `after` (strictly older than), 100 a page.
 */

/**
 * The per-instrument open-interest history (/api/v5/rubik/stat/contracts/open-interest-history:
 * rows [ts, oi (contracts), oiCcy (base), oiUsd], newest first, at most 100). ccxt's unified
 * fetchOpenInterestHistory reads a different endpoint, one figure per currency summed over every
 * contract of it (coin-margined and dated futures too), in USD: not this perp's open interest.
 */
async function openInterestHistory(exchange: Exchange, market: MarketInterface, sinceMs: number, limit: number): Promise<RawOpenInterest[]> {
  const raw = exchange as OkxClass;
  const response = record(await raw.publicGetRubikStatContractsOpenInterestHistory({ instId: market.id, period: "1H", begin: String(sinceMs), limit: String(limit) }));
  const rows = Array.isArray(response["data"]) ? (response["data"] as unknown[]) : [];
  return rows.flatMap((row) => {
    if (!Array.isArray(row)) return [];
    const [ts, oi, , oiUsd] = row as unknown[];
    return [{ ts, amount: finite(oi), value: finite(oiUsd) }]; // contracts, like every OKX swap size: the adapter converts
  });
}

export const okx: VenueDescriptor = {
  id: "okx",
  name: "OKX",
  loadClass: () => loadExchangeClass("okx"),
  marketDataOptions: { fetchMarkets: { types: ["spot", "swap"] } },
  liveOptions: { fetchMarkets: { types: ["swap"] } },
  fundingIntervalSource: "listing", // the listing states none: the rate's own interval decides, else 8 h (logged)
  sizeUnit: "contracts",
  historyPaging: { limit: 100, direction: "backward", untilParams: (until) => ({ after: String(until + 1) }) },
  bookRequest: (depth) => ({ limit: Math.min(Math.max(1, Math.floor(depth)), 400), params: {} }),
  // OKX documents no IP ban, only its 429 / 50011.
  bans: { statuses: [], defaultMs: THIRTY_MINUTES },
  perpId: (base, quote) => `${base}-${quote}-SWAP`,
  perpListing: ({ id, base, quote, settle }, { contractSize }) => ({
    instId: id, instType: "SWAP", uly: `${base}-${quote}`, instFamily: `${base}-${quote}`, settleCcy: settle, ctVal: String(contractSize), ctType: "linear", state: "live",
  }),
  requiresContractSize: true,
  openInterest: { current: true, history: true, historyLimit: 100 },
  // ccxt's swap baseVolume is vol24h, counted in contracts; volCcy24h is the base amount.
  // ccxt's fetchTickers: GET /api/v5/market/tickers?instType=SWAP|SPOT (every instrument of the type), cost 1 like /market/ticker.
  bulkTickers: { perp: { single: 1, bulk: 1 }, spot: { single: 1, bulk: 1 } },
  perpBaseVolume: (ticker) => finite(record(ticker.info)["volCcy24h"]),
  fetchOpenInterestHistory: openInterestHistory,
};
