import { loadBinanceCandles, loadRealBooks, mirroredBook } from "../support/real-data";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIQUIDATION_WALLS_PARAMS, liquidationWalls } from "../../src/core/signals/liquidation-walls";
import type { Candle, VenueBookView, VenueView } from "../../src/core/signals/types";

const HOUR = 3_600_000;
const T = Date.UTC(2025, 0, 10, 12, 0, 0);

function venue(parts: Partial<VenueView>): VenueView {
  return { venue: "bybit", price: 0, funding: null, book: null, previousBook: null, perpVolume24h: null, perpCandles: [], spotCandles: [], ...parts };
}

function book(bids: [number, number][], asks: [number, number][], ts = T): VenueBookView {
  return { ts, bids, asks };
}

/** A candle whose high, low and close are all `price` (typical price = price). */
function bar(hoursBeforeT: number, price: number, volume: number, low = price, high = price): Candle {
  return { ts: T - hoursBeforeT * HOUR, open: price, high, low, close: price, volume };
}

describe("liquidationWalls: order-book walls", () => {
  // Mid (99.75 + 100.25) / 2 = 100; sizes [1, 1, 30, 1, 1, 1] → median 1, wall at ≥ 20.
  const bidWall = book([[99.75, 1], [99.5, 1], [99, 30]], [[100.25, 1], [100.5, 1], [101, 1]]);

  it("reads a bid wall below as support (long) and an ask wall above as resistance (short)", () => {
    const long = liquidationWalls(venue({ book: bidWall }), T);
    expect(long.available).toBe(true);
    // 99 is exactly 1% below mid: inside the ±1% band (inclusive).
    expect(long.numbers).toMatchObject({ mid: 100, medianLevelQty: 1, bidWallQty: 30, askWallQty: 0, bidWallPrice: 99, wallScore: 1 });
    expect(long.score).toBe(1); // no candles: the wall part alone
    expect(long.confirms).toBe("long");
    const short = liquidationWalls(venue({ book: book([[99.75, 1], [99.5, 1], [99, 1]], [[100.25, 1], [100.5, 1], [101, 30]]) }), T);
    expect(short.score).toBe(-1);
    expect(short.confirms).toBe("short");
    expect(short.numbers.askWallPrice).toBe(101);
  });

  it("needs 20x the median and the ±1% band", () => {
    // 19.99 < 20 × 1: not a wall → no walls at all → score 0.
    const small = liquidationWalls(venue({ book: book([[99.75, 1], [99.5, 1], [99, 19.99]], [[100.25, 1], [100.5, 1], [101, 1]]) }), T);
    expect(small.numbers.bidWallQty).toBe(0);
    expect(small.confirms).toBe("neutral");
    // Exactly 20: a wall.
    expect(liquidationWalls(venue({ book: book([[99.75, 1], [99.5, 1], [99, 20]], [[100.25, 1], [100.5, 1], [101, 1]]) }), T).numbers.bidWallQty).toBe(20);
    // 98.75 is 1.25% below mid: outside the band, however large.
    const far = liquidationWalls(venue({ book: book([[99.75, 1], [99.5, 1], [98.75, 500]], [[100.25, 1], [100.5, 1], [101, 1]]) }), T);
    expect(far.numbers.bidWallQty).toBe(0);
    expect(far.score).toBe(0);
  });

  it("weighs bid walls against ask walls", () => {
    // Bid wall 30, ask wall 20 (median of [1,1,30,1,1,20] is 1): (30 - 20) / 50 = 0.2 → below 0.5.
    const mixed = liquidationWalls(venue({ book: book([[99.75, 1], [99.5, 1], [99, 30]], [[100.25, 1], [100.5, 20], [101, 1]]) }), T);
    expect(mixed.score).toBeCloseTo(0.2, 12);
    expect(mixed.confirms).toBe("neutral");
  });

  it("ignores a book stamped after the decision time, and an empty side", () => {
    expect(liquidationWalls(venue({ book: { ...bidWall, ts: T + 1 } }), T).available).toBe(false);
    expect(liquidationWalls(venue({ book: book([[99, 30]], []) }), T).available).toBe(false);
    const none = liquidationWalls(venue({}), T);
    expect(none.available).toBe(false);
    expect(none.summary).toContain("no order book and no candles");
  });
});

describe("liquidationWalls: estimated liquidation clusters", () => {
  // Candle A (3 h back) traded 300 at 100; candle B (2 h back) 300 at 97, and price is 97 now.
  // Longs opened on A at 20x liquidate at 100·(1 − 1/20 + 0.005) = 95.5: 1.55% below 97 → in
  // the 3% band; 10x (90.5) and 5x (80.5) are too far, as are all short levels (≥ 104.5 for A,
  // 101.37 for B is 4.5% above). Mass 300 / 3 tiers = 100 of 600 total: share 1/6 ≥ 10%.
  const afterDrop = [bar(3, 100, 300), bar(2, 97, 300)];

  it("leans short on a pool of long liquidations just below", () => {
    const result = liquidationWalls(venue({ price: 97, perpCandles: afterDrop }), T);
    expect(result.available).toBe(true);
    expect(result.numbers.longLiqShareBelow).toBe(0.1667);
    expect(result.numbers.shortLiqShareAbove).toBe(0);
    expect(result.numbers.longLiqPrice).toBe(95.5);
    expect(result.numbers.longLiqDistance).toBeCloseTo((97 - 95.5) / 97, 5);
    expect(result.score).toBe(-1);
    expect(result.confirms).toBe("short");
  });

  it("leans long on a pool of short liquidations just above (mirror image)", () => {
    // Shorts opened at 100 at 20x liquidate at 104.5: 1.46% above 103.
    const result = liquidationWalls(venue({ price: 103, perpCandles: [bar(3, 100, 300), bar(2, 103, 300)] }), T);
    expect(result.numbers.shortLiqPrice).toBe(104.5);
    expect(result.confirms).toBe("long");
  });

  it("forgets levels price has already traded through", () => {
    // B's low of 95 crossed 95.5: those longs are gone.
    const result = liquidationWalls(venue({ price: 97, perpCandles: [bar(3, 100, 300), bar(2, 97, 300, 95)] }), T);
    expect(result.numbers.longLiqShareBelow).toBe(0);
    expect(result.score).toBe(0);
  });

  it("needs the cluster within 3% and at least 10% of the day's volume", () => {
    // At 99, 95.5 is 3.54% below: outside the band.
    expect(liquidationWalls(venue({ price: 99, perpCandles: afterDrop }), T).numbers.longLiqShareBelow).toBe(0);
    // A = 60, B = 140: 20 / 200 = 10% exactly → counts; A = 59, B = 141: 19.67 / 200 < 10% → ignored.
    expect(liquidationWalls(venue({ price: 97, perpCandles: [bar(3, 100, 60), bar(2, 97, 140)] }), T).confirms).toBe("short");
    const thin = liquidationWalls(venue({ price: 97, perpCandles: [bar(3, 100, 59), bar(2, 97, 141)] }), T);
    expect(thin.score).toBe(0);
    expect(thin.summary).toContain("too small to matter");
  });

  it("only reads the last 24 closed hours", () => {
    // A moved 25 h back: outside the look-back, so no cluster.
    expect(liquidationWalls(venue({ price: 97, perpCandles: [bar(25, 100, 300), bar(2, 97, 300)] }), T).numbers.longLiqShareBelow).toBe(0);
    // Future candles (one still open at T, one after) that would consume or add levels change nothing.
    const base = liquidationWalls(venue({ price: 97, perpCandles: afterDrop }), T);
    const future = [bar(0, 90, 1e6, 80, 120), bar(-1, 104, 1e6)];
    expect(liquidationWalls(venue({ price: 97, perpCandles: [...afterDrop, ...future] }), T)).toEqual(base);
  });

  it("blends the wall and cluster parts half and half", () => {
    // Bid wall (+1) and a long-liquidation pool (−1): 0.5·1 + 0.5·(−1) = 0 → neutral.
    // Mid 97; the 30 at 96.5 is 0.52% below it, inside the 1% band.
    const bidWallAt97 = book([[96.75, 1], [96.5, 30], [96.25, 1]], [[97.25, 1], [97.5, 1], [97.75, 1]]);
    const opposed = liquidationWalls(venue({ price: 97, book: bidWallAt97, perpCandles: afterDrop }), T);
    expect(opposed.score).toBe(0);
    expect(opposed.confirms).toBe("neutral");
    expect(opposed.numbers).toMatchObject({ wallScore: 1, clusterScore: -1 });
    // No wall (0) and the pool (−1): −0.5 → exactly at the threshold → short.
    const flatBook = book([[96.75, 1]], [[97.25, 1]]);
    expect(liquidationWalls(venue({ price: 97, book: flatBook, perpCandles: afterDrop }), T)).toMatchObject({ score: -0.5, confirms: "short" });
    expect(DEFAULT_LIQUIDATION_WALLS_PARAMS.wallWeight).toBe(0.5);
  });
});

// ---- Real data: Binance BTCUSDT perp L2 top-20 books, one per second. ----

describe("liquidationWalls on real data", () => {
  const books = loadRealBooks();

  it("reads walls in 345 one-second Binance BTC perp books", () => {
    expect(books).toHaveLength(345);
    const results = books.map((b) => liquidationWalls(venue({ book: b }), b.ts));
    for (const r of results) {
      expect(r.available).toBe(true);
      expect(Math.abs(r.score)).toBeLessThanOrEqual(1);
    }
    // First snapshot (2024-08-08 23:54:17): median level 0.007 BTC → walls ≥ 0.14. Bids:
    // 18.957 (best bid 61800), 1.795, 0.747, 0.16, 0.154 = 21.813; asks: 1.802 (61800.1),
    // 1.148, 0.731, 0.605, 0.533, 0.323, 0.24 = 5.382. Score (21.813 − 5.382) / 27.195.
    const first = results[0];
    expect(first?.numbers).toMatchObject({ medianLevelQty: 0.007, bidWallPrice: 61800, bidWallMaxQty: 18.957, askWallPrice: 61800.1, askWallMaxQty: 1.802 });
    expect(first?.numbers.bidWallQty).toBeCloseTo(21.813, 9);
    expect(first?.numbers.askWallQty).toBeCloseTo(5.382, 9);
    expect(first?.score).toBeCloseTo(16.431 / 27.195, 9);
    expect(first?.confirms).toBe("long");
    // Walls shift second to second: both directions and neutral all occur, none dominates.
    for (const side of ["long", "short", "neutral"] as const) {
      const share = results.filter((r) => r.confirms === side).length / results.length;
      expect(share, side).toBeGreaterThan(0.05);
      expect(share, side).toBeLessThan(0.9);
    }
  });

  it("flips direction when bids and asks swap", () => {
    for (const b of books.slice(0, 60)) {
      const straight = liquidationWalls(venue({ book: b }), b.ts);
      const flipped = liquidationWalls(venue({ book: mirroredBook(b) }), b.ts);
      expect(flipped.score).toBeCloseTo(-straight.score, 9);
      expect(flipped.confirms).toBe(straight.confirms === "long" ? "short" : straight.confirms === "short" ? "long" : "neutral");
    }
  });

  describe("liquidation clusters on Binance BTC perp candles", () => {
    const candles = loadBinanceCandles("BTC", "perp");
    const closeByOpen = new Map(candles.map((c) => [c.ts, c.close]));
    /** The last closed candle's close stands in for the mark price at t. */
    const priceAt = (t: number): number => closeByOpen.get(t - HOUR) ?? NaN;

    it("leans on a plausible share of the hours of March 2024, and never on unclosed candles", () => {
      const start = Date.UTC(2024, 2, 1);
      const end = Date.UTC(2024, 2, 31);
      const month = candles.filter((c) => c.ts >= start - 2 * 24 * HOUR && c.ts < end);
      const results = [];
      for (let t = start; t < end; t += HOUR) results.push(liquidationWalls(venue({ price: priceAt(t), perpCandles: month }), t));
      const leaning = results.filter((r) => r.confirms !== "neutral");
      // Measured: 262 of 720 hours (36%) — March 2024 was a trending month (BTC to a new high).
      expect(results.every((r) => r.available)).toBe(true);
      expect(leaning.length / results.length).toBeGreaterThan(0.05);
      expect(leaning.length / results.length).toBeLessThan(0.6);
      expect(leaning.some((r) => r.confirms === "long")).toBe(true);
      expect(leaning.some((r) => r.confirms === "short")).toBe(true);
      for (const r of results) {
        for (const key of ["longLiqDistance", "shortLiqDistance"]) {
          const distance = r.numbers[key];
          if (distance === undefined) continue;
          expect(distance).toBeGreaterThan(0);
          expect(distance).toBeLessThanOrEqual(0.03);
        }
      }
    });

    it("gives identical results on the full history and on a truncated copy", () => {
      const at = (iso: string, perpCandles: readonly Candle[]) => liquidationWalls(venue({ price: priceAt(Date.parse(iso)), perpCandles }), Date.parse(iso));
      const lastDay = (iso: string): Candle[] => candles.filter((c) => c.ts >= Date.parse(iso) - 24 * HOUR && c.ts < Date.parse(iso));
      for (const iso of ["2020-03-12T20:00:00Z", "2022-11-09T18:00:00Z", "2024-03-01T00:00:00Z", "2024-03-05T00:00:00Z"]) {
        const full = at(iso, candles);
        expect(at(iso, lastDay(iso)), iso).toEqual(full);
        expect(full.available, iso).toBe(true);
      }
      // Two of them lean. 2024-03-01 00:00, after a pull-back from 63k: nearly a fifth of the day's
      // volume (18.6%) would be liquidated as longs ~2.1% below → short.
      expect(at("2024-03-01T00:00:00Z", candles)).toMatchObject({ confirms: "short", numbers: { longLiqShareBelow: 0.1859, shortLiqShareAbove: 0 } });
      // 2024-03-05 00:00, on the run to the 69k high: 19.8% as shorts around 69,522 (1.79% above) → long.
      const rally = at("2024-03-05T00:00:00Z", candles);
      expect(rally.confirms).toBe("long");
      expect(rally.numbers.shortLiqPrice).toBeCloseTo(69522.2, 0);
      expect(rally.summary).toContain("as shorts around");
    });
  });
});
