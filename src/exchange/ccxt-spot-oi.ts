import type { Candle } from "../core/signals/types";
import { HOUR_MS, tickerOf, unitOf, type CcxtSession } from "./ccxt-session";
import type { MarketDataSource, OpenInterestSnapshot, TickerSnapshot } from "./market-data";
import { rawOpenInterest, type RawOpenInterest } from "./venues/types";

/**
 * The spot side and the open interest of a perp, on the same venue and the same ccxt instance as
 * the perp (the descriptor's marketDataOptions load the spot pairs with the swaps). A venue without
 * the spot pair, or without open interest, answers null / empty: that is a listing fact, not a fault.
 */

type SpotMethods = Pick<MarketDataSource, "fetchSpotTicker" | "fetchSpotCandles">;
type OpenInterestMethods = Pick<MarketDataSource, "fetchOpenInterest" | "fetchOpenInterestHistory">;

export function spotMethods(session: CcxtSession, candlePage: number): SpotMethods {
  return {
    async fetchSpotTicker(symbol: string): Promise<TickerSnapshot | null> {
      const market = await session.spotMarket(symbol);
      // Spot volumes are base and quote as ccxt parses them (OKX spot vol24h is base, not contracts).
      return market === undefined ? null : tickerOf(session, symbol, market, "spot ticker");
    },

    async fetchSpotCandles(symbol: string, sinceMs: number): Promise<Candle[]> {
      const market = await session.spotMarket(symbol);
      if (market === undefined) return [];
      const rows = await session.call("fetchOHLCV", (ex) => ex.fetchOHLCV(market.symbol, "1h", sinceMs, candlePage));
      return session.closedCandles(rows, sinceMs, symbol);
    },
  };
}

export function openInterestMethods(session: CcxtSession): OpenInterestMethods {
  const { descriptor, venue } = session;

  /** A raw reading in the venue's unit → base units (contracts × contract size where the venue counts contracts). */
  function snapshot(symbol: string, raw: RawOpenInterest, perUnit: number, ts: number): OpenInterestSnapshot {
    return { venue, symbol, ts, amount: raw.amount === null ? null : raw.amount * perUnit, value: raw.value };
  }

  return {
    async fetchOpenInterest(symbol: string): Promise<OpenInterestSnapshot | null> {
      const market = await session.requireMarket(symbol);
      if (!descriptor.openInterest.current) return null;
      const custom = descriptor.fetchOpenInterest;
      const raw = custom === undefined
        ? rawOpenInterest(await session.call("fetchOpenInterest", (ex) => ex.fetchOpenInterest(symbol)))
        : await session.call("fetchOpenInterest", (ex) => custom(ex, market));
      if (raw.amount === null && raw.value === null) return null;
      return snapshot(symbol, raw, unitOf(session, market), session.stampOf("open interest", symbol, raw.ts));
    },

    async fetchOpenInterestHistory(symbol: string, sinceMs: number): Promise<OpenInterestSnapshot[]> {
      const market = await session.requireMarket(symbol);
      const offered = descriptor.openInterest;
      if (!offered.history) return [];
      // Asking before the venue's window is an error on some venues (Binance keeps 30 days): ask from its start.
      const from = offered.historyWindowMs === undefined ? sinceMs : Math.max(sinceMs, session.now() - offered.historyWindowMs + HOUR_MS);
      const custom = descriptor.fetchOpenInterestHistory;
      const rows = custom === undefined
        ? (await session.call("fetchOpenInterestHistory", (ex) => ex.fetchOpenInterestHistory(symbol, "1h", from, offered.historyLimit))).map(rawOpenInterest)
        : await session.call("fetchOpenInterestHistory", (ex) => custom(ex, market, from, offered.historyLimit));
      const perUnit = unitOf(session, market);
      const byTs = new Map<number, OpenInterestSnapshot>();
      for (const raw of rows) {
        const ts = session.exchangeTime(raw.ts, "open interest history", symbol);
        if (ts === null || ts < sinceMs || (raw.amount === null && raw.value === null)) continue;
        byTs.set(ts, snapshot(symbol, raw, perUnit, ts));
      }
      return [...byTs.values()].sort((a, b) => a.ts - b.ts);
    },
  };
}
