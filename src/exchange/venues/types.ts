import type { Exchange, FundingRate, MarketInterface, OpenInterest, Ticker } from "ccxt";
import type { CcxtExchangeClass } from "../ccxt-loader";

/**
 * Everything perpbot knows about one venue, as data: a registry entry (registry.ts) per venue file.
 * The market-data adapter, the error mapping and the live client read these fields and never
 * branch on a venue's name, so adding a venue is one descriptor file plus its stand-in formats.
 */

/** How a venue pages funding history: forward from a start time, backward from an end time, or by page number (newest first). */
export interface HistoryPaging {
  readonly limit: number;
  readonly direction: "forward" | "backward" | "pages";
  /** Request params for "only records at or before `until`" (backward paging); ccxt's unified `until` where omitted. */
  readonly untilParams?: (until: number) => Record<string, unknown>;
}

/** A raw answer ccxt parsed, with the envelope timestamp its parse drops (where the item itself carries none). */
export interface Enveloped<T> {
  readonly value: T;
  readonly envelopeTime: unknown;
}

/**
 * ccxt's rate-limiter cost (its `api` cost table, ccxt 4.5.84) of one single-symbol 24 h ticker
 * request and of the venue's bulk one (every market of a type, or a list). The adapter asks in bulk
 * only when that costs no more than asking per symbol: `symbols × single >= bulk`.
 */
export interface BulkTickerCost {
  readonly single: number;
  readonly bulk: number;
}

/** One open-interest reading as the venue's endpoint states it, before unit conversion. */
export interface RawOpenInterest {
  readonly ts: unknown;
  /** In the unit `openInterestUnit` names. */
  readonly amount: number | null;
  /** In quote (USDT), when the venue states it. */
  readonly value: number | null;
}

export interface VenueDescriptor {
  /** The name in VENUES and in every record; also ccxt's id for the class. */
  readonly id: string;
  /** What a person reads: "Binance USD-M". */
  readonly name: string;
  /** Loads the venue's ccxt class on first use (see ccxt-loader.ts): only configured venues cost memory. */
  readonly loadClass: () => Promise<CcxtExchangeClass>;
  /** ccxt `options` for public market data: the linear swaps and the spot pairs, no other market type (each type is a large listing request). */
  readonly marketDataOptions: Readonly<Record<string, unknown>>;
  /** ccxt `options` for the authenticated live client: linear swaps only. */
  readonly liveOptions: Readonly<Record<string, unknown>>;
  /**
   * Where the funding interval comes from when the funding-rate answer does not state it:
   * Binance's fundingInfo list (absent = 8 h), or the perp's listing (`listedIntervalHours`).
   */
  readonly fundingIntervalSource: "funding-info" | "listing";
  /** The interval the perp's listing states, in hours; null when it states none. */
  readonly listedIntervalHours?: (listing: Readonly<Record<string, unknown>>) => number | null;
  /**
   * "contracts": ccxt's book sizes, ticker baseVolume and openInterestAmount count contracts of
   * `contractSize` base units (OKX's ctVal). "base": they are base units already.
   */
  readonly sizeUnit: "base" | "contracts";
  readonly historyPaging: HistoryPaging;
  /** The depth request the venue accepts for a wanted depth (fixed gears on Binance and Bitget). */
  readonly bookRequest: (depth: number) => { readonly limit: number | undefined; readonly params: Record<string, unknown> };
  /** Rate-limit and ban behaviour beyond ccxt's own classification. */
  readonly bans: {
    /** HTTP statuses that mean "this IP is banned" on this venue (Bybit 403, Binance 418). */
    readonly statuses: readonly number[];
    /** How long to stay away from a ban whose length the venue did not state. */
    readonly defaultMs: number;
  };
  /** The venue's market id of a linear perp (BTCUSDT, BTC-USDT-SWAP). */
  readonly perpId: (base: string, quote: string) => string;
  /** The venue's own instrument listing of a linear perp, as ccxt's parseMarket expects it (see perpMarketFor). */
  readonly perpListing: (ids: { id: string; base: string; quote: string; settle: string }, options: { contractSize?: number; fundingIntervalHours?: number }) => Record<string, unknown>;
  /** Whether the perp listing needs a contract size (OKX sizes in contracts of ctVal). */
  readonly requiresContractSize: boolean;
  /**
   * Open interest of the linear perps: whether the venue publishes the current figure, and an
   * hourly history of it (`historyLimit` rows a request, the newest `historyWindowMs` only).
   */
  readonly openInterest: { readonly current: boolean; readonly history: false } | { readonly current: boolean; readonly history: true; readonly historyLimit: number; readonly historyWindowMs?: number };

  /**
   * The venue's bulk 24 h ticker endpoints that ccxt's fetchTickers calls, perp and spot (absent:
   * per-symbol requests only), with what each costs against the single-symbol request.
   */
  readonly bulkTickers?: { readonly perp: BulkTickerCost; readonly spot: BulkTickerCost };

  // Quirks: where ccxt's unified call loses a field, the descriptor makes the call itself.
  /** The ticker when ccxt's parse drops the venue's only timestamp (Bybit's envelope `time`). */
  readonly fetchTicker?: (exchange: Exchange, market: MarketInterface) => Promise<Enveloped<Ticker>>;
  /** The bulk tickers of `markets` (all of one type) when ccxt's parse drops the venue's only timestamp (Bybit); each parsed with its market. */
  readonly fetchTickers?: (exchange: Exchange, markets: readonly MarketInterface[]) => Promise<Enveloped<readonly Ticker[]>>;
  /** The funding rate when ccxt's parse drops the venue's only timestamp (Bitget's `requestTime`). */
  readonly fetchFundingRate?: (exchange: Exchange, market: MarketInterface) => Promise<Enveloped<FundingRate>>;
  /** Base volume of the perp's 24 h ticker where ccxt's baseVolume is not it (OKX: contracts). */
  readonly perpBaseVolume?: (ticker: Ticker) => number | null;
  /** Current open interest where ccxt's unified parse is not enough. */
  readonly fetchOpenInterest?: (exchange: Exchange, market: MarketInterface) => Promise<RawOpenInterest>;
  /** Hourly open-interest history (oldest or newest first) where ccxt has no unified per-perp call. */
  readonly fetchOpenInterestHistory?: (exchange: Exchange, market: MarketInterface, sinceMs: number, limit: number) => Promise<RawOpenInterest[]>;
}

/** Venues send numbers as JSON numbers or as strings; anything not a finite number reads as null. */
export const finite = (value: unknown): number | null => {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
};

export const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** ccxt's parse of an open-interest structure, as a raw reading. */
export const rawOpenInterest = (oi: OpenInterest): RawOpenInterest => ({ ts: oi.timestamp, amount: finite(oi.openInterestAmount), value: finite(oi.openInterestValue) });

/** Bybit and Bitget leave the ban length unstated; 30 min is what Bybit's docs give (see ccxt-errors.ts DEFAULT_BAN_MS). */
export const THIRTY_MINUTES = 30 * 60_000;
