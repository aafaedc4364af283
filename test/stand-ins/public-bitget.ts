import type { BookState, CandleState, CurrentFundingState, SymbolState, TickerState, VenueReply } from "./exchange-venue-formats";
import { dec, fail, isProductType, MARGIN_COIN, ok, rulesOf } from "./public-bitget-rules";

/**
 * Bitget v2 public REST as ccxt's bitget class calls it for USDT-margined perpetuals: server time,
 * the coin list and contract listing loadMarkets reads (it asks for all six mix product types; only
 * USDT-FUTURES lists anything here), ticker (one, or all of a product type), merged depth, current
 * and historical funding, candles.
 * Field names, strings vs numbers (merge-depth levels are numbers), paging (history-fund-rate by
 * pageNo, newest first) and error codes follow Bitget's API docs.
 */

const HOUR = 3_600_000;
/** Every product type ccxt's fetchMarkets asks for; any other value is a parameter error. */
const PRODUCT_TYPES = new Set(["USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES", "SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES"]);
/** merge-depth gears; without `limit` Bitget returns 100 levels. */
const DEPTH_GEARS = new Map<string, number>([["1", 1], ["5", 5], ["15", 15], ["50", 50], ["max", 150]]);
const GRANULARITIES = new Set(["1m", "3m", "5m", "15m", "30m", "1H", "4H", "6H", "12H", "1D", "3D", "1W", "1M", "6Hutc", "12Hutc", "1Dutc", "3Dutc", "1Wutc", "1Mutc"]);

function currentOf(s: SymbolState, now: number): CurrentFundingState {
  const interval = 8 * HOUR;
  return s.current ?? { rate: 0.0001, nextFundingTs: Math.ceil(now / interval) * interval, intervalHours: 8, markPrice: s.ticker?.last ?? 100 };
}

function tickerOf(s: SymbolState, now: number): TickerState {
  return s.ticker ?? { last: currentOf(s, now).markPrice, baseVolume24h: 0, quoteVolume24h: 0 };
}

const int = (q: URLSearchParams, key: string): number | undefined => {
  const v = q.get(key);
  return v === null || v === "" ? undefined : Number(v);
};

function contract(s: SymbolState, now: number): Record<string, unknown> {
  const rules = rulesOf(s.base);
  return {
    symbol: `${s.base}${s.quote}`, baseCoin: s.base, quoteCoin: s.quote, buyLimitPriceRatio: "0.05", sellLimitPriceRatio: "0.05", feeRateUpRatio: "0.005",
    makerFeeRate: "0.0002", takerFeeRate: "0.0006", openCostUpRatio: "0.01", supportMarginCoins: [MARGIN_COIN], minTradeNum: dec(rules.sizeMultiplier),
    priceEndStep: "1", volumePlace: String(rules.volumePlace), pricePlace: String(rules.pricePlace), sizeMultiplier: dec(rules.sizeMultiplier),
    symbolType: "perpetual", minTradeUSDT: dec(rules.minTradeUSDT), maxSymbolOrderNum: "200", maxProductOrderNum: "400", maxPositionNum: "150",
    symbolStatus: "normal", offTime: "-1", limitOpenTime: "-1", deliveryTime: "", deliveryStartTime: "", deliveryPeriod: "", launchTime: "",
    fundInterval: String(currentOf(s, now).intervalHours), minLever: "1", maxLever: "125", posLimit: "0.05", maintainTime: "",
    maxMarketOrderQty: "220", maxOrderQty: "1200", isRwa: "NO",
  };
}

function coin(id: number, code: string): Record<string, unknown> {
  return {
    coinId: String(id), coin: code, transfer: "true", areaCoin: "no",
    chains: [{
      chain: "TRC20", needTag: "false", withdrawable: "true", rechargeable: "true", withdrawFee: "1", extraWithdrawFee: "0", depositConfirm: "1",
      withdrawConfirm: "1", minDepositAmount: "0.01", minWithdrawAmount: "10", browserUrl: "https://tronscan.org/#/transaction/", contractAddress: "",
      withdrawStep: "0", withdrawMinScale: "8", congestion: "normal",
    }],
  };
}

function candleRows(candles: readonly CandleState[], q: URLSearchParams, now: number, maxLimit: number): string[][] {
  // startTime is inclusive, endTime exclusive ("k-lines before this time"); the newest `limit` in range, oldest first.
  const limit = Math.min(int(q, "limit") ?? 100, maxLimit);
  const start = int(q, "startTime") ?? 0;
  const end = int(q, "endTime") ?? now + 1;
  const rows = candles.filter((c) => c.ts >= start && c.ts < end).slice(-limit);
  return rows.map((c) => [String(c.ts), dec(c.open), dec(c.high), dec(c.low), dec(c.close), dec(c.volume), dec(c.volume * c.close)]);
}

function ticker(s: SymbolState, now: number): Record<string, unknown> {
  const t = tickerOf(s, now);
  const f = currentOf(s, now);
  const open = t.open24h ?? t.last;
  return {
    symbol: `${s.base}${s.quote}`, lastPr: dec(t.last), askPr: dec(t.ask ?? t.last), bidPr: dec(t.bid ?? t.last), bidSz: "1.5", askSz: "2.1",
    high24h: dec(t.high24h ?? t.last), low24h: dec(t.low24h ?? t.last), ts: String(now), change24h: dec(open === 0 ? 0 : (t.last - open) / open),
    baseVolume: dec(t.baseVolume24h), quoteVolume: dec(t.quoteVolume24h), usdtVolume: dec(t.quoteVolume24h), openUtc: dec(open), changeUtc24h: "0",
    indexPrice: dec(f.indexPrice ?? f.markPrice), fundingRate: dec(f.rate), holdingAmount: "0", deliveryStartTime: null, deliveryTime: null,
    deliveryStatus: "", open24h: dec(open), markPrice: dec(f.markPrice),
  };
}

function fundRate(s: SymbolState, now: number): Record<string, unknown> {
  const f = currentOf(s, now);
  return { symbol: `${s.base}${s.quote}`, fundingRate: dec(f.rate), fundingRateInterval: String(f.intervalHours), nextUpdate: String(f.nextFundingTs), minFundingRate: "-0.003", maxFundingRate: "0.003" };
}

/** Bitget v2 public REST (contracts, coins, ticker, merged depth, funding, candles); null for paths it does not have. */
export function bitgetPublic(path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, all: readonly SymbolState[], now: number): VenueReply | null {
  if (path === "/api/v2/public/time") return ok({ serverTime: String(now) }, now);
  if (path === "/api/v2/spot/public/coins") {
    const codes = [...new Set([MARGIN_COIN, ...all.map((s) => s.base)])];
    return ok(codes.map((code, i) => coin(i + 1, code)), now);
  }
  if (!path.startsWith("/api/v2/mix/market/")) return null;
  const productType = q.get("productType");
  if (productType === null || productType === "") return fail("40019", "Parameter productType cannot be empty", now);
  if (!PRODUCT_TYPES.has(productType.toUpperCase())) return fail("40020", "Parameter productType error", now);
  if (path === "/api/v2/mix/market/contracts") {
    const wanted = q.get("symbol");
    const listed = isProductType(productType) ? all.filter((s) => wanted === null || `${s.base}${s.quote}` === wanted.toUpperCase()) : [];
    return ok(listed.map((s) => contract(s, now)), now);
  }
  if (path === "/api/v2/mix/market/tickers") {
    // Every contract of the product type, the same objects as /ticker (ccxt's fetchTickers).
    return ok((isProductType(productType) ? all : []).filter((s) => s.inBulk).map((s) => ticker(s, now)), now);
  }
  if (path === "/api/v2/mix/market/current-fund-rate" && q.get("symbol") === null) {
    return ok((isProductType(productType) ? all : []).map((s) => fundRate(s, now)), now);
  }
  const id = (q.get("symbol") ?? "").toUpperCase();
  if (id === "") return fail("40019", "Parameter symbol cannot be empty", now);
  const s = isProductType(productType) ? find(id) : undefined;
  if (s === undefined) return fail("40034", `Parameter ${id} does not exist`, now);
  switch (path) {
    case "/api/v2/mix/market/ticker":
      return ok([ticker(s, now)], now);
    case "/api/v2/mix/market/merge-depth": {
      const asked = q.get("limit");
      const gear = asked === null ? 100 : DEPTH_GEARS.get(asked);
      if (gear === undefined) return fail("40020", "Parameter limit error", now);
      const side = (levels: BookState["bids"] = []) => levels.slice(0, gear).map(([p, z]) => [p, z]);
      const scale = (1 / 10 ** rulesOf(s.base).pricePlace).toFixed(rulesOf(s.base).pricePlace);
      return ok({ asks: side(s.book?.asks), bids: side(s.book?.bids), ts: String(now), scale, precision: q.get("precision") ?? "scale0", isMaxPrecision: "NO" }, now);
    }
    case "/api/v2/mix/market/current-fund-rate":
      return ok([fundRate(s, now)], now);
    case "/api/v2/mix/market/history-fund-rate": {
      const pageSize = int(q, "pageSize") ?? 20;
      const pageNo = int(q, "pageNo") ?? 1;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) return fail("40020", "Parameter pageSize error", now);
      if (!Number.isInteger(pageNo) || pageNo < 1) return fail("40020", "Parameter pageNo error", now);
      const newestFirst = [...s.history].reverse().slice((pageNo - 1) * pageSize, pageNo * pageSize);
      return ok(newestFirst.map((p) => ({ symbol: id, fundingRate: dec(p.rate), fundingTime: String(p.ts) })), now);
    }
    case "/api/v2/mix/market/candles":
    case "/api/v2/mix/market/history-candles": {
      if (!GRANULARITIES.has(q.get("granularity") ?? "")) return fail("40020", "Parameter granularity error", now);
      return ok(candleRows(s.candles, q, now, path.endsWith("history-candles") ? 200 : 1000), now);
    }
    default:
      return null;
  }
}
