import { clamp, round } from "../stats";
import type { StreamResult, VenueBookView, VenueView } from "./types";

/**
 * Order-book imbalance and depth change: resting bid vs ask size within a band around mid,
 * imbalance = (bid − ask) / (bid + ask). More size waiting to buy than to sell near the price
 * leans long. The change of that imbalance since the previous snapshot says which side is
 * building: bids being added (or asks pulled) lean long too.
 */
export interface BookImbalanceParams {
  /** Depth counts within this fraction of mid, either side. 0.5%: the near book that absorbs the next hours' flow. */
  readonly bandFraction: number;
  /**
   * Weight of the imbalance change in the score when a previous snapshot exists; the rest is the
   * level. 0.3: the level is the steadier reading, one snapshot-to-snapshot change is noisy.
   */
  readonly changeWeight: number;
  /** |score| at which the stream confirms a direction. 0.3: about a 65/35 split of near depth. */
  readonly confirmThreshold: number;
}

export const DEFAULT_BOOK_IMBALANCE_PARAMS: BookImbalanceParams = {
  bandFraction: 0.005,
  changeWeight: 0.3,
  confirmThreshold: 0.3,
};

export interface BandDepth {
  readonly mid: number;
  /** Base units resting within the band. */
  readonly bidDepth: number;
  readonly askDepth: number;
  /** (bid − ask) / (bid + ask), in [-1, 1]. */
  readonly imbalance: number;
}

/**
 * Depth within ±band of mid; null when a side is empty (no mid, no imbalance). Plain loops: it runs
 * twice per venue and symbol every cycle, and the levels are summed in book order as before.
 */
export function bandDepth(book: VenueBookView, bandFraction: number): BandDepth | null {
  // Indexed loops, not `for (const [price, qty] of …)`: destructuring each level allocated an
  // iterator and ran about four times slower, and this is the cycle's hottest book reader.
  const { bids, asks } = book;
  let bestBid = Number.NEGATIVE_INFINITY;
  let bestAsk = Number.POSITIVE_INFINITY;
  for (let i = 0; i < bids.length; i++) {
    const level = bids[i] as readonly [number, number];
    if (level[0] > 0 && level[1] > 0 && level[0] > bestBid) bestBid = level[0];
  }
  for (let i = 0; i < asks.length; i++) {
    const level = asks[i] as readonly [number, number];
    if (level[0] > 0 && level[1] > 0 && level[0] < bestAsk) bestAsk = level[0];
  }
  if (bestBid === Number.NEGATIVE_INFINITY || bestAsk === Number.POSITIVE_INFINITY) return null;
  const mid = (bestBid + bestAsk) / 2;
  let bidDepth = 0;
  let askDepth = 0;
  for (let i = 0; i < bids.length; i++) {
    const level = bids[i] as readonly [number, number];
    if (level[0] > 0 && level[1] > 0 && Math.abs(level[0] - mid) <= bandFraction * mid) bidDepth += level[1];
  }
  for (let i = 0; i < asks.length; i++) {
    const level = asks[i] as readonly [number, number];
    if (level[0] > 0 && level[1] > 0 && Math.abs(level[0] - mid) <= bandFraction * mid) askDepth += level[1];
  }
  return { mid, bidDepth, askDepth, imbalance: (bidDepth - askDepth) / (bidDepth + askDepth) };
}

export function bookImbalance(venue: VenueView, decisionTs: number, params: BookImbalanceParams = DEFAULT_BOOK_IMBALANCE_PARAMS): StreamResult {
  // A book stamped after the decision would be lookahead: treat it as missing.
  const book = venue.book !== null && venue.book.ts <= decisionTs ? venue.book : null;
  const now = book === null ? null : bandDepth(book, params.bandFraction);
  if (book === null || now === null) {
    return {
      stream: "book-imbalance", venue: venue.venue, available: false, score: 0, confirms: "neutral", numbers: {},
      summary: `Order book on ${venue.venue}: ${book === null ? "no snapshot at the decision time" : "one side is empty"}.`,
    };
  }
  // The change needs an earlier snapshot; one stamped at or after `book` cannot be "before" it.
  const previousBook = venue.previousBook !== null && venue.previousBook.ts < book.ts ? venue.previousBook : null;
  const before = previousBook === null ? null : bandDepth(previousBook, params.bandFraction);
  const change = before === null ? null : now.imbalance - before.imbalance;
  const score = change === null
    ? now.imbalance
    : clamp((1 - params.changeWeight) * now.imbalance + params.changeWeight * clamp(change, -1, 1), -1, 1);
  const triggered = Math.abs(score) >= params.confirmThreshold - 1e-9;
  const confirms = !triggered ? "neutral" : score > 0 ? "long" : "short";

  const numbers: Record<string, number> = {
    mid: now.mid, bidDepth: round(now.bidDepth, 6), askDepth: round(now.askDepth, 6), imbalance: round(now.imbalance, 4), score: round(score, 4),
  };
  if (before !== null && change !== null && previousBook !== null) {
    Object.assign(numbers, {
      previousImbalance: round(before.imbalance, 4),
      imbalanceChange: round(change, 4),
      // Relative change of each side's depth: which side is being added to or pulled.
      bidDepthChange: before.bidDepth > 0 ? round(now.bidDepth / before.bidDepth - 1, 4) : 0,
      askDepthChange: before.askDepth > 0 ? round(now.askDepth / before.askDepth - 1, 4) : 0,
      secondsSincePrevious: (book.ts - previousBook.ts) / 1000,
    });
  }
  const band = `${round(params.bandFraction * 100, 2)}%`;
  const split = `${round((now.bidDepth / (now.bidDepth + now.askDepth)) * 100, 0)}% bids`;
  const changeText = change === null ? "" : `, ${change >= 0 ? "up" : "down"} ${round(Math.abs(change), 2)} since the previous snapshot`;
  const summary = `On ${venue.venue} the book within ${band} of mid is ${split} (imbalance ${round(now.imbalance, 2)}${changeText})` +
    (triggered ? `: leaning ${confirms}.` : ": balanced.");
  return { stream: "book-imbalance", venue: venue.venue, available: true, score, confirms, numbers, summary };
}
