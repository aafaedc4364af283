import { loadBinanceCandles } from "../support/real-data";
import { describe, expect, it } from "vitest";
import { DEFAULT_VOLUME_DIVERGENCE_PARAMS, volumeDivergence } from "../../src/core/signals/volume-divergence";
import type { Candle, VenueView } from "../../src/core/signals/types";

const HOUR = 3_600_000;
const T = Date.UTC(2025, 0, 10, 12, 0, 0);
const BASELINE_HOURS = 7 * 24 + 4;

function venue(perpCandles: readonly Candle[], spotCandles: readonly Candle[]): VenueView {
  return { venue: "binance", price: 0, funding: null, book: null, previousBook: null, perpVolume24h: null, perpCandles, spotCandles };
}

function flat(ts: number, volume: number, open = 100, close = 100): Candle {
  return { ts, open, high: Math.max(open, close), low: Math.min(open, close), close, volume };
}

/**
 * A week plus 4 h of candles closing at T: spot always 100, perp 200 (ratio 2, so every baseline
 * window has log ratio ln 2 and std 0, floored to 0.05). The last 4 perp candles carry
 * `recentPerp` each and move price from 100 to `finalClose`.
 */
function market(recentPerp: number, finalClose: number): VenueView {
  const perp: Candle[] = [];
  const spot: Candle[] = [];
  for (let k = BASELINE_HOURS; k >= 1; k--) {
    const ts = T - k * HOUR;
    const recent = k <= 4;
    // Price walks linearly from 100 (open of T-4h) to finalClose (close of T-1h).
    const open = recent ? 100 + ((finalClose - 100) * (4 - k)) / 4 : 100;
    const close = recent ? 100 + ((finalClose - 100) * (5 - k)) / 4 : 100;
    perp.push(flat(ts, recent ? recentPerp : 200, open, close));
    spot.push(flat(ts, 100, open, close));
  }
  return venue(perp, spot);
}

describe("volumeDivergence (hand-built)", () => {
  it("fires at exactly 2σ and fades an up move", () => {
    // Recent perp 200·e^0.1 per hour: log ratio ln 2 + 0.1, z = 0.1 / 0.05 = 2. Price +1%.
    const result = volumeDivergence(market(200 * Math.exp(0.1), 101), T);
    expect(result.available).toBe(true);
    expect(result.numbers.z).toBeCloseTo(2, 6);
    expect(result.numbers.recentMove).toBeCloseTo(Math.log(1.01), 6);
    expect(result.confirms).toBe("short");
    expect(result.score).toBeCloseTo(-0.5, 6); // -z / (2·2)
    expect(result.summary).toContain("leverage");
    // 200·e^0.0999: z = 1.998 → below the trigger, but the score still leans against the move.
    const below = volumeDivergence(market(200 * Math.exp(0.0999), 101), T);
    expect(below.confirms).toBe("neutral");
    expect(below.score).toBeCloseTo(-0.4995, 6);
  });

  it("fades a down move the other way and saturates at twice the threshold", () => {
    // z = 0.3 / 0.05 = 6 → |score| capped at 1; price -1% → long.
    const result = volumeDivergence(market(200 * Math.exp(0.3), 99), T);
    expect(result.confirms).toBe("long");
    expect(result.score).toBe(1);
  });

  it("does not trade a move below 0.3% or spot-led volume", () => {
    // +0.2%: ln(1.002) = 0.0019987 < 0.003 → nothing to fade, even at z = 6.
    const tiny = volumeDivergence(market(200 * Math.exp(0.3), 100.2), T);
    expect(tiny.confirms).toBe("neutral");
    expect(tiny.score).toBe(0);
    expect(tiny.summary).toContain("nothing to fade");
    // +0.31%: ln(1.0031) = 0.003095 ≥ 0.003 → fires.
    expect(volumeDivergence(market(200 * Math.exp(0.3), 100.31), T).confirms).toBe("short");
    // Perp volume collapsing against spot (z = -6): spot demand, not leverage: no trade.
    const spotLed = volumeDivergence(market(200 * Math.exp(-0.3), 101), T);
    expect(spotLed.numbers.z).toBeCloseTo(-6, 6);
    expect(spotLed.confirms).toBe("neutral");
    expect(spotLed.score).toBe(0);
  });

  it("is unavailable with a hole in the recent window or too short a baseline", () => {
    const full = market(300, 101);
    const holed = venue(full.perpCandles, full.spotCandles.filter((c) => c.ts !== T - 2 * HOUR));
    expect(volumeDivergence(holed, T).available).toBe(false);
    expect(volumeDivergence(holed, T).summary).toContain("last 4h");
    // n candles: the last 4 are the recent window, the n-4 before hold n-7 complete 4h windows.
    // The default needs 72: 78 candles → 71 (unavailable), 79 → 72.
    expect(DEFAULT_VOLUME_DIVERGENCE_PARAMS.minBaselineWindows).toBe(72);
    const keep = (n: number): VenueView => venue(full.perpCandles.slice(-n), full.spotCandles.slice(-n));
    expect(volumeDivergence(keep(78), T).available).toBe(false);
    expect(volumeDivergence(keep(78), T).numbers.baselineWindows).toBe(71);
    expect(volumeDivergence(keep(79), T).available).toBe(true);
    expect(volumeDivergence(venue([], []), T).available).toBe(false);
  });

  it("reads nothing that had not closed by the decision time", () => {
    const base = market(200 * Math.exp(0.1), 101);
    const result = volumeDivergence(base, T);
    // Future candles with enormous perp volume and a crash change nothing …
    const future = [0, 1, 2].map((h) => flat(T + h * HOUR, 1e9, 101, 50));
    const withFuture = venue([...base.perpCandles, ...future], [...base.spotCandles, ...future.map((c) => ({ ...c, volume: 1 }))]);
    expect(volumeDivergence(withFuture, T)).toEqual(result);
    // … nor half an hour later, while the candle opened at T is still open.
    expect(volumeDivergence(withFuture, T + HOUR / 2)).toEqual(result);
  });
});

// Real Binance BTCUSDT spot and USDT-M perp hourly candles, read once.
describe("volumeDivergence on real BTC spot and perp candles", () => {
  const perp = loadBinanceCandles("BTC", "perp");
  const spot = loadBinanceCandles("BTC", "spot");
  const between = (candles: readonly Candle[], from: number, to: number): Candle[] => candles.filter((c) => c.ts >= from && c.ts < to);

  it("fires on a few percent of the hours of March 2023, both ways", () => {
    const start = Date.UTC(2023, 2, 1);
    const end = Date.UTC(2023, 2, 31);
    // Only what the month needs (the stream looks back 7 days + 4 h), to keep the loop fast.
    const view = venue(between(perp, start - 8 * 24 * HOUR, end), between(spot, start - 8 * 24 * HOUR, end));
    const results = [];
    for (let t = start; t < end; t += HOUR) results.push(volumeDivergence(view, t));
    const fired = results.filter((r) => r.confirms !== "neutral");
    // Measured: 48 of 720 hours (6.7%); spot outages leave 4 hours without a complete window.
    expect(results.filter((r) => r.available).length).toBeGreaterThan(700);
    expect(fired.length / results.length).toBeGreaterThan(0.01);
    expect(fired.length / results.length).toBeLessThan(0.2);
    expect(fired.some((r) => r.confirms === "long")).toBe(true);
    expect(fired.some((r) => r.confirms === "short")).toBe(true);
    for (const r of results) expect(Math.abs(r.score)).toBeLessThanOrEqual(1);
    // Every firing fades the move it saw.
    for (const r of fired) expect(Math.sign(r.numbers.recentMove ?? 0)).toBe(r.confirms === "short" ? 1 : -1);
  });

  it("computes the recent ratio from the file's own volumes", () => {
    // 2023-03-10 12:00 (the SVB sell-off): the 4 hourly candles 08:00–11:00.
    const t = Date.UTC(2023, 2, 10, 12);
    const window = (candles: readonly Candle[]): number => between(candles, t - 4 * HOUR, t).reduce((sum, c) => sum + c.volume, 0);
    const result = volumeDivergence(venue(perp, spot), t);
    expect(result.available).toBe(true);
    expect(result.numbers.recentLogRatio).toBeCloseTo(Math.log(window(perp) / window(spot)), 6);
    const first = between(perp, t - 4 * HOUR, t)[0];
    const last = between(perp, t - HOUR, t)[0];
    expect(result.numbers.recentMove).toBeCloseTo(Math.log((last?.close ?? NaN) / (first?.open ?? NaN)), 6);
  });

  it("gives identical results on the full history and on a truncated copy", () => {
    for (const iso of ["2020-03-12T14:00:00Z", "2021-05-19T13:00:00Z", "2023-03-10T12:00:00Z", "2023-03-22T15:00:00Z", "2024-08-05T06:00:00Z"]) {
      const t = Date.parse(iso);
      const full = volumeDivergence(venue(perp, spot), t);
      const truncated = volumeDivergence(venue(between(perp, t - 8 * 24 * HOUR, t), between(spot, t - 8 * 24 * HOUR, t)), t);
      expect(truncated, iso).toEqual(full);
      expect(full.available, iso).toBe(true);
    }
    // The strongest firing of March 2023, 2023-03-22 15:00 (FOMC day): perp traded 6.2x spot
    // over 4 h against a typical 1.85x (6.3σ) while price rose 1.4% → fade it: short, full score.
    const fomc = volumeDivergence(venue(perp, spot), Date.parse("2023-03-22T15:00:00Z"));
    expect(fomc.confirms).toBe("short");
    expect(fomc.score).toBe(-1);
    expect(fomc.numbers.z).toBeGreaterThan(6);
    expect(fomc.numbers.recentMove).toBeCloseTo(0.0144, 3);
  });
});
