import type { binanceusdm as BinanceUsdmClass, Exchange, MarketInterface, Ticker } from "ccxt";
import { loadExchangeClass } from "../ccxt-loader";
import { record, THIRTY_MINUTES, type Enveloped, type VenueDescriptor } from "./types";

/**
 * Binance USDⓈ-M futures (fapi) and Binance spot (api/v3), both through ccxt's binanceusdm class:
 * it is a subclass of binance and keeps binance's spot endpoints and its fetchMarkets "spot" type,
 * so one instance serves the perp and its spot pair. Funding history pages forward from startTime,
 * 1000 a page; the book takes fixed depths only. The IP ban is HTTP 418 with "banned until <ms>".
 */
/**
 * The bulk 24 h tickers, on the endpoints ccxt's fetchTickers uses: GET /fapi/v1/ticker/24hr
 * without a symbol (every perp) and GET /api/v3/ticker/24hr?symbols=["BTCUSDT",…]. Called directly
 * because binanceusdm's fetchTickers sends a list of spot pairs to /fapi too: its defaultSubType
 * "linear" makes binance.js's isLinear() true before it looks at the spot type (ccxt 4.5.84). Each
 * item is parsed with its own market (spot and perp ids coincide: BTCUSDT).
 */
async function tickers(exchange: Exchange, markets: readonly MarketInterface[]): Promise<Enveloped<readonly Ticker[]>> {
  const raw = exchange as BinanceUsdmClass;
  const byId = new Map(markets.map((m) => [m.id, m]));
  const response = markets[0]?.spot === true
    ? await raw.publicGetTicker24hr({ symbols: JSON.stringify(markets.map((m) => m.id)) })
    : await raw.fapiPublicGetTicker24hr();
  const value = (Array.isArray(response) ? response : []).flatMap((item: unknown) => {
    const market = byId.get(String(record(item)["symbol"]));
    return market === undefined ? [] : [exchange.parseTicker(record(item), market)];
  });
  return { value, envelopeTime: undefined }; // each item has its own closeTime
}

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
  // /fapi/v1/ticker/24hr without a symbol weighs 40 against 1; /api/v3/ticker/24hr with `symbols` is
  // charged ccxt's no-symbol cost, 16 against 0.4. Either way bulk pays only from 40 symbols.
  bulkTickers: { perp: { single: 1, bulk: 40 }, spot: { single: 0.4, bulk: 16 } },
  fetchTickers: tickers,
};
