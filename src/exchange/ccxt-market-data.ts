import type { Exchange, FundingRate, FundingRateHistory, MarketInterface } from "ccxt";
import type { Logger } from "../log";
import { mapCcxtError, venueName } from "./ccxt-errors";
import { pointAt } from "./ccxt-hosts";
import { bitgetFunding, bookRequestFor, bybitTicker, CONSTRUCTORS, finite, HISTORY_PAGING, intervalHoursFrom, listedFundingIntervalHours, VENUE_OPTIONS, type CcxtVenue } from "./ccxt-venues";
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
 * of hammering it (Binance turns repeated 429s into an IP ban, HTTP 418). What differs per venue
 * (ccxt class and options, paging, book depths, listings) is described in ccxt-venues.ts.
 */

// Callers take the venue names and perpMarketFor from here, beside the adapter they feed.
export { perpMarketFor, type CcxtVenue } from "./ccxt-venues";

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
    const listed = listedFundingIntervalHours(market);
    if (listed !== null) return listed;
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
        ? await call("fetchFundingRate", () => bitgetFunding(exchange, market))
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
        ? await call("fetchTicker", () => bybitTicker(exchange, market))
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
