import type { Candle } from "../core/signals/types";
import type { ExchangeError } from "./errors";

/**
 * Public market data as the rest of perpbot sees it: plain, time-stamped numbers, one venue at a
 * time. The ccxt adapter (ccxt-market-data.ts) and the simulator (src/sim) both fill this shape.
 * Symbols are ccxt unified perp symbols, e.g. "MNT/USDT:USDT".
 */
export interface FundingPrint {
  readonly venue: string;
  readonly symbol: string;
  /** Settlement time, epoch ms. */
  readonly ts: number;
  /** Rate for one settlement, decimal (0.0001 = 0.01%). */
  readonly rate: number;
}

export interface FundingSnapshot {
  readonly venue: string;
  readonly symbol: string;
  /** When the snapshot was taken (exchange time if given, else local), epoch ms. */
  readonly ts: number;
  /** The current (predicted) rate for the next settlement. */
  readonly rate: number;
  readonly nextFundingTs: number | null;
  /** Hours between settlements as the exchange reports it (8, 4 or 1). */
  readonly intervalHours: number;
  readonly markPrice: number | null;
  readonly indexPrice: number | null;
}

/** [price, size in base units] */
export type BookLevel = readonly [number, number];

export interface OrderBookSnapshot {
  readonly venue: string;
  readonly symbol: string;
  readonly ts: number;
  /** Best first. */
  readonly bids: readonly BookLevel[];
  /** Best first. */
  readonly asks: readonly BookLevel[];
}

export interface TickerSnapshot {
  readonly venue: string;
  readonly symbol: string;
  readonly ts: number;
  readonly last: number;
  readonly bid: number | null;
  readonly ask: number | null;
  /** 24 h volume in base units. */
  readonly baseVolume24h: number | null;
  readonly quoteVolume24h: number | null;
}

/** Open interest of a perp at one time. Either figure may be missing where the venue gives only one. */
export interface OpenInterestSnapshot {
  readonly venue: string;
  /** The perp's unified symbol. */
  readonly symbol: string;
  readonly ts: number;
  /** Open contracts in base units (BTC for BTC/USDT:USDT). */
  readonly amount: number | null;
  /** The same in quote (USDT), as the venue states it; null where it states amounts only (Bybit, Bitget, Binance's current figure). */
  readonly value: number | null;
}

/** What a venue lists for one configured perp symbol. */
export interface SymbolListing {
  readonly venue: string;
  readonly symbol: string;
  /** The linear perpetual itself is listed and trading. */
  readonly perp: boolean;
  /** The matching spot pair (MNT/USDT for MNT/USDT:USDT) when the venue lists it, else null. */
  readonly spotSymbol: string | null;
  /** The venue offers open interest for this perp. */
  readonly openInterest: boolean;
}

/**
 * One symbol's part of a bulk ticker answer: its snapshot, or the error the single request would
 * have thrown for what the venue sent about it (an unusable stamp, no last price).
 */
export type BulkTicker = TickerSnapshot | ExchangeError;

export interface MarketDataSource {
  readonly venue: string;
  /** Loads the venue's listings (once) and says what it has of `symbol`; never throws for an unlisted symbol. */
  checkSymbol(symbol: string): Promise<SymbolListing>;
  fetchFunding(symbol: string): Promise<FundingSnapshot>;
  /**
   * Settled prints with sinceMs <= ts < untilMs (no upper bound when omitted), oldest first, stamped
   * as the venue sent them. Ask in bounded windows for long spans: venues that page backwards from
   * the newest print stop after a page limit, and without `untilMs` would return only the newest part.
   */
  fetchFundingHistory(symbol: string, sinceMs: number, untilMs?: number): Promise<FundingPrint[]>;
  fetchOrderBook(symbol: string, depth: number): Promise<OrderBookSnapshot>;
  fetchTicker(symbol: string): Promise<TickerSnapshot>;
  /** Closed hourly perp candles with open time >= sinceMs, oldest first (at most a venue page). */
  fetchPerpCandles(symbol: string, sinceMs: number): Promise<Candle[]>;
  /**
   * The perp's matching spot pair (`symbol` is still the perp's unified symbol): 24 h volumes and
   * last price, stamped. Null when the venue lists no such spot pair.
   */
  fetchSpotTicker(symbol: string): Promise<TickerSnapshot | null>;
  /**
   * Bulk form of fetchTicker (optional: a source without it is asked per symbol): the perp tickers
   * of `symbols` in one request. Null when the venue has no bulk endpoint worth it for this many
   * symbols (no request made: ask per symbol). A symbol the answer does not hold (or the venue does
   * not list) is absent from the map: ask for it singly. Throws what the request threw.
   */
  fetchTickers?(symbols: readonly string[]): Promise<ReadonlyMap<string, BulkTicker> | null>;
  /**
   * Bulk form of fetchSpotTicker, keyed by the perp symbols: null for a symbol whose venue lists no
   * spot pair; otherwise as fetchTickers (null overall: ask per symbol; absent: ask singly).
   */
  fetchSpotTickers?(symbols: readonly string[]): Promise<ReadonlyMap<string, BulkTicker | null> | null>;
  /** Closed hourly candles of the matching spot pair, same rules as fetchPerpCandles; empty when there is none. */
  fetchSpotCandles(symbol: string, sinceMs: number): Promise<Candle[]>;
  /** Current open interest; null when the venue does not offer it for this perp. */
  fetchOpenInterest(symbol: string): Promise<OpenInterestSnapshot | null>;
  /** Hourly open-interest history with ts >= sinceMs, oldest first (at most a venue page); empty when not offered. */
  fetchOpenInterestHistory(symbol: string, sinceMs: number): Promise<OpenInterestSnapshot[]>;
  close(): Promise<void>;
}
