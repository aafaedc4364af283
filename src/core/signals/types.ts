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
}

export interface VenueBookView {
  readonly ts: number;
  readonly bids: readonly (readonly [number, number])[];
  readonly asks: readonly (readonly [number, number])[];
}

export interface VenueView {
  readonly venue: string;
  readonly price: number;
  readonly funding: VenueFundingView | null;
  readonly book: VenueBookView | null;
  readonly perpVolume24h: number | null;
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
