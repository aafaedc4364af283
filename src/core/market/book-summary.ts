/**
 * A book reduced to what later backtests need, so the history can keep it for years while full
 * books are dropped after a few days: the best levels, the base size resting within a few bands
 * around mid, and the walls. Recorded every poll (src/app/record-market.ts) and importable from
 * recorded L2 files.
 */

/** [price, size in base units], best first. */
export type SummaryLevel = readonly [number, number];

/**
 * Bands around mid in basis points. 10 bp is what a market order meets, 50–100 bp an intraday
 * move, 200 bp the edge of what a 20-level book of a liquid perp still shows.
 */
export const DEPTH_BANDS_BP = [10, 50, 100, 200] as const;

/**
 * A level is a wall when it is at least this many times the median level size of the whole
 * book (both sides). 10x, not the signal stream's 20x (liquidation-walls.ts): the record keeps
 * the candidates, a backtest can still raise the bar; at 5x nearly every book has several
 * "walls" and the column stops saying anything.
 */
export const WALL_MULTIPLE = 10;

export type DepthBand = (typeof DEPTH_BANDS_BP)[number];

export interface BookSummary {
  readonly bestBid: number;
  readonly bestAsk: number;
  readonly bidSize: number;
  readonly askSize: number;
  readonly mid: number;
  /** Base size within N bp of mid: [bids, asks]. */
  readonly depth: Readonly<Record<DepthBand, readonly [number, number]>>;
  /** Levels at least WALL_MULTIPLE times the median level size, nearest mid first per side. */
  readonly walls: readonly (readonly ["bid" | "ask", number, number])[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[half] ?? 0) : ((sorted[half - 1] ?? 0) + (sorted[half] ?? 0)) / 2;
}

const usable = (levels: readonly SummaryLevel[]): SummaryLevel[] =>
  levels.filter(([price, size]) => Number.isFinite(price) && Number.isFinite(size) && price > 0 && size > 0);

/** The summary of one book; null when either side is empty (no mid to measure from). */
export function summarizeBook(bids: readonly SummaryLevel[], asks: readonly SummaryLevel[]): BookSummary | null {
  const bidLevels = usable(bids);
  const askLevels = usable(asks);
  const bestBid = bidLevels[0];
  const bestAsk = askLevels[0];
  if (bestBid === undefined || bestAsk === undefined) return null;
  const mid = (bestBid[0] + bestAsk[0]) / 2;
  const within = (levels: readonly SummaryLevel[], bp: number): number =>
    levels.reduce((sum, [price, size]) => (Math.abs(price - mid) <= (mid * bp) / 10_000 + 1e-12 ? sum + size : sum), 0);
  const depth = Object.fromEntries(DEPTH_BANDS_BP.map((bp) => [bp, [within(bidLevels, bp), within(askLevels, bp)] as const])) as Record<DepthBand, readonly [number, number]>;
  const typical = median([...bidLevels, ...askLevels].map(([, size]) => size));
  const wallsOf = (side: "bid" | "ask", levels: readonly SummaryLevel[]): (readonly ["bid" | "ask", number, number])[] =>
    levels.filter(([, size]) => size >= WALL_MULTIPLE * typical).map(([price, size]) => [side, price, size] as const);
  return {
    bestBid: bestBid[0], bestAsk: bestAsk[0], bidSize: bestBid[1], askSize: bestAsk[1], mid, depth,
    walls: [...wallsOf("bid", bidLevels), ...wallsOf("ask", askLevels)],
  };
}
