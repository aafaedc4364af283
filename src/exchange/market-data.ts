import type { Candle } from "../core/signals/types";

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

export interface MarketDataSource {
  readonly venue: string;
  fetchFunding(symbol: string): Promise<FundingSnapshot>;
  /** Settled prints with ts >= sinceMs, oldest first. */
  fetchFundingHistory(symbol: string, sinceMs: number): Promise<FundingPrint[]>;
  fetchOrderBook(symbol: string, depth: number): Promise<OrderBookSnapshot>;
  fetchTicker(symbol: string): Promise<TickerSnapshot>;
  /** Closed hourly perp candles with open time >= sinceMs, oldest first (at most a venue page). */
  fetchPerpCandles(symbol: string, sinceMs: number): Promise<Candle[]>;
  close(): Promise<void>;
}
