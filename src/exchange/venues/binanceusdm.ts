import { loadExchangeClass } from "../ccxt-loader";
import { THIRTY_MINUTES, type VenueDescriptor } from "./types";

/**
 * Binance USDⓈ-M futures (fapi) and Binance spot (api/v3), both through ccxt's binanceusdm class:
 * it is a subclass of binance and keeps binance's spot endpoints and its fetchMarkets "spot" type,
 * so one instance serves the perp and its spot pair. Funding history pages forward from startTime,
 * 1000 a page; the book takes fixed depths only. The IP ban is HTTP 418 with "banned until <ms>".
 */
export const binanceusdm: VenueDescriptor = {
  id: "binanceusdm",
  name: "Binance USD-M",
  loadClass: () => loadExchangeClass("binanceusdm"),
  marketDataOptions: { fetchMarkets: { types: ["spot", "linear"] } },
  liveOptions: { fetchMarkets: { types: ["linear"] } },
  // premiumIndex states no interval; fundingInfo lists only the symbols whose interval was adjusted.
  fundingIntervalSource: "funding-info",
  sizeUnit: "base",
  historyPaging: { limit: 1000, direction: "forward" },
  bookRequest: (depth) => ({ limit: [5, 10, 20, 50, 100, 500, 1000].find((n) => n >= Math.max(1, Math.floor(depth))) ?? 1000, params: {} }),
  // 418: "IP auto-banned for continuing to send requests after receiving 429 codes" (ccxt: DDoSProtection).
  bans: { statuses: [418], defaultMs: THIRTY_MINUTES },
  perpId: (base, quote) => `${base}${quote}`,
  perpListing: ({ id, base, quote, settle }) => ({
    symbol: id, pair: id, contractType: "PERPETUAL", status: "TRADING", baseAsset: base, quoteAsset: quote, marginAsset: settle,
    orderTypes: ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
  }),
  requiresContractSize: false,
  // /futures/data/openInterestHist keeps the latest 30 days only, 500 rows a request (amounts in base, values in USDT).
  openInterest: { current: true, history: true, historyLimit: 500, historyWindowMs: 30 * 24 * 3_600_000 },
};
