import { describe, expect, it } from "vitest";
import { gaussian, seededRandom } from "../../src/core/random";
import { bandDepth } from "../../src/core/signals/book-imbalance";
import { combineVenues } from "../../src/core/signals/ensemble";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, fundingAnomaly, fundingBaseline, scoreFunding } from "../../src/core/signals/funding-anomaly";
import { mean, sampleStd } from "../../src/core/stats";
import { DEFAULT_LIQUIDATION_WALLS_PARAMS, liquidationWalls, type LiquidationWallsParams } from "../../src/core/signals/liquidation-walls";
import type { Candle, Direction, StreamResult, TimedRate, VenueBookView, VenueView } from "../../src/core/signals/types";
import { DEFAULT_VOLUME_DIVERGENCE_PARAMS, volumeDivergence, type VolumeDivergenceParams } from "../../src/core/signals/volume-divergence";
import { loadRealBooks } from "../support/real-data";
import { referenceBandDepth, referenceCombineVenues, referenceLiquidationWalls, referenceVolumeDivergence } from "./stream-references";

/**
 * The streams' loops and scratch arrays against the straightforward code they replaced (kept
 * here as the reference: filters, spreads, a sorted median, bars in a plain array), on seeded
 * random books and candles with the defects real data has. The results must be the same numbers
 * in the same order, the same words.
 */
const HOUR = 3_600_000;
const T = Date.UTC(2025, 0, 10, 12, 0, 0);

/** Every number spelled exactly (−0 and NaN too), keys in order: equal means the same result. */
const exact = (result: StreamResult): string => JSON.stringify(result, (_k, v: unknown) => (typeof v === "number" ? `n:${Object.is(v, -0) ? "-0" : String(v)}` : v));

function randomBars(random: () => number, hours: number, end: number, price: number): Candle[] {
  const out: Candle[] = [];
  let close = price;
  for (let k = hours; k >= 1; k--) {
    if (random() < 0.03) continue; // a missing hour
    const open = close;
    close = open * Math.exp(0.01 * gaussian(random));
    const ts = end - k * HOUR + (random() < 0.01 ? 60_000 : 0); // now and then a bar off the hour
    const volume = random() < 0.01 ? Number.NaN : random() < 0.02 ? 0 : 1 + random() * 100;
    out.push({ ts, open, high: Math.max(open, close) * (1 + random() * 0.02), low: Math.min(open, close) * (1 - random() * 0.02), close, volume });
    if (random() < 0.02) { // a doubled bar, the later one different
      const first = out.at(-1) as Candle;
      out.push({ ...first, open: first.open * 1.01, close: first.close * 0.99, volume: 5 });
    }
  }
  return out;
}

function randomBook(random: () => number, mid: number): VenueBookView {
  const side = (sign: number): [number, number][] => Array.from({ length: 5 + Math.floor(random() * 20) }, (_, i) => {
    const price = random() < 0.03 ? 0 : mid * (1 + sign * (0.0002 + i * random() * 0.002));
    // Walls of a few fixed sizes, so that two walls often tie for the largest.
    const qty = random() < 0.03 ? 0 : random() < 0.1 ? 30 * (1 + Math.floor(random() * 3)) : random();
    return [price, qty];
  });
  return { ts: T - 1_000, bids: side(-1), asks: side(1) };
}

function venueOf(random: () => number, withBook: boolean): VenueView {
  const perp = randomBars(random, 200, T, 100);
  const spot = randomBars(random, 200, T, 100).map((c) => ({ ...c, volume: c.volume * (0.3 + random()) }));
  const price = random() < 0.1 ? 0 : (perp.at(-1)?.close ?? 100) * (1 + (random() - 0.5) * 0.05);
  return { venue: "v", price, funding: null, book: withBook ? randomBook(random, price || 100) : null, previousBook: null, perpVolume24h: null, perpCandles: perp, spotCandles: spot };
}

describe("liquidationWalls and volumeDivergence = the straightforward code they replaced", () => {
  it("on seeded random books and bars, and with parameters that reach further", () => {
    const random = seededRandom(17);
    const long: LiquidationWallsParams = { ...DEFAULT_LIQUIDATION_WALLS_PARAMS, lookbackHours: 60, wallMultiple: 5 };
    const wide: VolumeDivergenceParams = { ...DEFAULT_VOLUME_DIVERGENCE_PARAMS, baselineHours: 150, minBaselineWindows: 20, zThreshold: 1 };
    let walls = 0;
    let divergent = 0;
    for (let i = 0; i < 400; i++) {
      const venue = venueOf(random, random() < 0.8);
      const at = T - (random() < 0.3 ? Math.floor(random() * 5_000_000) : 0);
      for (const params of [DEFAULT_LIQUIDATION_WALLS_PARAMS, long]) {
        const result = liquidationWalls(venue, at, params);
        expect(exact(result)).toBe(exact(referenceLiquidationWalls(venue, at, params)));
        if (result.numbers.bidWallQty !== undefined && result.numbers.bidWallQty + (result.numbers.askWallQty ?? 0) > 0) walls++;
      }
      for (const params of [DEFAULT_VOLUME_DIVERGENCE_PARAMS, wide]) {
        const result = volumeDivergence(venue, at, params);
        expect(exact(result)).toBe(exact(referenceVolumeDivergence(venue, at, params)));
        if (result.confirms !== "neutral") divergent++;
      }
    }
    expect(walls).toBeGreaterThan(50);
    expect(divergent).toBeGreaterThan(5);
  });

  it("on the real Binance books of 2024-08-08", () => {
    const books = loadRealBooks();
    for (const book of books) {
      const venue: VenueView = { venue: "binanceusdm", price: 0, funding: null, book, previousBook: null, perpVolume24h: null, perpCandles: [], spotCandles: [] };
      expect(exact(liquidationWalls(venue, book.ts))).toBe(exact(referenceLiquidationWalls(venue, book.ts, DEFAULT_LIQUIDATION_WALLS_PARAMS)));
    }
  });
});

describe("combineVenues and bandDepth = the straightforward code they replaced", () => {
  it("on seeded random per-venue results and books", () => {
    const random = seededRandom(23);
    const sides: Direction[] = ["long", "short", "neutral"];
    for (let i = 0; i < 2_000; i++) {
      const results: StreamResult[] = Array.from({ length: Math.floor(random() * 5) }, (_, k) => {
        const available = random() < 0.6;
        return {
          stream: "volume-divergence", venue: `v${k}`, available, score: available ? random() * 2 - 1 : 0,
          confirms: available ? (sides[Math.floor(random() * 3)] as Direction) : "neutral", numbers: { z: random(), n: k }, summary: `s${k} ${random()}`,
        };
      });
      const combined = combineVenues(results);
      const expected = referenceCombineVenues(results);
      expect(combined === null ? null : exact(combined)).toBe(expected === null ? null : exact(expected));
      const book = randomBook(random, 100);
      expect(bandDepth(book, 0.005)).toEqual(referenceBandDepth(book, 0.005));
    }
  });
});

describe("fundingAnomaly without a kept baseline = stats over fundingBaseline's copy", () => {
  it("on seeded random histories: thin, pinned, hourly and 8-hourly", () => {
    const random = seededRandom(29);
    for (let i = 0; i < 2_000; i++) {
      const interval = random() < 0.5 ? 1 : 8;
      const history: TimedRate[] = [];
      for (let k = Math.floor(random() * 40); k >= 1; k--) {
        if (random() < 0.1) continue;
        history.push({ ts: T - k * interval * HOUR, rate: random() < 0.3 ? 0.0001 : (random() - 0.4) * 0.001 });
      }
      const current = { ts: T, rate: (random() - 0.4) * 0.002 };
      const params = random() < 0.5 ? DEFAULT_FUNDING_ANOMALY_PARAMS : { ...DEFAULT_FUNDING_ANOMALY_PARAMS, minSamples: 1 + Math.floor(random() * 10), windowHours: 4 + Math.floor(random() * 40) };
      const rates = fundingBaseline(history, current.ts, params).map((p) => p.rate);
      const expected = scoreFunding("v", current, interval, { count: rates.length, mean: mean(rates), std: sampleStd(rates) }, params);
      expect(exact(fundingAnomaly("v", { current, intervalHours: interval, history }, params))).toBe(exact(expected));
    }
  });
});
