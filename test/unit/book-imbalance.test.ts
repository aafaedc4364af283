import { loadRealBooks, mirroredBook } from "../support/real-data";
import { describe, expect, it } from "vitest";
import { bandDepth, bookImbalance, DEFAULT_BOOK_IMBALANCE_PARAMS } from "../../src/core/signals/book-imbalance";
import type { VenueBookView, VenueView } from "../../src/core/signals/types";

const T = Date.UTC(2025, 0, 10, 12, 0, 0);

function venue(book: VenueBookView | null, previousBook: VenueBookView | null = null): VenueView {
  return { venue: "okx", price: 100, funding: null, book, previousBook, perpVolume24h: null, perpCandles: [], spotCandles: [] };
}

/** One bid level at 99.75 and one ask at 100.25: mid exactly 100, both inside ±0.5%. */
function book(bidQty: number, askQty: number, ts = T): VenueBookView {
  return { ts, bids: [[99.75, bidQty]], asks: [[100.25, askQty]] };
}

describe("bookImbalance (hand-built)", () => {
  it("leans long when bids outweigh asks near mid", () => {
    // (3 − 1) / (3 + 1) = 0.5; no previous book → score = imbalance.
    const result = bookImbalance(venue(book(3, 1)), T);
    expect(result.available).toBe(true);
    expect(result.numbers).toMatchObject({ mid: 100, bidDepth: 3, askDepth: 1, imbalance: 0.5 });
    expect(result.score).toBe(0.5);
    expect(result.confirms).toBe("long");
    expect(result.numbers.imbalanceChange).toBeUndefined();
    expect(bookImbalance(venue(book(1, 3)), T)).toMatchObject({ score: -0.5, confirms: "short" });
  });

  it("confirms from |score| 0.3 and not below", () => {
    // 1.3 vs 0.7 → 0.3 → long; 1.29 vs 0.71 → 0.29 → neutral.
    expect(bookImbalance(venue(book(1.3, 0.7)), T).confirms).toBe("long");
    const below = bookImbalance(venue(book(1.29, 0.71)), T);
    expect(below.score).toBeCloseTo(0.29, 12);
    expect(below.confirms).toBe("neutral");
    expect(below.summary).toContain("balanced");
  });

  it("counts depth within ±0.5% of mid only (edge inclusive)", () => {
    // Mid 100: 99.5 and 100.5 are exactly 0.5% away (in), 99.25 and 100.75 are out.
    const wide: VenueBookView = { ts: T, bids: [[99.75, 1], [99.5, 2], [99.25, 100]], asks: [[100.25, 1], [100.5, 1], [100.75, 100]] };
    expect(bandDepth(wide, 0.005)).toEqual({ mid: 100, bidDepth: 3, askDepth: 2, imbalance: 0.2 });
    expect(bookImbalance(venue(wide), T).numbers.imbalance).toBe(0.2);
  });

  it("blends in the change since the previous snapshot: 70% level, 30% change", () => {
    // Now 0.5; before −0.5 (1 vs 3): change +1 → 0.7·0.5 + 0.3·1 = 0.65. Bids tripled (+200%),
    // asks fell to a third (−66.67%).
    const building = bookImbalance(venue(book(3, 1), book(1, 3, T - 1000)), T);
    expect(building.numbers).toMatchObject({ previousImbalance: -0.5, imbalanceChange: 1, bidDepthChange: 2, askDepthChange: -0.6667, secondsSincePrevious: 1 });
    expect(building.score).toBeCloseTo(0.65, 12);
    // Now 0.2 (1.2 vs 0.8), before 0.5: change −0.3 → 0.14 − 0.09 = 0.05 → neutral although bids lead.
    const fading = bookImbalance(venue(book(1.2, 0.8), book(3, 1, T - 1000)), T);
    expect(fading.score).toBeCloseTo(0.05, 12);
    expect(fading.confirms).toBe("neutral");
    // A change beyond ±1 is clamped: now −0.9, before +0.9 → change −1.8 → −0.63 − 0.3 = −0.93.
    expect(bookImbalance(venue(book(0.1, 1.9), book(1.9, 0.1, T - 1000)), T).score).toBeCloseTo(-0.93, 12);
    expect(DEFAULT_BOOK_IMBALANCE_PARAMS.changeWeight).toBe(0.3);
  });

  it("uses the previous book only when it is older than the current one", () => {
    const sameTime = bookImbalance(venue(book(3, 1), book(1, 3, T)), T);
    expect(sameTime.score).toBe(0.5);
    expect(sameTime.numbers.imbalanceChange).toBeUndefined();
  });

  it("is unavailable without a book, with an empty side, or with a book from the future", () => {
    expect(bookImbalance(venue(null), T).available).toBe(false);
    expect(bookImbalance(venue({ ts: T, bids: [[99, 1]], asks: [] }), T).available).toBe(false);
    const future = bookImbalance(venue(book(3, 1, T + 1)), T);
    expect(future.available).toBe(false);
    expect(future.summary).toContain("no snapshot");
    // Once the decision time reaches the stamp, it counts.
    expect(bookImbalance(venue(book(3, 1, T + 1)), T + 1).available).toBe(true);
  });
});

// ---- Real data: Binance BTCUSDT perp L2 top-20 books, one per second. ----

describe("bookImbalance on 345 real Binance BTC perp books (2024-08-08 23:54–00:00 UTC)", () => {
  const books = loadRealBooks();
  const results = books.map((b, i) => bookImbalance(venue(b, books[i - 1] ?? null), b.ts));

  it("computes the first snapshot's imbalance from its 40 levels", () => {
    // Top 20 bids sum to 22.072 BTC (18.957 of it at the best bid, 61800.0), asks to 5.612:
    // all within ±0.5% (the top 20 span ~$10 of a $61,800 price). (22.072 − 5.612) / 27.684.
    const first = results[0];
    expect(first?.numbers.bidDepth).toBeCloseTo(22.072, 6);
    expect(first?.numbers.askDepth).toBeCloseTo(5.612, 6);
    expect(first?.numbers.mid).toBeCloseTo(61800.05, 6);
    expect(first?.score).toBeCloseTo(16.46 / 27.684, 9);
    expect(first?.confirms).toBe("long");
    expect(first?.numbers.imbalanceChange).toBeUndefined();
    // The second one has the first as its previous book, one second earlier.
    expect(results[1]?.numbers.secondsSincePrevious).toBeCloseTo(0.99, 2);
    expect(results[1]?.numbers.imbalanceChange).toBeCloseTo((results[1]?.numbers.imbalance ?? NaN) - (first?.numbers.imbalance ?? NaN), 3);
  });

  it("stays in range and leans both ways over the six minutes", () => {
    expect(books).toHaveLength(345);
    for (const r of results) {
      expect(r.available).toBe(true);
      expect(Math.abs(r.score)).toBeLessThanOrEqual(1);
      expect(Math.abs(r.numbers.imbalance ?? NaN)).toBeLessThanOrEqual(1);
    }
    const share = (side: string): number => results.filter((r) => r.confirms === side).length / results.length;
    // A top-20 BTC book is thin and lopsided second to second: most snapshots lean one way.
    expect(share("long")).toBeGreaterThan(0.1);
    expect(share("short")).toBeGreaterThan(0.1);
    expect(share("neutral")).toBeGreaterThan(0.05);
    expect(share("neutral")).toBeLessThan(0.8);
  });

  it("flips direction when bids and asks swap", () => {
    books.forEach((b, i) => {
      const previous = books[i - 1];
      const flipped = bookImbalance(venue(mirroredBook(b), previous === undefined ? null : mirroredBook(previous)), b.ts);
      const straight = results[i];
      expect(flipped.score).toBeCloseTo(-(straight?.score ?? NaN), 9);
      expect(flipped.confirms).toBe(straight?.confirms === "long" ? "short" : straight?.confirms === "short" ? "long" : "neutral");
    });
  });

  it("ignores the next snapshot when handed it too early (no lookahead)", () => {
    const [first, second] = books;
    if (first === undefined || second === undefined) throw new Error("need two books");
    // At the first book's time, a view whose `book` is the second (later) snapshot has no usable book.
    expect(bookImbalance(venue(second, first), first.ts).available).toBe(false);
  });
});
