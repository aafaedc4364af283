import type { CandleState, SymbolState, TickerState, Venue, VenueReply } from "./exchange-venue-formats";

/**
 * The spot side of each venue's public REST, as ccxt calls it when its market options load "spot"
 * beside the swaps: the spot instrument listing, the 24 h ticker and hourly klines of a pair.
 * Bybit v5 (category=spot on the shared /v5/market paths), Binance spot (/api/v3), OKX v5
 * (instType SPOT, instId BTC-USDT on the shared market paths), Bitget v2 (/api/v2/spot).
 * A symbol whose spot pair is not listed (SymbolState.spotListed false) is unknown here, with
 * the venue's own "no such symbol" answer. Returns null for a request that is not spot.
 */

const HOUR = 3_600_000;
const str = (n: number): string => String(n);
const int = (q: URLSearchParams, key: string): number | undefined => {
  const v = q.get(key);
  return v === null || v === "" ? undefined : Number(v);
};

export const spotId = (venue: Venue, s: Pick<SymbolState, "base" | "quote">): string => (venue === "okx" ? `${s.base}-${s.quote}` : `${s.base}${s.quote}`);

/** The pair's own ticker, else one at the perp's last price with no volume. */
function spotTicker(s: SymbolState): TickerState {
  return s.spotTicker ?? { last: s.ticker?.last ?? s.current?.markPrice ?? 100, baseVolume24h: 0, quoteVolume24h: 0 };
}

/** Candles with lo <= ts <= hi; `fromStart`: the first `limit` (a start without an end), else the newest `limit`. Oldest first. */
function pick(candles: readonly CandleState[], lo: number, hi: number, limit: number, fromStart: boolean): CandleState[] {
  const rows = candles.filter((c) => c.ts >= lo && c.ts <= hi);
  return fromStart ? rows.slice(0, limit) : rows.slice(-limit);
}

function bybit(path: string, q: URLSearchParams, spots: readonly SymbolState[], now: number): VenueReply | null {
  if (q.get("category") !== "spot" || !path.startsWith("/v5/market/")) return null;
  const ok = (result: unknown): VenueReply => ({ status: 200, body: { retCode: 0, retMsg: "OK", result, retExtInfo: {}, time: now } });
  const fail = (retCode: number, retMsg: string): VenueReply => ({ status: 200, body: { retCode, retMsg, result: {}, retExtInfo: {}, time: now } });
  if (path === "/v5/market/instruments-info") {
    return ok({ category: "spot", list: spots.map((s) => ({
      symbol: spotId("bybit", s), baseCoin: s.base, quoteCoin: s.quote, innovation: "0", status: "Trading", marginTrading: "utaOnly", stTag: "0",
      lotSizeFilter: { basePrecision: s.base === "BTC" ? "0.000001" : "0.01", quotePrecision: "0.00000001", minOrderQty: s.base === "BTC" ? "0.000048" : "1", maxOrderQty: "71.73956243", minOrderAmt: "1", maxOrderAmt: "2000000" },
      priceFilter: { tickSize: s.base === "BTC" ? "0.01" : "0.0001" }, riskParameters: { priceLimitRatioX: "0.01", priceLimitRatioY: "0.02" },
    })), nextPageCursor: "" });
  }
  const item = (s: SymbolState): Record<string, unknown> => {
    const t = spotTicker(s);
    return {
      symbol: spotId("bybit", s), bid1Price: str(t.bid ?? t.last), bid1Size: "0.5", ask1Price: str(t.ask ?? t.last), ask1Size: "0.7", lastPrice: str(t.last),
      prevPrice24h: str(t.open24h ?? t.last), price24hPcnt: "0", highPrice24h: str(t.high24h ?? t.last), lowPrice24h: str(t.low24h ?? t.last),
      turnover24h: str(t.quoteVolume24h), volume24h: str(t.baseVolume24h), usdIndexPrice: str(t.last),
    };
  };
  // Without a symbol: every spot pair, the same items (ccxt's fetchTickers).
  if (path === "/v5/market/tickers" && q.get("symbol") === null) return ok({ category: "spot", list: spots.filter((x) => x.inBulk).map(item) });
  const s = spots.find((x) => spotId("bybit", x) === q.get("symbol"));
  if (s === undefined) return fail(10001, "Not supported symbols");
  switch (path) {
    case "/v5/market/tickers":
      return ok({ category: "spot", list: [item(s)] });
    case "/v5/market/kline": {
      const limit = int(q, "limit") ?? 200;
      if (limit < 1 || limit > 1000) return fail(10001, "params error: limit must be in [1, 1000]");
      const start = int(q, "start");
      const end = int(q, "end");
      const rows = pick(s.spotCandles, start ?? 0, end ?? now, limit, start !== undefined && end === undefined).reverse(); // newest first
      return ok({ category: "spot", symbol: spotId("bybit", s), list: rows.map((c) => [str(c.ts), str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume), str(c.volume * c.close)]) });
    }
    default:
      return null;
  }
}

function binance(path: string, q: URLSearchParams, spots: readonly SymbolState[], now: number): VenueReply | null {
  if (!path.startsWith("/api/v3/")) return null;
  const ok = (body: unknown): VenueReply => ({ status: 200, body });
  const fail = (code: number, msg: string): VenueReply => ({ status: 400, body: { code, msg } });
  if (path === "/api/v3/ping") return ok({});
  if (path === "/api/v3/time") return ok({ serverTime: now });
  if (path === "/api/v3/exchangeInfo") {
    return ok({ timezone: "UTC", serverTime: now, rateLimits: [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000 }], exchangeFilters: [], symbols: spots.map((s) => ({
      symbol: spotId("binanceusdm", s), status: "TRADING", baseAsset: s.base, baseAssetPrecision: 8, quoteAsset: s.quote, quotePrecision: 8, quoteAssetPrecision: 8,
      baseCommissionPrecision: 8, quoteCommissionPrecision: 8, orderTypes: ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
      icebergAllowed: true, ocoAllowed: true, otoAllowed: true, quoteOrderQtyMarketAllowed: true, allowTrailingStop: true, cancelReplaceAllowed: true, amendAllowed: true,
      isSpotTradingAllowed: true, isMarginTradingAllowed: true,
      filters: [
        { filterType: "PRICE_FILTER", minPrice: s.base === "BTC" ? "0.01000000" : "0.00010000", maxPrice: "1000000.00000000", tickSize: s.base === "BTC" ? "0.01000000" : "0.00010000" },
        { filterType: "LOT_SIZE", minQty: s.base === "BTC" ? "0.00001000" : "0.10000000", maxQty: "9000.00000000", stepSize: s.base === "BTC" ? "0.00001000" : "0.10000000" },
        { filterType: "NOTIONAL", minNotional: "5.00000000", applyMinToMarket: true, maxNotional: "9000000.00000000", applyMaxToMarket: false, avgPriceMins: 5 },
      ],
      permissions: [], permissionSets: [["SPOT", "MARGIN"]], defaultSelfTradePreventionMode: "EXPIRE_MAKER", allowedSelfTradePreventionModes: ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    })) });
  }
  const ticker24h = (s: SymbolState): Record<string, unknown> => {
    const t = spotTicker(s);
    return {
      symbol: spotId("binanceusdm", s), priceChange: str(t.last - (t.open24h ?? t.last)), priceChangePercent: "0.000", weightedAvgPrice: str(t.baseVolume24h > 0 ? t.quoteVolume24h / t.baseVolume24h : t.last),
      prevClosePrice: str(t.open24h ?? t.last), lastPrice: str(t.last), lastQty: "0.001", bidPrice: str(t.bid ?? t.last), bidQty: "1.2", askPrice: str(t.ask ?? t.last), askQty: "0.8",
      openPrice: str(t.open24h ?? t.last), highPrice: str(t.high24h ?? t.last), lowPrice: str(t.low24h ?? t.last), volume: str(t.baseVolume24h), quoteVolume: str(t.quoteVolume24h),
      openTime: now - 24 * HOUR, closeTime: now, firstId: 1, lastId: 1000, count: 1000,
    };
  };
  if (path === "/api/v3/ticker/24hr" && q.get("symbol") === null) return bulkTicker24h(q.get("symbols"), spots, ticker24h);
  const s = spots.find((x) => spotId("binanceusdm", x) === q.get("symbol"));
  if (s === undefined) return fail(-1121, "Invalid symbol.");
  switch (path) {
    case "/api/v3/ticker/24hr":
      return ok(ticker24h(s));
    case "/api/v3/klines": {
      const limit = int(q, "limit") ?? 500;
      if (limit < 1 || limit > 1000) return fail(-1100, "Illegal characters found in parameter 'limit'; legal range is '1-1000'.");
      if (q.get("interval") !== "1h") return fail(-1120, "Invalid interval.");
      const start = int(q, "startTime");
      const rows = pick(s.spotCandles, start ?? 0, int(q, "endTime") ?? now, limit, start !== undefined);
      return ok(rows.map((c) => [c.ts, str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume), c.ts + HOUR - 1, str(c.volume * c.close), 100, "0", "0", "0"]));
    }
    default:
      return null;
  }
}

/**
 * Binance's /api/v3/ticker/24hr without `symbol`: the pairs of `symbols` (a JSON array, as ccxt's
 * fetchTickers sends it), or every pair without it. One unknown pair fails the whole request.
 */
function bulkTicker24h(symbols: string | null, spots: readonly SymbolState[], ticker24h: (s: SymbolState) => Record<string, unknown>): VenueReply {
  const listed = spots.filter((x) => x.inBulk);
  if (symbols === null) return { status: 200, body: listed.map(ticker24h) };
  let ids: unknown;
  try {
    ids = JSON.parse(symbols);
  } catch {
    ids = null;
  }
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) return { status: 400, body: { code: -1100, msg: "Illegal characters found in parameter 'symbols'." } };
  const picked = (ids as string[]).map((id) => spots.find((x) => spotId("binanceusdm", x) === id));
  if (picked.some((x) => x === undefined)) return { status: 400, body: { code: -1121, msg: "Invalid symbol." } };
  return { status: 200, body: (picked as SymbolState[]).filter((x) => x.inBulk).map(ticker24h) };
}

function okx(path: string, q: URLSearchParams, spots: readonly SymbolState[], now: number): VenueReply | null {
  const ok = (data: unknown[]): VenueReply => ({ status: 200, body: { code: "0", msg: "", data } });
  if (path === "/api/v5/public/instruments" && q.get("instType") === "SPOT") {
    return ok(spots.map((s) => ({
      instType: "SPOT", instId: spotId("okx", s), uly: "", instFamily: "", baseCcy: s.base, quoteCcy: s.quote, settleCcy: "", ctVal: "", ctMult: "", ctValCcy: "",
      optType: "", stk: "", listTime: "1611916828000", expTime: "", lever: "10", tickSz: s.base === "BTC" ? "0.1" : "0.0001", lotSz: "0.00000001",
      minSz: s.base === "BTC" ? "0.00001" : "1", ctType: "", alias: "", state: "live", ruleType: "normal", maxLmtSz: "9999999999", maxMktSz: "1000000",
    })));
  }
  const item = (s: SymbolState): Record<string, unknown> => {
    const t = spotTicker(s);
    // Spot: vol24h is the base amount, volCcy24h the quote amount.
    return { instType: "SPOT", instId: spotId("okx", s), last: str(t.last), lastSz: "0.001", askPx: str(t.ask ?? t.last), askSz: "1.1", bidPx: str(t.bid ?? t.last), bidSz: "0.9",
      open24h: str(t.open24h ?? t.last), high24h: str(t.high24h ?? t.last), low24h: str(t.low24h ?? t.last), volCcy24h: str(t.quoteVolume24h), vol24h: str(t.baseVolume24h),
      ts: str(now), sodUtc0: str(t.last), sodUtc8: str(t.last) };
  };
  // Every spot pair, the same items as /market/ticker (ccxt's fetchTickers).
  if (path === "/api/v5/market/tickers" && q.get("instType") === "SPOT") return ok(spots.filter((x) => x.inBulk).map(item));
  const instId = q.get("instId") ?? "";
  if (!/^[A-Z0-9]+-[A-Z0-9]+$/.test(instId) || !(path === "/api/v5/market/ticker" || path.endsWith("candles"))) return null;
  const s = spots.find((x) => spotId("okx", x) === instId);
  if (s === undefined) return { status: 200, body: { code: "51001", msg: "Instrument ID or Spread ID doesn't exist.", data: [] } };
  if (path === "/api/v5/market/ticker") return ok([item(s)]);
  const limit = int(q, "limit") ?? 100;
  if (limit < 1 || limit > (path.endsWith("history-candles") ? 100 : 300)) return { status: 200, body: { code: "51000", msg: "Parameter limit error", data: [] } };
  // `before`: newer than; `after`: older than. Newest first.
  const rows = s.spotCandles.filter((c) => c.ts > (int(q, "before") ?? -1) && c.ts < (int(q, "after") ?? Number.MAX_SAFE_INTEGER)).reverse().slice(0, limit);
  return ok(rows.map((c) => [str(c.ts), str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume), str(c.volume * c.close), str(c.volume * c.close), "1"]));
}

function bitget(path: string, q: URLSearchParams, spots: readonly SymbolState[], now: number): VenueReply | null {
  if (path !== "/api/v2/spot/public/symbols" && path !== "/api/v2/margin/currencies" && !path.startsWith("/api/v2/spot/market/")) return null;
  const ok = (data: unknown): VenueReply => ({ status: 200, body: { code: "00000", msg: "success", requestTime: now, data } });
  const fail = (code: string, msg: string): VenueReply => ({ status: 400, body: { code, msg, requestTime: now, data: null } });
  if (path === "/api/v2/margin/currencies") {
    // ccxt's fetchMarkets reads it beside the spot symbols, for which pairs are margin-borrowable.
    return ok(spots.map((s) => ({
      symbol: spotId("bitget", s), baseCoin: s.base, quoteCoin: s.quote, maxCrossedLeverage: "3", maxIsolatedLeverage: "10", warningRiskRatio: "0.8", liquidationRiskRatio: "1",
      minTradeAmount: "0", maxTradeAmount: "999999999", takerFeeRate: "0.001", makerFeeRate: "0.001", priceScale: s.base === "BTC" ? "2" : "4", quantityScale: "6", minTradeUSDT: "5",
      isBorrowable: true, userMinBorrow: "0.00000001", status: "1", isIsolatedBaseBorrowable: true, isIsolatedQuoteBorrowable: true, isCrossBorrowable: true,
    })));
  }
  if (path === "/api/v2/spot/public/symbols") {
    return ok(spots.map((s) => ({
      symbol: spotId("bitget", s), baseCoin: s.base, quoteCoin: s.quote, minTradeAmount: "0", maxTradeAmount: "900000000000000000000", takerFeeRate: "0.001", makerFeeRate: "0.001",
      pricePrecision: s.base === "BTC" ? "2" : "4", quantityPrecision: s.base === "BTC" ? "6" : "2", quotePrecision: "8", status: "online", minTradeUSDT: "1",
      buyLimitPriceRatio: "0.05", sellLimitPriceRatio: "0.05", areaSymbol: "no", orderQuantity: "200", openTime: "1532454360000", offTime: "",
    })));
  }
  const item = (s: SymbolState): Record<string, unknown> => {
    const t = spotTicker(s);
    return { symbol: spotId("bitget", s), high24h: str(t.high24h ?? t.last), open: str(t.open24h ?? t.last), lastPr: str(t.last), low24h: str(t.low24h ?? t.last), quoteVolume: str(t.quoteVolume24h),
      baseVolume: str(t.baseVolume24h), usdtVolume: str(t.quoteVolume24h), bidPr: str(t.bid ?? t.last), askPr: str(t.ask ?? t.last), bidSz: "0.4", askSz: "0.6",
      openUtc: str(t.open24h ?? t.last), ts: str(now), changeUtc24h: "0", change24h: "0" };
  };
  const id = (q.get("symbol") ?? "").toUpperCase();
  // Tickers take the symbol as an option: without it, every pair (ccxt's fetchTickers).
  if (path === "/api/v2/spot/market/tickers" && id === "") return ok(spots.filter((x) => x.inBulk).map(item));
  if (id === "") return fail("40019", "Parameter symbol cannot be empty");
  const s = spots.find((x) => spotId("bitget", x) === id);
  if (s === undefined) return fail("40034", `Parameter ${id} does not exist`);
  switch (path) {
    case "/api/v2/spot/market/tickers":
      return ok([item(s)]);
    case "/api/v2/spot/market/candles":
    case "/api/v2/spot/market/history-candles": {
      if (q.get("granularity") !== "1h") return fail("40020", "Parameter granularity error");
      const limit = int(q, "limit") ?? 100;
      if (limit < 1 || limit > (path.endsWith("history-candles") ? 200 : 1000)) return fail("40020", "Parameter limit error");
      // startTime inclusive, endTime exclusive; the newest `limit` in range, oldest first.
      const rows = s.spotCandles.filter((c) => c.ts >= (int(q, "startTime") ?? 0) && c.ts < (int(q, "endTime") ?? now + 1)).slice(-limit);
      return ok(rows.map((c) => [str(c.ts), str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume), str(c.volume * c.close), str(c.volume * c.close)]));
    }
    default:
      return null;
  }
}

const ROUTERS = { bybit, binanceusdm: binance, okx, bitget } as const;

/** The venue's spot answer for `path`, or null when the request is not a spot one. `symbols`: those whose spot pair is listed. */
export function spotAnswer(venue: Venue, path: string, q: URLSearchParams, symbols: readonly SymbolState[], now: number): VenueReply | null {
  return ROUTERS[venue](path, q, symbols, now);
}
