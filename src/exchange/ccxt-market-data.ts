import { binanceusdm, bitget, bybit, okx, type Exchange, type FundingRate, type FundingRateHistory, type MarketInterface, type Ticker } from "ccxt";
import type { Logger } from "../log";
import { mapCcxtError, venueName } from "./ccxt-errors";
import { pointAt } from "./ccxt-hosts";
import { ExchangeError } from "./errors";
import type { Candle } from "../core/signals/types";
import type { BookLevel, FundingPrint, FundingSnapshot, MarketDataSource, OrderBookSnapshot, TickerSnapshot } from "./market-data";

/**
 * Public market data from one venue through ccxt's unified methods (no API keys).
 *
 * Retries: none here. Every failure becomes an ExchangeError whose `kind` says whether retrying
 * can help; the caller (a BullMQ job) retries by kind with backoff. The adapter only keeps the
 * pace: ccxt's throttler spaces requests (enableRateLimit), and after a venue answers "too many
 * requests" with a Retry-After, calls fail fast as "rate-limited" until that pause is over instead
 * of hammering it (Binance turns repeated 429s into an IP ban, HTTP 418).
 */

export type CcxtVenue = "bybit" | "binanceusdm" | "okx" | "bitget";

export interface CcxtMarketDataOptions {
  readonly venue: CcxtVenue;
  readonly logger: Logger;
  /** Per-request timeout; ccxt's default is 10 s. */
  readonly timeoutMs?: number;
  /** "http://127.0.0.1:PORT": every host in exchange.urls.api is replaced, paths kept (stand-ins, offline use). */
  readonly hostOverride?: string;
  /** ccxt market objects (see perpMarketFor); when given, loadMarkets makes no request. */
  readonly markets?: readonly MarketInterface[];
  /** Clock, for tests. */
  readonly now?: () => number;
}

const DEFAULT_INTERVAL_HOURS = 8;
const HOUR_MS = 3_600_000;
/** Binance's fundingInfo changes rarely and shares a 500/5 min/IP budget with fundingRate. */
const FUNDING_INFO_TTL_MS = 60 * 60 * 1000;
const MAX_HISTORY_PAGES = 50;
const MAX_COOLDOWN_MS = 5 * 60 * 1000;
/** An exchange timestamp further ahead of our clock than this is refused: one of the clocks is wrong. */
const MAX_AHEAD_MS = 60_000;
/** No venue perpbot reads existed before 2015: an earlier stamp is a unit or parsing error. */
const EARLIEST_TS = Date.UTC(2015, 0, 1);

/**
 * How each venue pages funding history: Binance forward from startTime, Bybit and OKX backward
 * from the newest by time, Bitget by page number (pageNo 1 is the newest; it takes no times).
 */
const HISTORY_PAGING: Readonly<Record<CcxtVenue, { readonly limit: number; readonly direction: "forward" | "backward" | "pages" }>> = {
  binanceusdm: { limit: 1000, direction: "forward" },
  bybit: { limit: 200, direction: "backward" },
  okx: { limit: 100, direction: "backward" },
  bitget: { limit: 100, direction: "pages" },
};

/**
 * Depth the venue accepts for a wanted depth: Binance and Bitget only take fixed sizes. Bitget's
 * merge-depth gears are 1/5/15/50 and "max" (its default, without a limit, is 100 levels).
 */
function bookRequestFor(venue: CcxtVenue, depth: number): { readonly limit: number | undefined; readonly params: Record<string, unknown> } {
  const wanted = Math.max(1, Math.floor(depth));
  if (venue === "binanceusdm") return { limit: [5, 10, 20, 50, 100, 500, 1000].find((n) => n >= wanted) ?? 1000, params: {} };
  if (venue === "bitget") {
    const gear = [1, 5, 15, 50].find((n) => n >= wanted);
    return gear === undefined ? { limit: undefined, params: { limit: "max" } } : { limit: gear, params: {} };
  }
  return { limit: Math.min(wanted, venue === "bybit" ? 500 : 400), params: {} };
}

const CONSTRUCTORS = { bybit, binanceusdm, okx, bitget } as const;

/**
 * A minimal but complete ccxt market for a linear perpetual, shaped like the venue's own
 * instrument listing, so `setMarkets` can stand in for `loadMarkets` (tests, offline use).
 * OKX counts sizes in contracts: its `contractSize` (ctVal, e.g. 0.01 for BTC-USDT-SWAP) is
 * required. `fundingIntervalHours` is left out unless given, so the venue's answer decides.
 */
export function perpMarketFor(venue: CcxtVenue, symbol: string, options: { contractSize?: number; fundingIntervalHours?: number } = {}): MarketInterface {
  const parts = /^([A-Z0-9]+)\/([A-Z0-9]+):([A-Z0-9]+)$/.exec(symbol);
  const [, base, quote, settle] = parts ?? [];
  if (base === undefined || quote === undefined || settle === undefined || settle !== quote) {
    throw new Error(`"${symbol}" is not a linear perpetual in ccxt's unified form; write it like MNT/USDT:USDT.`);
  }
  if (venue === "okx" && options.contractSize === undefined) {
    throw new Error(`OKX sizes ${symbol} in contracts: pass its contractSize (ctVal from /api/v5/public/instruments).`);
  }
  const hours = options.fundingIntervalHours;
  const id = venue === "okx" ? `${base}-${quote}-SWAP` : `${base}${quote}`;
  const info: Record<string, unknown> =
    venue === "bybit" ? { symbol: id, contractType: "LinearPerpetual", status: "Trading", baseCoin: base, quoteCoin: quote, settleCoin: settle, ...(hours === undefined ? {} : { fundingInterval: hours * 60 }) }
    : venue === "binanceusdm" ? { symbol: id, pair: id, contractType: "PERPETUAL", status: "TRADING", baseAsset: base, quoteAsset: quote, marginAsset: settle, orderTypes: ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"] }
    : venue === "bitget" ? { symbol: id, baseCoin: base, quoteCoin: quote, supportMarginCoins: [settle], symbolType: "perpetual", symbolStatus: "normal", ...(hours === undefined ? {} : { fundInterval: String(hours) }) }
    : { instId: id, instType: "SWAP", uly: `${base}-${quote}`, instFamily: `${base}-${quote}`, settleCcy: settle, ctVal: String(options.contractSize), ctType: "linear", state: "live" };
  return {
    id, symbol, base, quote, settle, baseId: base, quoteId: quote, settleId: settle,
    type: "swap", subType: "linear", spot: false, margin: false, swap: true, future: false, option: false,
    active: true, contract: true, linear: true, inverse: false, contractSize: options.contractSize ?? 1,
    expiry: undefined, expiryDatetime: undefined, strike: undefined, optionType: undefined, created: undefined,
    precision: { amount: undefined, price: undefined },
    limits: { amount: { min: undefined, max: undefined }, price: { min: undefined, max: undefined }, cost: { min: undefined, max: undefined }, leverage: { min: undefined, max: undefined } },
    info,
  };
}

/** Only linear swaps: fetching every market type would cost several large requests per start. */
const VENUE_OPTIONS: Readonly<Record<CcxtVenue, Record<string, unknown>>> = {
  bybit: { fetchMarkets: { types: ["linear"] } },
  binanceusdm: { fetchMarkets: { types: ["linear"] } },
  okx: { fetchMarkets: { types: ["swap"] } },
  // The classic account's v2 mix endpoints; `uta: false` also spares an authenticated client the /api/v3 account probe.
  bitget: { fetchMarkets: { types: ["swap"] }, defaultType: "swap", uta: false },
};

const finite = (value: unknown): number | null => {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
};

/** "8h", "4h", or "3600000" (ms: what ccxt leaves for an OKX gap it has no name for) → hours. */
function intervalHoursFrom(interval: unknown): number | null {
  if (typeof interval === "string" && /^\d+(\.\d+)?h$/.test(interval)) return Number(interval.slice(0, -1));
  const ms = finite(interval);
  return ms !== null && ms >= 3_600_000 ? ms / 3_600_000 : null;
}

export function createCcxtMarketData(options: CcxtMarketDataOptions): MarketDataSource {
  const { venue, logger } = options;
  const now = options.now ?? Date.now;
  const name = venueName(venue);
  const exchange: Exchange = new CONSTRUCTORS[venue]({ enableRateLimit: true, timeout: options.timeoutMs ?? 10_000, options: VENUE_OPTIONS[venue] });
  if (options.hostOverride !== undefined) pointAt(exchange, options.hostOverride);
  if (options.markets !== undefined) exchange.setMarkets([...options.markets]);

  let marketsLoading: Promise<void> | null = null;
  let marketsFailedBefore = false;
  let cooldownUntil = 0;
  let binanceIntervals: { at: number; hours: Map<string, number> } | null = null;
  const assumedInterval = new Set<string>();
  const localClockNoted = new Set<string>();

  /** An exchange timestamp, checked: null when the venue sent none; throws when it is unusable. */
  function exchangeTime(value: unknown, what: string, symbol: string): number | null {
    if (value === undefined || value === null || value === "") return null;
    const ts = finite(value);
    if (ts === null) {
      throw new ExchangeError("unknown", venue, `${name} sent an unreadable timestamp (${JSON.stringify(value)}) with the ${what} for ${symbol}; refusing it.`);
    }
    const ahead = ts - now();
    if (ahead > MAX_AHEAD_MS) {
      throw new ExchangeError("unknown", venue, `${name} stamped the ${what} for ${symbol} ${Math.round(ahead / 1000)} s in the future (${new Date(ts).toISOString()}); refusing it. Check this machine's clock.`);
    }
    if (ts < EARLIEST_TS) {
      throw new ExchangeError("unknown", venue, `${name} stamped the ${what} for ${symbol} before 2015 (${ts}); refusing it.`);
    }
    return ts;
  }

  /**
   * The first timestamp the venue gave (each one validated). Only when it gave none does the
   * local clock stand in, and that is logged once per venue and data kind, not silently assumed.
   */
  function stampOf(what: string, symbol: string, ...candidates: readonly unknown[]): number {
    for (const candidate of candidates) {
      const ts = exchangeTime(candidate, what, symbol);
      if (ts !== null) return ts;
    }
    if (!localClockNoted.has(what)) {
      localClockNoted.add(what); // once: this runs on every poll
      logger.info({ venue, what, symbol }, `${name} sends no timestamp with its ${what}; using the local clock for it.`);
    }
    return now();
  }

  /**
   * Bybit's /v5/market/tickers stamps only the envelope ({ retCode, result: { list }, time }), and
   * ccxt's bybit parseTicker reads `time` from the list item, where it never is: its ticker has no
   * timestamp. So the endpoint is called directly and the envelope's `time` kept beside ccxt's parse.
   * (exchange.last_json_response would also hold it, but concurrent calls share that field.)
   */
  async function bybitTicker(market: MarketInterface): Promise<{ ticker: Ticker; envelopeTime: unknown }> {
    const raw = exchange as InstanceType<typeof bybit>;
    const response = await raw.publicGetV5MarketTickers({ category: "linear", symbol: market.id });
    const result = (response["result"] ?? {}) as { list?: unknown };
    const first: unknown = Array.isArray(result.list) ? result.list[0] : undefined;
    const item = first !== null && typeof first === "object" ? (first as Record<string, unknown>) : {};
    return { ticker: exchange.parseTicker(item, market), envelopeTime: response["time"] };
  }

  /**
   * Bitget's current-fund-rate item carries no time (and no prices); its envelope's requestTime is
   * the venue's own stamp, kept beside ccxt's parse as for Bybit's ticker.
   */
  async function bitgetFunding(market: MarketInterface): Promise<{ rate: FundingRate; envelopeTime: unknown }> {
    const raw = exchange as InstanceType<typeof bitget>;
    const response = await raw.publicMixGetV2MixMarketCurrentFundRate({ symbol: market.id, productType: "USDT-FUTURES" });
    const first: unknown = Array.isArray(response["data"]) ? (response["data"] as unknown[])[0] : undefined;
    const item = first !== null && typeof first === "object" ? (first as Record<string, unknown>) : {};
    return { rate: raw.parseFundingRate(item, market), envelopeTime: response["requestTime"] };
  }

  async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
    const wait = cooldownUntil - now();
    if (wait > 0) {
      throw new ExchangeError("rate-limited", venue, `${name} asked us to pause; not calling it for another ${Math.ceil(wait / 1000)} s.`, { retryAfterMs: wait });
    }
    try {
      return await request();
    } catch (error) {
      // last_response_headers belongs to the most recent response; good enough for a Retry-After hint.
      const mapped = mapCcxtError(error, venue, { responseHeaders: exchange.last_response_headers, now: now() });
      if (mapped.kind === "rate-limited" && mapped.retryAfterMs !== null) cooldownUntil = now() + Math.min(mapped.retryAfterMs, MAX_COOLDOWN_MS);
      logger[mapped.kind === "unknown" ? "warn" : "debug"]({ venue, what, kind: mapped.kind, cause: (mapped.cause as Error | undefined)?.message }, mapped.message);
      throw mapped;
    }
  }

  /** Loads markets once; a failed load is retried on the next call (ccxt itself would keep the rejected promise). */
  function ensureMarkets(): Promise<void> {
    if (marketsLoading === null) {
      const reload = marketsFailedBefore;
      const attempt = call("loadMarkets", async () => {
        await exchange.loadMarkets(reload);
      });
      marketsLoading = attempt;
      attempt.catch(() => {
        marketsFailedBefore = true;
        if (marketsLoading === attempt) marketsLoading = null;
      });
    }
    return marketsLoading;
  }

  async function requireMarket(symbol: string): Promise<MarketInterface> {
    await ensureMarkets();
    const markets = (exchange.markets ?? {}) as Record<string, MarketInterface | undefined>;
    const market = markets[symbol];
    if (market?.swap === true && market.linear === true) return market;
    const compact = symbol.toUpperCase().replace(/[^A-Z0-9]/g, "");
    const guess = Object.values(markets).find((m) => m?.swap === true && m.linear === true && (m.id?.toUpperCase().replace(/[^A-Z0-9]/g, "") === compact || `${m.base}${m.quote}` === compact));
    const hint = guess === undefined ? "" : ` Did you mean ${guess.symbol}?`;
    const what = market === undefined ? "does not list" : "lists but not as a linear perpetual";
    throw new ExchangeError("bad-symbol", venue, `${name} ${what} "${symbol}".${hint} Check SYMBOLS; use the ccxt unified form like MNT/USDT:USDT.`);
  }

  async function binanceIntervalHours(symbol: string): Promise<number> {
    if (binanceIntervals === null || now() - binanceIntervals.at > FUNDING_INFO_TTL_MS) {
      const rates = await call("fetchFundingIntervals", () => exchange.fetchFundingIntervals());
      const hours = new Map<string, number>();
      for (const [key, rate] of Object.entries(rates)) {
        const h = intervalHoursFrom(rate.interval);
        if (h !== null) hours.set(rate.symbol ?? key, h);
      }
      binanceIntervals = { at: now(), hours };
    }
    // fundingInfo lists only symbols whose settings were adjusted; absent means Binance's standard 8 h.
    return binanceIntervals.hours.get(symbol) ?? DEFAULT_INTERVAL_HOURS;
  }

  async function intervalHours(symbol: string, rate: FundingRate, market: MarketInterface): Promise<number> {
    const info = (rate.info ?? {}) as Record<string, unknown>;
    const told = finite(info["fundingIntervalHour"]) ?? finite(info["fundingIntervalHours"]) ?? intervalHoursFrom(rate.interval);
    if (told !== null && told > 0) return told;
    if (venue === "binanceusdm") return binanceIntervalHours(symbol);
    const listing = (market.info ?? {}) as Record<string, unknown>;
    const minutes = finite(listing["fundingInterval"]); // Bybit's instruments-info, in minutes
    if (minutes !== null && minutes > 0) return minutes / 60;
    const hours = finite(listing["fundInterval"]); // Bitget's contracts listing, in hours
    if (hours !== null && hours > 0) return hours;
    if (!assumedInterval.has(symbol)) {
      assumedInterval.add(symbol); // once per symbol: this runs on every poll
      logger.warn({ venue, symbol }, `${name} did not say how often ${symbol} pays funding; assuming every ${DEFAULT_INTERVAL_HOURS} h.`);
    }
    return DEFAULT_INTERVAL_HOURS;
  }

  async function historyPage(symbol: string, since: number, limit: number, until: number | null, pageNo: number | null = null): Promise<FundingRateHistory[]> {
    const params: Record<string, unknown> = {};
    if (pageNo !== null) params["pageNo"] = pageNo;
    if (until !== null) {
      if (venue === "okx") params["after"] = String(until + 1); // OKX: records strictly older than `after`
      else params["until"] = until;
    }
    return call("fetchFundingRateHistory", () => exchange.fetchFundingRateHistory(symbol, since, limit, params));
  }

  return {
    venue,

    async fetchFunding(symbol: string): Promise<FundingSnapshot> {
      const market = await requireMarket(symbol);
      const { rate, envelopeTime } = venue === "bitget"
        ? await call("fetchFundingRate", () => bitgetFunding(market))
        : { rate: await call("fetchFundingRate", () => exchange.fetchFundingRate(symbol)), envelopeTime: undefined };
      const value = finite(rate.fundingRate);
      if (value === null) throw new ExchangeError("unknown", venue, `${name} sent no funding rate for ${symbol}; retry later.`);
      const info = (rate.info ?? {}) as Record<string, unknown>;
      return {
        venue,
        symbol,
        ts: stampOf("funding rate", symbol, rate.timestamp, info["ts"], envelopeTime),
        rate: value,
        nextFundingTs: finite(rate.fundingTimestamp),
        intervalHours: await intervalHours(symbol, rate, market),
        markPrice: finite(rate.markPrice),
        indexPrice: finite(rate.indexPrice),
      };
    },

    async fetchFundingHistory(symbol: string, sinceMs: number): Promise<FundingPrint[]> {
      await requireMarket(symbol);
      const { limit, direction } = HISTORY_PAGING[venue];
      const byTs = new Map<number, number>();
      let cursor = direction === "forward" ? sinceMs : now();
      for (let page = 0; ; page += 1) {
        if (page === MAX_HISTORY_PAGES) {
          logger.warn({ venue, symbol, sinceMs }, `stopped after ${MAX_HISTORY_PAGES} pages of ${name} funding history; ask for a shorter span.`);
          break;
        }
        const rows = direction === "forward" ? await historyPage(symbol, cursor, limit, null)
          : direction === "backward" ? await historyPage(symbol, sinceMs, limit, cursor)
          : await historyPage(symbol, sinceMs, limit, null, page + 1); // ccxt drops prints before sinceMs
        const stamps: number[] = [];
        for (const row of rows) {
          const ts = exchangeTime(row.timestamp, "funding history", symbol);
          const value = finite(row.fundingRate);
          if (ts === null || value === null) continue;
          stamps.push(ts);
          if (ts >= sinceMs) byTs.set(ts, value);
        }
        if (rows.length < limit || stamps.length === 0) break;
        if (direction === "pages") {
          // Each page must be older than the last: a venue ignoring pageNo would repeat the newest.
          const oldest = Math.min(...stamps);
          if (oldest >= cursor) break;
          cursor = oldest;
          continue;
        }
        const next = direction === "forward" ? Math.max(...stamps) + 1 : Math.min(...stamps) - 1;
        if (direction === "forward" ? next <= cursor : next >= cursor || next < sinceMs) break;
        cursor = next;
      }
      return [...byTs.entries()].sort(([a], [b]) => a - b).map(([ts, value]) => ({ venue, symbol, ts, rate: value }));
    },

    async fetchOrderBook(symbol: string, depth: number): Promise<OrderBookSnapshot> {
      const market = await requireMarket(symbol);
      const { limit, params } = bookRequestFor(venue, depth);
      const book = await call("fetchOrderBook", () => exchange.fetchOrderBook(symbol, limit, params));
      // OKX counts book sizes in contracts; perpbot's levels are in base units.
      const perContract = finite(market.contractSize) ?? 1;
      const levels = (side: readonly (readonly [unknown, unknown])[]): BookLevel[] =>
        side.slice(0, Math.max(0, Math.floor(depth))).flatMap(([p, s]) => {
          const price = finite(p);
          const size = finite(s);
          return price === null || size === null ? [] : [[price, size * perContract] as const];
        });
      return { venue, symbol, ts: stampOf("order book", symbol, book.timestamp), bids: levels(book.bids), asks: levels(book.asks) };
    },

    async fetchTicker(symbol: string): Promise<TickerSnapshot> {
      const market = await requireMarket(symbol);
      const { ticker, envelopeTime } = venue === "bybit"
        ? await call("fetchTicker", () => bybitTicker(market))
        : { ticker: await call("fetchTicker", () => exchange.fetchTicker(symbol)), envelopeTime: undefined };
      const last = finite(ticker.last);
      if (last === null) throw new ExchangeError("unknown", venue, `${name} sent no last price for ${symbol}; retry later.`);
      const info = (ticker.info ?? {}) as Record<string, unknown>;
      // ccxt's OKX swap baseVolume is vol24h, counted in contracts; volCcy24h is the base amount.
      const baseVolume = venue === "okx" ? finite(info["volCcy24h"]) : finite(ticker.baseVolume);
      return {
        venue,
        symbol,
        ts: stampOf("ticker", symbol, ticker.timestamp, envelopeTime),
        last,
        bid: finite(ticker.bid),
        ask: finite(ticker.ask),
        baseVolume24h: baseVolume,
        quoteVolume24h: finite(ticker.quoteVolume),
      };
    },

    async fetchPerpCandles(symbol: string, sinceMs: number): Promise<Candle[]> {
      await requireMarket(symbol);
      // ccxt already gives every venue's swap candle volume in base units: Bybit's and Binance's
      // klines count the base coin, and ccxt's okx parseOHLCV takes index 6 (volCcy, base currency)
      // for non-spot markets, not index 5 (vol, contracts). Scaling by contractSize again would
      // make OKX volume 100x too small for BTC (ctVal 0.01).
      const rows = await call("fetchOHLCV", () => exchange.fetchOHLCV(symbol, "1h", sinceMs, 200));
      const closedBy = now();
      return rows.flatMap(([ts, open, high, low, close, volume]) => {
        const bar = [ts, open, high, low, close, volume].map(finite);
        if (bar.some((x) => x === null)) return [];
        const [t, o, h, l, c, v] = bar as number[];
        exchangeTime(t, "candles", symbol);
        // The newest bar is still open: it is not a candle yet.
        return t !== undefined && t + HOUR_MS <= closedBy && t >= sinceMs
          ? [{ ts: t, open: o ?? 0, high: h ?? 0, low: l ?? 0, close: c ?? 0, volume: v ?? 0 }]
          : [];
      });
    },

    async close(): Promise<void> {
      await exchange.close();
    },
  };
}
