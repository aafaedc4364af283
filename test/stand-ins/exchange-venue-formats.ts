/**
 * The wire formats of the exchange stand-in: each venue's public REST answers, built from the
 * stand-in's state (everything in base units and plain numbers). Field names, string-vs-number
 * choices, sort orders, paging rules and error bodies follow Bybit v5, Binance USD-M fapi and
 * OKX v5 as documented (Bitget v2 in public-bitget.ts), because ccxt parses exactly those. The
 * spot pairs are answered by public-spot.ts, open interest by public-open-interest.ts, the
 * rate-limit and ban answers are in public-faults.ts. Each 24 h ticker endpoint also answers in
 * bulk as the venue does (BULK_TICKERS): a list of the same objects the single request returns.
 */

import { bitgetPublic } from "./public-bitget";
import { openInterestAnswer } from "./public-open-interest";
import { spotAnswer } from "./public-spot";

export { banReply, rateLimitReply } from "./public-faults";
export { BULK_TICKERS, matches, type RequestMatch } from "./public-bulk-tickers";

export type Venue = "bybit" | "binanceusdm" | "okx" | "bitget";

export interface FundingPrintState { readonly ts: number; readonly rate: number }
export interface CurrentFundingState { readonly rate: number; readonly nextFundingTs: number; readonly intervalHours: number; readonly markPrice: number; readonly indexPrice?: number }
export interface BookState { readonly bids: readonly (readonly [number, number])[]; readonly asks: readonly (readonly [number, number])[] }
export interface TickerState { readonly last: number; readonly bid?: number; readonly ask?: number; readonly baseVolume24h: number; readonly quoteVolume24h: number; readonly open24h?: number; readonly high24h?: number; readonly low24h?: number }
export interface CandleState { readonly ts: number; readonly open: number; readonly high: number; readonly low: number; readonly close: number; readonly volume: number }
/** Open interest in base units (amount) and USDT (value). */
export interface OpenInterestPoint { readonly ts: number; readonly amount: number; readonly value: number }

export interface SymbolState {
  readonly symbol: string; // ccxt unified, "BTC/USDT:USDT"
  readonly base: string;
  readonly quote: string;
  /** OKX contract value (ctVal); 1 elsewhere. */
  contractSize: number;
  history: FundingPrintState[]; // oldest first
  current: CurrentFundingState | undefined;
  book: BookState | undefined;
  ticker: TickerState | undefined;
  candles: CandleState[]; // oldest first
  /** The venue lists the perp (instruments, and every perp endpoint knows it). */
  perpListed: boolean;
  /** The venue lists the matching spot pair (BTC/USDT for BTC/USDT:USDT). */
  spotListed: boolean;
  spotTicker: TickerState | undefined;
  spotCandles: CandleState[]; // oldest first
  openInterest: { readonly amount: number; readonly value: number } | undefined;
  openInterestHistory: OpenInterestPoint[]; // oldest first
  /** Listed in the venue's bulk ticker answers (false: a listed market the bulk list leaves out). */
  inBulk: boolean;
}

export interface VenueReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** How the server delivers it: normally (default), never (hang until the client gives up), or as a gateway 502. */
  readonly transport?: "normal" | "hang" | "5xx";
}

const HOUR = 3_600_000;

export function venueOfPath(path: string): Venue | null {
  if (path.startsWith("/v5/")) return "bybit";
  if (path.startsWith("/fapi/")) return "binanceusdm";
  if (path.startsWith("/sapi/")) return "binanceusdm"; // Binance wallet calls ccxt makes with futures keys
  if (path.startsWith("/api/v3/") || path.startsWith("/futures/data/")) return "binanceusdm"; // spot, and futures statistics (open interest history)
  if (path.startsWith("/api/v5/")) return "okx";
  if (path.startsWith("/api/v2/")) return "bitget";
  return null;
}

export function venueId(venue: Venue, s: Pick<SymbolState, "base" | "quote">): string {
  return venue === "okx" ? `${s.base}-${s.quote}-SWAP` : `${s.base}${s.quote}`; // Bitget v2 ids are BTCUSDT too
}

/** Binance prints rates with 8 decimals; keep a longer value exact rather than round it. */
const rate8 = (r: number): string => (Number(r.toFixed(8)) === r ? r.toFixed(8) : String(r));
const str = (n: number): string => String(n);

function currentOf(s: SymbolState, now: number): CurrentFundingState {
  const interval = 8 * HOUR;
  return s.current ?? { rate: 0.0001, nextFundingTs: Math.ceil(now / interval) * interval, intervalHours: 8, markPrice: s.ticker?.last ?? 100 };
}
function tickerOf(s: SymbolState, now: number): TickerState {
  return s.ticker ?? { last: currentOf(s, now).markPrice, baseVolume24h: 0, quoteVolume24h: 0 };
}

/** Funding prints in [start, end], newest first, at most `limit`: the backward-paging venues. */
function newestFirst(history: readonly FundingPrintState[], start: number, end: number, limit: number): FundingPrintState[] {
  return history.filter((p) => p.ts >= start && p.ts <= end).reverse().slice(0, limit);
}

const int = (q: URLSearchParams, key: string): number | undefined => {
  const v = q.get(key);
  return v === null || v === "" ? undefined : Number(v);
};

// ---------------------------------------------------------------- Bybit v5
function bybit(path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, all: readonly SymbolState[], now: number): VenueReply | null {
  const ok = (result: unknown): VenueReply => ({ status: 200, body: { retCode: 0, retMsg: "OK", result, retExtInfo: {}, time: now } });
  const fail = (retCode: number, retMsg: string): VenueReply => ({ status: 200, body: { retCode, retMsg, result: {}, retExtInfo: {}, time: now } });
  if (path === "/v5/market/time") return ok({ timeSecond: str(Math.floor(now / 1000)), timeNano: `${now}000000` });
  if (q.get("category") !== "linear") return fail(10001, "params error: category only support linear in this stand-in");
  if (path === "/v5/market/instruments-info") {
    const list = q.get("status") === "PreLaunch" ? [] : all.map((s) => ({
      symbol: venueId("bybit", s), contractType: "LinearPerpetual", status: "Trading", baseCoin: s.base, quoteCoin: s.quote,
      launchTime: "1585526400000", deliveryTime: "0", deliveryFeeRate: "", priceScale: s.base === "BTC" ? "2" : "4",
      leverageFilter: { minLeverage: "1", maxLeverage: "50.00", leverageStep: "0.01" },
      // BTCUSDT's real filters; other (low-priced) coins get MNTUSDT-like ones.
      priceFilter: s.base === "BTC" ? { minPrice: "0.10", maxPrice: "1999999.80", tickSize: "0.10" } : { minPrice: "0.0001", maxPrice: "1999999.9998", tickSize: "0.0001" },
      lotSizeFilter: s.base === "BTC"
        ? { maxOrderQty: "1190", minOrderQty: "0.001", qtyStep: "0.001", postOnlyMaxOrderQty: "1190", maxMktOrderQty: "119", minNotionalValue: "5" }
        : { maxOrderQty: "1000000", minOrderQty: "1", qtyStep: "1", postOnlyMaxOrderQty: "1000000", maxMktOrderQty: "200000", minNotionalValue: "5" },
      unifiedMarginTrade: true, fundingInterval: currentOf(s, now).intervalHours * 60, settleCoin: s.quote, copyTrading: "both", upperFundingRate: "0.02", lowerFundingRate: "-0.02",
    }));
    return ok({ category: "linear", list, nextPageCursor: "" });
  }
  const bybitTicker = (s: SymbolState): Record<string, unknown> => {
    const f = currentOf(s, now);
    const t = tickerOf(s, now);
    return {
      symbol: venueId("bybit", s), lastPrice: str(t.last), indexPrice: str(f.indexPrice ?? f.markPrice), markPrice: str(f.markPrice),
      prevPrice24h: str(t.open24h ?? t.last), price24hPcnt: "0", highPrice24h: str(t.high24h ?? t.last), lowPrice24h: str(t.low24h ?? t.last),
      prevPrice1h: str(t.last), openInterest: "0", openInterestValue: "0", turnover24h: str(t.quoteVolume24h), volume24h: str(t.baseVolume24h),
      fundingRate: str(f.rate), nextFundingTime: str(f.nextFundingTs), predictedDeliveryPrice: "", basisRate: "", deliveryFeeRate: "", deliveryTime: "0",
      ask1Size: "1", bid1Price: str(t.bid ?? t.last), ask1Price: str(t.ask ?? t.last), bid1Size: "1", basis: "", preOpenPrice: "", preQty: "", curPreListingPhase: "",
      fundingIntervalHour: str(f.intervalHours), basisRateYear: "", fundingCap: "0.02",
    };
  };
  // Without a symbol: every linear perp, the same items (ccxt's fetchTickers).
  if (path === "/v5/market/tickers" && q.get("symbol") === null) return ok({ category: "linear", list: all.filter((x) => x.inBulk).map(bybitTicker) });
  const id = q.get("symbol") ?? "";
  const s = find(id);
  if (s === undefined) return fail(10001, "params error: symbol invalid");
  switch (path) {
    case "/v5/market/tickers":
      return ok({ category: "linear", list: [bybitTicker(s)] });
    case "/v5/market/funding/history": {
      const start = int(q, "startTime");
      const end = int(q, "endTime");
      const limit = int(q, "limit") ?? 200;
      if (limit < 1 || limit > 200) return fail(10001, "params error: limit must be in [1, 200]");
      if (start !== undefined && end === undefined) return fail(10001, "params error: endTime is required when startTime is set");
      const list = newestFirst(s.history, start ?? 0, end ?? now, limit).map((p) => ({ symbol: id, fundingRate: str(p.rate), fundingRateTimestamp: str(p.ts) }));
      return ok({ category: "linear", list });
    }
    case "/v5/market/orderbook": {
      const limit = int(q, "limit") ?? 25;
      if (limit < 1 || limit > 500) return fail(10001, "params error: limit must be in [1, 500]");
      const side = (levels: BookState["bids"] = []) => levels.slice(0, limit).map(([p, z]) => [str(p), str(z)]);
      return ok({ s: id, b: side(s.book?.bids), a: side(s.book?.asks), ts: now, u: 1_000_001, seq: 7_000_001, cts: now - 5 });
    }
    case "/v5/market/kline": {
      const limit = Math.min(int(q, "limit") ?? 200, 1000);
      const inRange = s.candles.filter((c) => c.ts >= (int(q, "start") ?? 0) && c.ts <= (int(q, "end") ?? now));
      // A start without an end counts forward from start; otherwise the newest. Listed newest first.
      const rows = (int(q, "start") !== undefined && int(q, "end") === undefined ? inRange.slice(0, limit) : inRange.slice(-limit)).reverse();
      return ok({ category: "linear", symbol: id, list: rows.map((c) => [str(c.ts), str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume), str(c.volume * c.close)]) });
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------- Binance USD-M
function binance(path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, all: readonly SymbolState[], now: number): VenueReply | null {
  const ok = (body: unknown): VenueReply => ({ status: 200, body });
  const fail = (code: number, msg: string): VenueReply => ({ status: 400, body: { code, msg } });
  if (path === "/fapi/v1/ping") return ok({});
  if (path === "/fapi/v1/time") return ok({ serverTime: now });
  if (path === "/fapi/v1/exchangeInfo") {
    return ok({ timezone: "UTC", serverTime: now, futuresType: "U_MARGINED", rateLimits: [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 2400 }], exchangeFilters: [], assets: [], symbols: all.map((s) => ({
      symbol: venueId("binanceusdm", s), pair: venueId("binanceusdm", s), contractType: "PERPETUAL", deliveryDate: 4133404800000, onboardDate: 1569398400000, status: "TRADING",
      maintMarginPercent: "2.5000", requiredMarginPercent: "5.0000", baseAsset: s.base, quoteAsset: s.quote, marginAsset: s.quote,
      pricePrecision: s.base === "BTC" ? 2 : 4, quantityPrecision: s.base === "BTC" ? 3 : 0, baseAssetPrecision: 8, quotePrecision: 8, underlyingType: "COIN", underlyingSubType: [], settlePlan: 0, triggerProtect: "0.0500",
      liquidationFee: "0.012500", marketTakeBound: "0.05", maxMoveOrderLimit: 10000,
      filters: [
        // BTCUSDT's real filters; other (low-priced) coins get MNTUSDT-like ones.
        ...(s.base === "BTC" ? [
          { filterType: "PRICE_FILTER", minPrice: "0.10", maxPrice: "4529764", tickSize: "0.10" },
          { filterType: "LOT_SIZE", stepSize: "0.001", maxQty: "1000", minQty: "0.001" },
          { filterType: "MARKET_LOT_SIZE", stepSize: "0.001", maxQty: "120", minQty: "0.001" },
        ] : [
          { filterType: "PRICE_FILTER", minPrice: "0.0001", maxPrice: "200", tickSize: "0.0001" },
          { filterType: "LOT_SIZE", stepSize: "1", maxQty: "5000000", minQty: "1" },
          { filterType: "MARKET_LOT_SIZE", stepSize: "1", maxQty: "1000000", minQty: "1" },
        ]),
        { filterType: "MAX_NUM_ORDERS", limit: 200 }, { filterType: "MAX_NUM_ALGO_ORDERS", limit: 10 },
        { filterType: "MIN_NOTIONAL", notional: s.base === "BTC" ? "100" : "5" },
        { filterType: "PERCENT_PRICE", multiplierUp: "1.0500", multiplierDown: "0.9500", multiplierDecimal: "4" },
      ],
      orderTypes: ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"], timeInForce: ["GTC", "IOC", "FOK", "GTX", "GTD"], permissionSets: ["GRID", "COPY"],
    })) });
  }
  if (path === "/fapi/v1/fundingInfo") {
    // Binance lists only symbols whose cap, floor or interval was adjusted; the rest pay every 8 h.
    const adjusted = all.filter((s) => s.current !== undefined && s.current.intervalHours !== 8).map((s) => ({
      symbol: venueId("binanceusdm", s), adjustedFundingRateCap: "0.02000000", adjustedFundingRateFloor: "-0.02000000", fundingIntervalHours: s.current?.intervalHours, disclaimer: false,
    }));
    return ok([{ symbol: "BLZUSDT", adjustedFundingRateCap: "0.03000000", adjustedFundingRateFloor: "-0.03000000", fundingIntervalHours: 4, disclaimer: false }, ...adjusted]);
  }
  const premium = (s: SymbolState) => {
    const f = currentOf(s, now);
    return { symbol: venueId("binanceusdm", s), markPrice: f.markPrice.toFixed(8), indexPrice: (f.indexPrice ?? f.markPrice).toFixed(8), estimatedSettlePrice: f.markPrice.toFixed(8), lastFundingRate: rate8(f.rate), interestRate: "0.00010000", nextFundingTime: f.nextFundingTs, time: now };
  };
  const perpTicker = (s: SymbolState): Record<string, unknown> => {
    const t = tickerOf(s, now);
    return {
      symbol: venueId("binanceusdm", s), priceChange: str(t.last - (t.open24h ?? t.last)), priceChangePercent: "0.000", weightedAvgPrice: str(t.baseVolume24h > 0 ? t.quoteVolume24h / t.baseVolume24h : t.last),
      lastPrice: str(t.last), lastQty: "0.010", openPrice: str(t.open24h ?? t.last), highPrice: str(t.high24h ?? t.last), lowPrice: str(t.low24h ?? t.last),
      volume: str(t.baseVolume24h), quoteVolume: str(t.quoteVolume24h), openTime: now - 24 * HOUR, closeTime: now, firstId: 1, lastId: 1000, count: 1000,
    };
  };
  const id = q.get("symbol");
  if (path === "/fapi/v1/premiumIndex" && id === null) return ok(all.map(premium));
  // Without a symbol: every perp's 24 h ticker, the same objects (ccxt's fetchTickers; weight 40).
  if (path === "/fapi/v1/ticker/24hr" && id === null) return ok(all.filter((x) => x.inBulk).map(perpTicker));
  const s = find(id ?? "");
  if (s === undefined) return fail(-1121, "Invalid symbol.");
  switch (path) {
    case "/fapi/v1/premiumIndex":
      return ok(premium(s));
    case "/fapi/v1/fundingRate": {
      const limit = int(q, "limit") ?? 100;
      if (limit < 1 || limit > 1000) return fail(-1130, "Data sent for parameter 'limit' is not valid.");
      const start = int(q, "startTime");
      const end = int(q, "endTime");
      const inRange = s.history.filter((p) => p.ts >= (start ?? 0) && p.ts <= (end ?? Number.MAX_SAFE_INTEGER));
      // With a startTime Binance counts forward from it; without one it returns the newest.
      const rows = start !== undefined ? inRange.slice(0, limit) : inRange.slice(-limit);
      return ok(rows.map((p) => ({ symbol: id, fundingTime: p.ts, fundingRate: rate8(p.rate), markPrice: currentOf(s, now).markPrice.toFixed(8) })));
    }
    case "/fapi/v1/depth": {
      const limit = int(q, "limit") ?? 500;
      if (![5, 10, 20, 50, 100, 500, 1000].includes(limit)) return fail(-1130, "Data sent for parameter 'limit' is not valid.");
      const side = (levels: BookState["bids"] = []) => levels.slice(0, limit).map(([p, z]) => [str(p), str(z)]);
      return ok({ lastUpdateId: 1_027_024, E: now, T: now - 3, bids: side(s.book?.bids), asks: side(s.book?.asks) });
    }
    case "/fapi/v1/ticker/24hr":
      return ok(perpTicker(s));
    case "/fapi/v1/klines": {
      const limit = Math.min(int(q, "limit") ?? 500, 1500);
      const rows = s.candles.filter((c) => c.ts >= (int(q, "startTime") ?? 0) && c.ts <= (int(q, "endTime") ?? now));
      const picked = int(q, "startTime") !== undefined ? rows.slice(0, limit) : rows.slice(-limit);
      return ok(picked.map((c) => [c.ts, str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume), c.ts + HOUR - 1, str(c.volume * c.close), 100, "0", "0", "0"]));
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------- OKX v5
function okx(path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, all: readonly SymbolState[], now: number): VenueReply | null {
  const ok = (data: unknown[]): VenueReply => ({ status: 200, body: { code: "0", msg: "", data } });
  if (path === "/api/v5/public/time") return ok([{ ts: str(now) }]);
  if (path === "/api/v5/public/instruments") {
    if (q.get("instType") !== "SWAP") return ok([]);
    return ok(all.map((s) => ({
      instType: "SWAP", instId: venueId("okx", s), uly: `${s.base}-${s.quote}`, instFamily: `${s.base}-${s.quote}`, baseCcy: "", quoteCcy: "", settleCcy: s.quote,
      ctVal: str(s.contractSize), ctMult: "1", ctValCcy: s.base, optType: "", stk: "", listTime: "1611916828000", expTime: "", lever: "50", tickSz: s.base === "BTC" ? "0.1" : "0.0001",
      lotSz: "0.01", minSz: "0.01", ctType: "linear", alias: "", state: "live", ruleType: "normal", maxLmtSz: "100000000", maxMktSz: "1000",
    })));
  }
  const swapTicker = (s: SymbolState): Record<string, unknown> => {
    const t = tickerOf(s, now);
    return {
      instType: "SWAP", instId: venueId("okx", s), last: str(t.last), lastSz: "1", askPx: str(t.ask ?? t.last), askSz: "10", bidPx: str(t.bid ?? t.last), bidSz: "10",
      open24h: str(t.open24h ?? t.last), high24h: str(t.high24h ?? t.last), low24h: str(t.low24h ?? t.last), volCcy24h: str(t.baseVolume24h), vol24h: str(t.baseVolume24h / s.contractSize),
      ts: str(now), sodUtc0: str(t.last), sodUtc8: str(t.last),
    };
  };
  // Every instrument of a type, the same items as /market/ticker (ccxt's fetchTickers); SPOT is public-spot.ts's.
  if (path === "/api/v5/market/tickers") {
    const type = q.get("instType");
    if (type === "SWAP") return ok(all.filter((x) => x.inBulk).map(swapTicker));
    if (type === "FUTURES" || type === "OPTION") return ok([]); // none listed here
    return { status: 200, body: { code: "51000", msg: "Parameter instType error", data: [] } };
  }
  const id = q.get("instId") ?? "";
  const s = find(id);
  if (s === undefined) return { status: 200, body: { code: "51001", msg: "Instrument ID or Spread ID doesn't exist.", data: [] } };
  switch (path) {
    case "/api/v5/public/funding-rate": {
      const f = currentOf(s, now);
      return ok([{ instType: "SWAP", instId: id, fundingRate: str(f.rate), nextFundingRate: "", fundingTime: str(f.nextFundingTs), nextFundingTime: str(f.nextFundingTs + f.intervalHours * HOUR),
        minFundingRate: "-0.0375", maxFundingRate: "0.0375", settState: "settled", settFundingRate: str(f.rate), premium: "0", method: "current_period", sign: "", interestRate: "0.0001", impactValue: "", formulaType: "withRate", ts: str(now) }]);
    }
    case "/api/v5/public/funding-rate-history": {
      // `before`: newer than; `after`: older than. Newest first, at most 400.
      const limit = Math.min(int(q, "limit") ?? 400, 400);
      const rows = newestFirst(s.history, (int(q, "before") ?? -1) + 1, (int(q, "after") ?? Number.MAX_SAFE_INTEGER) - 1, limit);
      return ok(rows.map((p) => ({ instType: "SWAP", instId: id, fundingRate: str(p.rate), realizedRate: str(p.rate), fundingTime: str(p.ts), method: "current_period", formulaType: "withRate" })));
    }
    case "/api/v5/market/books": {
      const sz = Math.min(int(q, "sz") ?? 1, 400);
      const side = (levels: BookState["bids"] = []) => levels.slice(0, sz).map(([p, z]) => [str(p), str(z / s.contractSize), "0", "1"]);
      return ok([{ asks: side(s.book?.asks), bids: side(s.book?.bids), ts: str(now) }]);
    }
    case "/api/v5/market/ticker":
      return ok([swapTicker(s)]);
    case "/api/v5/market/candles":
    case "/api/v5/market/history-candles": {
      const limit = Math.min(int(q, "limit") ?? 100, 300);
      const rows = s.candles.filter((c) => c.ts > (int(q, "before") ?? -1) && c.ts < (int(q, "after") ?? Number.MAX_SAFE_INTEGER)).reverse().slice(0, limit);
      return ok(rows.map((c) => [str(c.ts), str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume / s.contractSize), str(c.volume), str(c.volume * c.close), "1"]));
    }
    default:
      return null;
  }
}

const ROUTERS = { bybit, binanceusdm: binance, okx, bitget: bitgetPublic } as const;

/** The venue's answer, or null for a path it does not have (the server then answers 404). */
export function answer(venue: Venue, path: string, query: URLSearchParams, symbols: readonly SymbolState[], now: number): VenueReply | null {
  const perps = symbols.filter((s) => s.perpListed);
  const find = (id: string) => perps.find((s) => venueId(venue, s) === id);
  return spotAnswer(venue, path, query, symbols.filter((s) => s.spotListed), now)
    ?? openInterestAnswer(venue, path, query, find, now)
    ?? ROUTERS[venue](path, query, find, perps, now);
}
