import type { Exchange, MarketInterface, Ticker } from "ccxt";
import type { Logger } from "../log";
import type { Candle } from "../core/signals/types";
import { mapCcxtError } from "./ccxt-errors";
import { pointAt } from "./ccxt-hosts";
import { ExchangeError } from "./errors";
import { perpParts, spotSymbolOf, type VenueId } from "./venues/registry";
import { finite, type VenueDescriptor } from "./venues/types";
import type { TickerSnapshot } from "./market-data";

/**
 * One venue's ccxt client as the market-data adapter uses it: one instance per source, created on
 * first use (its ccxt class is loaded then, not at import), markets loaded once (perps and spot
 * pairs), every exchange timestamp validated, every failure mapped to an ExchangeError, and the
 * venue's own "pause" (Retry-After) kept by failing fast until it is over.
 */

export const HOUR_MS = 3_600_000;
/** Our fail-fast pause after a Retry-After; the persistent per-venue cool-down is app/venue-cooldown.ts. */
const MAX_COOLDOWN_MS = 5 * 60 * 1000;
/** An exchange timestamp further ahead of our clock than this is refused: one of the clocks is wrong. */
const MAX_AHEAD_MS = 60_000;
/** No venue perpbot reads existed before 2015: an earlier stamp is a unit or parsing error. */
const EARLIEST_TS = Date.UTC(2015, 0, 1);

export interface SessionOptions {
  readonly venue: VenueId;
  readonly descriptor: VenueDescriptor;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly hostOverride: string | undefined;
  /** Injected ccxt markets: loadMarkets then makes no request. */
  readonly markets: readonly MarketInterface[] | undefined;
  readonly now: () => number;
}

export type CcxtSession = ReturnType<typeof createSession>;

export function createSession(options: SessionOptions) {
  const { venue, descriptor, logger, now } = options;
  const name = descriptor.name;
  let exchange: Exchange | null = null;
  let creating: Promise<Exchange> | null = null;
  let marketsLoading: Promise<void> | null = null;
  let marketsFailedBefore = false;
  let cooldownUntil = 0;
  const localClockNoted = new Set<string>();

  /** The ccxt client, made once: rate limiter on, the venue's market types only. */
  function client(): Promise<Exchange> {
    creating ??= descriptor.loadClass().then((Class) => {
      const made = new Class({ enableRateLimit: true, timeout: options.timeoutMs, options: { ...descriptor.marketDataOptions } });
      if (options.hostOverride !== undefined) pointAt(made, options.hostOverride);
      if (options.markets !== undefined) made.setMarkets([...options.markets]);
      exchange = made;
      return made;
    });
    return creating;
  }

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

  async function call<T>(what: string, request: (exchange: Exchange) => Promise<T>): Promise<T> {
    const wait = cooldownUntil - now();
    if (wait > 0) {
      throw new ExchangeError("rate-limited", venue, `${name} asked us to pause; not calling it for another ${Math.ceil(wait / 1000)} s.`, { retryAfterMs: wait });
    }
    try {
      return await request(await client());
    } catch (error) {
      // last_response_headers belongs to the most recent response; good enough for a Retry-After hint.
      const mapped = mapCcxtError(error, venue, { responseHeaders: exchange?.last_response_headers, now: now() });
      if (mapped.kind === "rate-limited" && mapped.retryAfterMs !== null) cooldownUntil = now() + Math.min(mapped.retryAfterMs, MAX_COOLDOWN_MS);
      logger[mapped.kind === "unknown" ? "warn" : "debug"]({ venue, what, kind: mapped.kind, cause: (mapped.cause as Error | undefined)?.message }, mapped.message);
      throw mapped;
    }
  }

  /** Loads markets once; a failed load is retried on the next call (ccxt itself would keep the rejected promise). */
  function ensureMarkets(): Promise<void> {
    if (marketsLoading === null) {
      const reload = marketsFailedBefore;
      const attempt = call("loadMarkets", async (ex) => {
        await ex.loadMarkets(reload);
      });
      marketsLoading = attempt;
      attempt.catch(() => {
        marketsFailedBefore = true;
        if (marketsLoading === attempt) marketsLoading = null;
      });
    }
    return marketsLoading;
  }

  const marketTable = (): Record<string, MarketInterface | undefined> => (exchange?.markets ?? {}) as Record<string, MarketInterface | undefined>;

  /** The listed, trading linear perp of `symbol`, or undefined (markets loaded first). */
  async function perpMarket(symbol: string): Promise<MarketInterface | undefined> {
    await ensureMarkets();
    const market = marketTable()[symbol];
    return market?.swap === true && market.linear === true && market.active !== false ? market : undefined;
  }

  /** The matching spot pair of the perp `symbol`, or undefined when the venue lists none. */
  async function spotMarket(symbol: string): Promise<MarketInterface | undefined> {
    if (perpParts(symbol) === null) throw badSymbol(symbol, "cannot read");
    await ensureMarkets();
    const market = marketTable()[spotSymbolOf(symbol)];
    return market?.spot === true && market.active !== false ? market : undefined;
  }

  function badSymbol(symbol: string, what: string, hint = ""): ExchangeError {
    return new ExchangeError("bad-symbol", venue, `${name} ${what} "${symbol}".${hint} Check SYMBOLS; use the ccxt unified form like MNT/USDT:USDT.`);
  }

  async function requireMarket(symbol: string): Promise<MarketInterface> {
    const listed = await perpMarket(symbol);
    if (listed !== undefined) return listed;
    const markets = marketTable();
    const compact = symbol.toUpperCase().replace(/[^A-Z0-9]/g, "");
    const guess = Object.values(markets).find((m) => m?.swap === true && m.linear === true && (m.id?.toUpperCase().replace(/[^A-Z0-9]/g, "") === compact || `${m.base}${m.quote}` === compact));
    throw badSymbol(symbol, markets[symbol] === undefined ? "does not list" : "lists but not as a trading linear perpetual", guess === undefined ? "" : ` Did you mean ${guess.symbol}?`);
  }

  /** ccxt OHLCV rows → closed hourly candles with open time >= sinceMs (each stamp validated). */
  function closedCandles(rows: readonly (readonly unknown[])[], sinceMs: number, symbol: string): Candle[] {
    const closedBy = now();
    return rows.flatMap((row) => {
      const bar = row.slice(0, 6).map(finite);
      if (bar.length < 6 || bar.some((x) => x === null)) return [];
      const [t, open, high, low, close, volume] = bar as [number, number, number, number, number, number];
      exchangeTime(t, "candles", symbol);
      // The newest bar is still open: it is not a candle yet.
      return t + HOUR_MS <= closedBy && t >= sinceMs ? [{ ts: t, open, high, low, close, volume }] : [];
    });
  }

  return {
    venue, descriptor, name, now, logger,
    call, ensureMarkets, perpMarket, spotMarket, requireMarket, exchangeTime, stampOf, closedCandles,
    async close(): Promise<void> {
      const made = creating === null ? null : await creating.catch(() => null); // a class that never loaded has nothing to close
      if (made !== null) await made.close();
    },
  };
}

/** Base units per ccxt size unit of this market: its contract size where the venue counts contracts, else 1. */
export function unitOf(session: Pick<CcxtSession, "descriptor">, market: MarketInterface): number {
  return session.descriptor.sizeUnit === "contracts" ? finite(market.contractSize) ?? 1 : 1;
}

/** A 24 h ticker of a perp or spot market, stamped by the venue (its envelope time where ccxt's parse drops it). */
export async function tickerOf(session: CcxtSession, symbol: string, market: MarketInterface, what: string, baseVolumeOf?: (ticker: Ticker) => number | null): Promise<TickerSnapshot> {
  const fetchRaw = session.descriptor.fetchTicker;
  const { value: ticker, envelopeTime } = fetchRaw === undefined
    ? { value: await session.call("fetchTicker", (ex) => ex.fetchTicker(market.symbol)), envelopeTime: undefined }
    : await session.call("fetchTicker", (ex) => fetchRaw(ex, market));
  return snapshotOf(session, symbol, market, ticker, envelopeTime, what, baseVolumeOf);
}

/**
 * The 24 h tickers of many markets of one type (all perps, or all spot pairs) in one request:
 * ccxt's fetchTickers, or the descriptor's own call where ccxt's parse drops the only stamp
 * (Bybit). Keyed by the perp symbol each was asked for. Every ticker passes the checks the single
 * request makes (stamp validated, a last price); one that fails them is that symbol's error, as
 * the single request would have thrown it. A market the answer does not hold is absent from the map.
 */
export async function tickersOf(
  session: CcxtSession, wanted: readonly { readonly symbol: string; readonly market: MarketInterface }[], what: string, baseVolumeOf?: (ticker: Ticker) => number | null,
): Promise<Map<string, TickerSnapshot | ExchangeError>> {
  const out = new Map<string, TickerSnapshot | ExchangeError>();
  if (wanted.length === 0) return out;
  const fetchRaw = session.descriptor.fetchTickers;
  const markets = wanted.map((w) => w.market);
  const { value: tickers, envelopeTime } = fetchRaw === undefined
    ? { value: Object.values(await session.call("fetchTickers", (ex) => ex.fetchTickers(markets.map((m) => m.symbol)))), envelopeTime: undefined }
    : await session.call("fetchTickers", (ex) => fetchRaw(ex, markets));
  const bySymbol = new Map(tickers.map((t) => [t.symbol, t]));
  for (const { symbol, market } of wanted) {
    const ticker = bySymbol.get(market.symbol);
    if (ticker === undefined) continue;
    try {
      out.set(symbol, snapshotOf(session, symbol, market, ticker, envelopeTime, what, baseVolumeOf));
    } catch (error) {
      if (!(error instanceof ExchangeError)) throw error;
      out.set(symbol, error);
    }
  }
  return out;
}

function snapshotOf(
  session: CcxtSession, symbol: string, market: MarketInterface, ticker: Ticker, envelopeTime: unknown, what: string, baseVolumeOf: ((ticker: Ticker) => number | null) | undefined,
): TickerSnapshot {
  const last = finite(ticker.last);
  if (last === null) throw new ExchangeError("unknown", session.venue, `${session.name} sent no last price for ${market.symbol}; retry later.`);
  return {
    venue: session.venue,
    symbol,
    ts: session.stampOf(what, symbol, ticker.timestamp, envelopeTime),
    last,
    bid: finite(ticker.bid),
    ask: finite(ticker.ask),
    baseVolume24h: baseVolumeOf === undefined ? finite(ticker.baseVolume) : baseVolumeOf(ticker),
    quoteVolume24h: finite(ticker.quoteVolume),
  };
}
