import type { FundingRate, FundingRateHistory, MarketInterface } from "ccxt";
import type { Logger } from "../log";
import type { Candle } from "../core/signals/types";
import { createSession, tickerOf, tickersOf, unitOf, type CcxtSession } from "./ccxt-session";
import { openInterestMethods, spotMethods } from "./ccxt-spot-oi";
import { ExchangeError } from "./errors";
import type { BookLevel, BulkTicker, FundingPrint, FundingSnapshot, MarketDataSource, OrderBookSnapshot, SymbolListing, TickerSnapshot } from "./market-data";
import { perpParts, spotSymbolOf, venueDescriptor, type VenueId } from "./venues/registry";
import { finite } from "./venues/types";

/**
 * Public market data from one venue through ccxt's unified methods (no API keys).
 *
 * Retries: none here. Every failure becomes an ExchangeError whose `kind` says whether retrying
 * can help; the caller (a BullMQ job) retries by kind with backoff. The adapter only keeps the
 * pace: ccxt's throttler spaces requests (enableRateLimit), and after a venue answers "too many
 * requests" with a Retry-After, calls fail fast as "rate-limited" until that pause is over instead
 * of hammering it (Binance turns repeated 429s into an IP ban, HTTP 418). What differs per venue
 * (ccxt class and options, paging, book depths, listings, units) is its descriptor in venues/.
 *
 * One ccxt instance per source, created on the first call (its class is loaded then): the factory
 * stays synchronous and a process loads only the venues it reads.
 */

// Callers take the venue names and perpMarketFor from here, beside the adapter they feed.
export { perpMarketFor, VENUE_IDS, type VenueId as CcxtVenue } from "./venues/registry";

export interface CcxtMarketDataOptions {
  readonly venue: VenueId;
  readonly logger: Logger;
  /** Per-request timeout; ccxt's default is 10 s. */
  readonly timeoutMs?: number;
  /** "http://127.0.0.1:PORT": every host in exchange.urls.api is replaced, paths kept (stand-ins, offline use). */
  readonly hostOverride?: string;
  /** ccxt market objects (see perpMarketFor); when given, loadMarkets makes no request (and no spot pair is known). */
  readonly markets?: readonly MarketInterface[];
  /** Clock, for tests. */
  readonly now?: () => number;
  /**
   * The bulk ticker requests (fetchTickers, fetchSpotTickers) of a venue whose descriptor has them:
   * "when-cheaper" (default) when one costs no more than the per-symbol requests would under ccxt's
   * cost table, "always" (tests), "never" (the source then has no bulk methods).
   */
  readonly bulkTickers?: BulkTickerMode;
}

export type BulkTickerMode = "when-cheaper" | "always" | "never";

const DEFAULT_INTERVAL_HOURS = 8;
/** Binance's fundingInfo changes rarely and shares a 500/5 min/IP budget with fundingRate. */
const FUNDING_INFO_TTL_MS = 60 * 60 * 1000;
const MAX_HISTORY_PAGES = 50;
/** Hourly bars a candle request asks for (every venue's page holds at least 200). */
const CANDLE_PAGE = 200;

export function createCcxtMarketData(options: CcxtMarketDataOptions): MarketDataSource {
  const { venue, logger } = options;
  const descriptor = venueDescriptor(venue);
  const session = createSession({
    venue, descriptor, logger, timeoutMs: options.timeoutMs ?? 10_000, hostOverride: options.hostOverride, markets: options.markets, now: options.now ?? Date.now,
  });
  const { call, requireMarket, exchangeTime, stampOf, now, name } = session;
  let listedIntervals: { at: number; hours: Map<string, number> } | null = null;
  const assumedInterval = new Set<string>();

  async function fundingInfoHours(symbol: string): Promise<number> {
    if (listedIntervals === null || now() - listedIntervals.at > FUNDING_INFO_TTL_MS) {
      const rates = await call("fetchFundingIntervals", (ex) => ex.fetchFundingIntervals());
      const hours = new Map<string, number>();
      for (const [key, rate] of Object.entries(rates)) {
        const h = intervalHoursFrom(rate.interval);
        if (h !== null) hours.set(rate.symbol ?? key, h);
      }
      listedIntervals = { at: now(), hours };
    }
    // fundingInfo lists only symbols whose settings were adjusted; absent means the standard 8 h.
    return listedIntervals.hours.get(symbol) ?? DEFAULT_INTERVAL_HOURS;
  }

  async function intervalHours(symbol: string, rate: FundingRate, market: MarketInterface): Promise<number> {
    const info = (rate.info ?? {}) as Record<string, unknown>;
    const told = finite(info["fundingIntervalHour"]) ?? finite(info["fundingIntervalHours"]) ?? intervalHoursFrom(rate.interval);
    if (told !== null && told > 0) return told;
    if (descriptor.fundingIntervalSource === "funding-info") return fundingInfoHours(symbol);
    const listed = descriptor.listedIntervalHours?.((market.info ?? {}) as Record<string, unknown>) ?? null;
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
    if (until !== null) Object.assign(params, descriptor.historyPaging.untilParams?.(until) ?? { until });
    return call("fetchFundingRateHistory", (ex) => ex.fetchFundingRateHistory(symbol, since, limit, params));
  }

  return {
    venue,

    async checkSymbol(symbol: string): Promise<SymbolListing> {
      if (perpParts(symbol) === null) return { venue, symbol, perp: false, spotSymbol: null, openInterest: false };
      const perp = (await session.perpMarket(symbol)) !== undefined;
      const spot = await session.spotMarket(symbol);
      return { venue, symbol, perp, spotSymbol: spot === undefined ? null : spotSymbolOf(symbol), openInterest: perp && descriptor.openInterest.current };
    },

    async fetchFunding(symbol: string): Promise<FundingSnapshot> {
      const market = await requireMarket(symbol);
      const fetchRate = descriptor.fetchFundingRate;
      const { value: rate, envelopeTime } = fetchRate === undefined
        ? { value: await call("fetchFundingRate", (ex) => ex.fetchFundingRate(symbol)), envelopeTime: undefined }
        : await call("fetchFundingRate", (ex) => fetchRate(ex, market));
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

    async fetchFundingHistory(symbol: string, sinceMs: number, untilMs?: number): Promise<FundingPrint[]> {
      await requireMarket(symbol);
      const { limit, direction } = descriptor.historyPaging;
      const byTs = new Map<number, number>();
      const before = untilMs ?? Number.POSITIVE_INFINITY;
      // Backward venues start at the window's end (inclusive bound: the last ms before untilMs);
      // numbered pages cannot start there, they walk down from the newest and the window filters.
      let cursor = direction === "forward" ? sinceMs : direction === "backward" ? Math.min(now(), before - 1) : now();
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
          if (ts >= sinceMs && ts < before) byTs.set(ts, value);
        }
        if (rows.length < limit || stamps.length === 0) break;
        // Forward paging has passed the window's end: later pages hold nothing it asked for.
        if (direction === "forward" && Math.max(...stamps) >= before) break;
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
      const { limit, params } = descriptor.bookRequest(depth);
      const book = await call("fetchOrderBook", (ex) => ex.fetchOrderBook(symbol, limit, params));
      const perUnit = unitOf(session, market); // OKX counts book sizes in contracts; perpbot's levels are in base units
      return { venue, symbol, ts: stampOf("order book", symbol, book.timestamp), bids: levels(book.bids, depth, perUnit), asks: levels(book.asks, depth, perUnit) };
    },

    async fetchTicker(symbol: string): Promise<TickerSnapshot> {
      const market = await requireMarket(symbol);
      return tickerOf(session, symbol, market, "ticker", descriptor.perpBaseVolume);
    },

    async fetchPerpCandles(symbol: string, sinceMs: number): Promise<Candle[]> {
      await requireMarket(symbol);
      // ccxt already gives every venue's swap candle volume in base units: Bybit's and Binance's
      // klines count the base coin, and ccxt's okx parseOHLCV takes index 6 (volCcy, base currency)
      // for non-spot markets, not index 5 (vol, contracts). Scaling by contractSize again would
      // make OKX volume 100x too small for BTC (ctVal 0.01).
      const rows = await call("fetchOHLCV", (ex) => ex.fetchOHLCV(symbol, "1h", sinceMs, CANDLE_PAGE));
      return session.closedCandles(rows, sinceMs, symbol);
    },

    ...spotMethods(session, CANDLE_PAGE),
    ...openInterestMethods(session),
    ...bulkTickerMethods(session, options.bulkTickers ?? "when-cheaper"),

    close: () => session.close(),
  };
}

/**
 * The bulk ticker methods where the venue's descriptor names its bulk endpoints. Only listed
 * markets are asked; one request for at least two of them, and only when it costs no more than
 * asking each (Binance charges 40 singles' weight for its all-perps ticker: per symbol up to 39).
 */
function bulkTickerMethods(session: CcxtSession, mode: BulkTickerMode): Pick<MarketDataSource, "fetchTickers" | "fetchSpotTickers"> {
  const costs = session.descriptor.bulkTickers;
  if (costs === undefined || mode === "never") return {};
  const pays = (kind: "perp" | "spot", count: number): boolean =>
    count > 0 && (mode === "always" || (count >= 2 && count * costs[kind].single >= costs[kind].bulk));
  return {
    async fetchTickers(symbols: readonly string[]): Promise<ReadonlyMap<string, BulkTicker> | null> {
      const wanted: { symbol: string; market: MarketInterface }[] = [];
      for (const symbol of symbols) {
        const market = await session.perpMarket(symbol);
        if (market !== undefined) wanted.push({ symbol, market });
      }
      return pays("perp", wanted.length) ? tickersOf(session, wanted, "ticker", session.descriptor.perpBaseVolume) : null;
    },

    async fetchSpotTickers(symbols: readonly string[]): Promise<ReadonlyMap<string, BulkTicker | null> | null> {
      const out = new Map<string, BulkTicker | null>();
      const wanted: { symbol: string; market: MarketInterface }[] = [];
      for (const symbol of symbols) {
        if (perpParts(symbol) === null) continue; // the single request says what is wrong with it
        const market = await session.spotMarket(symbol);
        if (market === undefined) out.set(symbol, null);
        else wanted.push({ symbol, market });
      }
      if (wanted.length === 0) return out;
      if (!pays("spot", wanted.length)) return null;
      for (const [symbol, ticker] of await tickersOf(session, wanted, "spot ticker")) out.set(symbol, ticker);
      return out;
    },
  };
}

function levels(side: readonly (readonly [unknown, unknown])[], depth: number, perUnit: number): BookLevel[] {
  return side.slice(0, Math.max(0, Math.floor(depth))).flatMap(([p, s]) => {
    const price = finite(p);
    const size = finite(s);
    return price === null || size === null ? [] : [[price, size * perUnit] as const];
  });
}

/** "8h", "4h", or "3600000" (ms: what ccxt leaves for an OKX gap it has no name for) → hours. */
export function intervalHoursFrom(interval: unknown): number | null {
  if (typeof interval === "string" && /^\d+(\.\d+)?h$/.test(interval)) return Number(interval.slice(0, -1));
  const ms = finite(interval);
  return ms !== null && ms >= 3_600_000 ? ms / 3_600_000 : null;
}
