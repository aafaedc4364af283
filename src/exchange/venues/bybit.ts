import type { bybit as BybitClass, Exchange, MarketInterface, Ticker } from "ccxt";
import { loadExchangeClass } from "../ccxt-loader";
import { finite, record, THIRTY_MINUTES, type Enveloped, type VenueDescriptor } from "./types";

/**
 * Bybit v5, category "linear" (USDT perpetuals) and "spot". Its instruments-info states each
 * perp's funding interval in minutes; its book takes any depth up to 500; funding history pages
 * backward from endTime, 200 a page. Its IP ban is HTTP 403 without Retry-After.
 */

/**
 * Bybit's /v5/market/tickers stamps only the envelope ({ retCode, result: { list }, time }), and
 * ccxt's bybit parseTicker reads `time` from the list item, where it never is: its ticker has no
 * timestamp. So the endpoint is called directly and the envelope's `time` kept beside ccxt's parse.
 * (exchange.last_json_response would also hold it, but concurrent calls share that field.)
 */
async function tickerWithEnvelope(exchange: Exchange, market: MarketInterface): Promise<Enveloped<Ticker>> {
  const raw = exchange as BybitClass;
  const response = record(await raw.publicGetV5MarketTickers({ category: market.spot === true ? "spot" : "linear", symbol: market.id }));
  const list = record(response["result"])["list"];
  const item = record(Array.isArray(list) ? list[0] : undefined);
  return { value: exchange.parseTicker(item, market), envelopeTime: response["time"] };
}

/**
 * The bulk form of the same endpoint: /v5/market/tickers?category=linear|spot without a symbol
 * lists every market of the category (ccxt's fetchTickers sends exactly that, and drops `time`
 * too). Only the items of `markets` are parsed, each with its own market: Bybit's spot and linear
 * ids coincide (BTCUSDT), so an id alone does not say which market it is.
 */
async function tickersWithEnvelope(exchange: Exchange, markets: readonly MarketInterface[]): Promise<Enveloped<readonly Ticker[]>> {
  const raw = exchange as BybitClass;
  const byId = new Map(markets.map((m) => [m.id, m]));
  const response = record(await raw.publicGetV5MarketTickers({ category: markets[0]?.spot === true ? "spot" : "linear" }));
  const list = record(response["result"])["list"];
  const tickers = (Array.isArray(list) ? list : []).flatMap((item: unknown) => {
    const market = byId.get(String(record(item)["symbol"]));
    return market === undefined ? [] : [exchange.parseTicker(record(item), market)];
  });
  return { value: tickers, envelopeTime: response["time"] };
}

export const bybit: VenueDescriptor = {
  id: "bybit",
  name: "Bybit",
  loadClass: () => loadExchangeClass("bybit"),
  marketDataOptions: { fetchMarkets: { types: ["spot", "linear"] } },
  liveOptions: { fetchMarkets: { types: ["linear"] } },
  fundingIntervalSource: "listing",
  listedIntervalHours: (listing) => {
    const minutes = finite(listing["fundingInterval"]); // instruments-info, in minutes
    return minutes !== null && minutes > 0 ? minutes / 60 : null;
  },
  sizeUnit: "base",
  historyPaging: { limit: 200, direction: "backward" },
  bookRequest: (depth) => ({ limit: Math.min(Math.max(1, Math.floor(depth)), 500), params: {} }),
  // "403, access too frequent": the v5 rate-limit page says stop and wait at least 10 minutes;
  // older pages say a ban usually lasts 30 minutes. We wait the 30.
  bans: { statuses: [403], defaultMs: THIRTY_MINUTES },
  perpId: (base, quote) => `${base}${quote}`,
  perpListing: ({ id, base, quote, settle }, { fundingIntervalHours: hours }) => ({
    symbol: id, contractType: "LinearPerpetual", status: "Trading", baseCoin: base, quoteCoin: quote, settleCoin: settle,
    ...(hours === undefined ? {} : { fundingInterval: hours * 60 }),
  }),
  requiresContractSize: false,
  // /v5/market/open-interest: linear amounts in the base coin, hourly buckets, 200 a page.
  openInterest: { current: true, history: true, historyLimit: 200 },
  // v5/market/tickers costs 5 with or without a symbol: bulk pays from two symbols.
  bulkTickers: { perp: { single: 5, bulk: 5 }, spot: { single: 5, bulk: 5 } },
  fetchTicker: tickerWithEnvelope,
  fetchTickers: tickersWithEnvelope,
};
