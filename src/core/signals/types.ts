/**
 * The shapes the signal engine works on. `SymbolMarketView` is the aligned cross-venue view: one
 * symbol, every venue, all time-stamped. Today the funding stream reads it; the liquidation,
 * volume-divergence and order-book streams (and cross-venue confirmation) plug into the same view.
 */
export type Direction = "long" | "short" | "neutral";

export type StreamName = "funding-anomaly" | "liquidation-walls" | "volume-divergence" | "book-imbalance";

export interface TimedRate {
  /** Epoch ms. */
  readonly ts: number;
  /** Decimal per settlement (0.0001 = 0.01%). */
  readonly rate: number;
}

export interface VenueFundingView {
  /** The live (predicted) rate for the next settlement. */
  readonly current: TimedRate;
  readonly intervalHours: number;
  /** Earlier observations, settled prints and polled predictions, oldest first, all before `current.ts`. */
  readonly history: readonly TimedRate[];
  /**
   * Optional: the baseline statistics of `history`, already kept by a rolling window (a replay
   * updates them per print instead of re-scanning). Used only when its rule matches the stream's.
   */
  readonly baseline?: FundingBaselineStats;
}

export interface FundingBaselineStats {
  readonly count: number;
  readonly mean: number;
  readonly std: number;
  /** The rule the statistics follow (see FundingAnomalyParams). */
  readonly windowHours: number;
  readonly minSamples: number;
  readonly maxLookbackHours: number;
}

export interface VenueBookView {
  readonly ts: number;
  readonly bids: readonly (readonly [number, number])[];
  readonly asks: readonly (readonly [number, number])[];
}

/** One hourly bar, stamped with its open time; volume in base units. */
export interface Candle {
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * What one venue shows of one symbol at the decision time. Any part may be missing (null or
 * empty): a stream that needs it then reports itself unavailable instead of guessing.
 */
export interface VenueView {
  readonly venue: string;
  /** Perp mark (or last) price at the decision time. */
  readonly price: number;
  readonly funding: VenueFundingView | null;
  readonly book: VenueBookView | null;
  /** The book snapshot before `book`, for the depth-change part of the imbalance stream. */
  readonly previousBook: VenueBookView | null;
  /** 24 h perp volume in base units (venue ticker); used to weight venues against each other. */
  readonly perpVolume24h: number | null;
  /** Hourly perp candles that closed at or before the decision time (ts + 1 h ≤ view.ts), oldest first. */
  readonly perpCandles: readonly Candle[];
  /** Hourly spot candles of the same pair on this venue, same rule. */
  readonly spotCandles: readonly Candle[];
  /**
   * Optional: the volume divergence's baseline over the windows ending by `endTs`, already kept
   * by a replay (each window's ratio computed once per history, not at every decision time).
   * Used only when its windows and end are the stream's.
   */
  readonly volumeBaseline?: VolumeBaselineStats;
}

export interface VolumeBaselineStats {
  /** The hour the stream's windows end at (the last full hour before the decision time). */
  readonly endTs: number;
  readonly recentHours: number;
  readonly baselineHours: number;
  /** Complete baseline windows, their mean log ratio, and Σ (ratio − mean)², oldest window first. */
  readonly windows: number;
  readonly mean: number;
  readonly squares: number;
}

export interface SymbolMarketView {
  readonly symbol: string;
  /** The decision time: nothing at or after it may be read. */
  readonly ts: number;
  readonly venues: readonly VenueView[];
}

export interface StreamResult {
  readonly stream: StreamName;
  readonly venue: string;
  /** False when the stream lacked data; it then neither confirms nor scores. */
  readonly available: boolean;
  /** Directional score in [-1, 1]; positive favours long. */
  readonly score: number;
  readonly confirms: Direction;
  /** The numbers behind the score, for the journal and the explanation. */
  readonly numbers: Readonly<Record<string, number>>;
  /** One plain sentence a trader can read in the alert. */
  readonly summary: string;
}
