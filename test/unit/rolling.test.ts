import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RollingWindow, TimeWindowStats } from "../../src/core/rolling";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, fundingBaseline } from "../../src/core/signals/funding-anomaly";
import type { TimedRate } from "../../src/core/signals/types";
import { mean, sampleStd } from "../../src/core/stats";

const DATA = new URL("../../../shared/data/", import.meta.url);
const HOUR = 3_600_000;
const P = DEFAULT_FUNDING_ANOMALY_PARAMS;

/** Rows of a CSV from the shared data (read in place; the files may have CRLF line ends). */
function csv(path: string): string[][] {
  return readFileSync(new URL(path, DATA), "utf8").split(/\r?\n/).slice(1).filter((l) => l !== "").map((l) => l.split(","));
}

const closes = Float64Array.from(csv("binance_spot_perp_1h/binance_usdm_BTCUSDT_perp_1h_ohlcv.csv"), (r) => Number(r[5]));
const funding = (path: string, rateColumn: number): TimedRate[] => csv(path).map((r) => ({ ts: Number(r[0]), rate: Number(r[rateColumn]) }));

function relativeError(got: number, want: number): number {
  if (got === want) return 0;
  return Math.abs(got - want) / Math.abs(want);
}

/** Naive two-pass reference over the last n values of `series` ending at index i (wrapping). */
function naive(series: Float64Array, i: number, n: number): { mean: number; std: number } {
  const values: number[] = [];
  for (let j = i - n + 1; j <= i; j++) values.push(series[((j % series.length) + series.length) % series.length]!);
  return { mean: mean(values), std: sampleStd(values) };
}

describe("RollingWindow", () => {
  it("is NaN when empty, and its std is NaN below two samples", () => {
    const w = new RollingWindow(3);
    expect(w.mean()).toBeNaN();
    expect(w.std()).toBeNaN();
    w.push(5);
    expect(w.mean()).toBe(5);
    expect(w.std()).toBeNaN();
    w.push(7);
    expect(w.mean()).toBe(6);
    expect(w.std()).toBeCloseTo(Math.SQRT2, 15);
  });

  it("drops exactly the oldest value once full", () => {
    const w = new RollingWindow(3);
    for (const v of [1, 2, 3]) w.push(v);
    expect([w.count, w.full, w.mean(), w.std()]).toEqual([3, true, 2, 1]);
    w.push(4);
    expect([w.count, w.mean(), w.std()]).toEqual([3, 3, 1]);
    w.push(100);
    expect(w.mean()).toBeCloseTo(107 / 3, 12);
    const one = new RollingWindow(1);
    one.push(1);
    one.push(9);
    expect([one.count, one.mean()]).toEqual([1, 9]);
    expect(one.std()).toBeNaN();
  });

  it("rejects non-finite values and bad capacities; reset empties it", () => {
    const w = new RollingWindow(4);
    expect(() => w.push(Number.NaN)).toThrow(RangeError);
    expect(() => w.push(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => new RollingWindow(0)).toThrow(RangeError);
    expect(() => new RollingWindow(2.5)).toThrow(RangeError);
    w.push(1);
    w.push(3);
    w.reset();
    expect(w.count).toBe(0);
    expect(w.mean()).toBeNaN();
    w.push(10);
    w.push(20);
    expect([w.mean(), w.std()]).toEqual([15, Math.sqrt(50)]);
  });

  it("matches naive recomputation at every step on real BTC closes (N = 24 and 720)", () => {
    for (const n of [24, 720]) {
      const w = new RollingWindow(n);
      let worst = 0;
      for (let i = 0; i < 20_000; i++) {
        w.push(closes[i]!);
        const want = naive(closes, i, Math.min(i + 1, n));
        worst = Math.max(worst, relativeError(w.mean(), want.mean));
        if (i >= 1) worst = Math.max(worst, relativeError(w.std(), want.std));
      }
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it("does not drift over 1.2 million updates on real data (< 1e-9 relative)", () => {
    // The real series replayed 20 times (the wrap from 2026 back to 2019 is a realistic jump).
    const total = closes.length * 20;
    for (const n of [24, 720]) {
      const w = new RollingWindow(n);
      let worst = 0;
      for (let i = 0; i < total; i++) {
        w.push(closes[i % closes.length]!);
        if (i % 1009 === 0 && i >= n) {
          const want = naive(closes, i, n);
          worst = Math.max(worst, relativeError(w.mean(), want.mean), relativeError(w.std(), want.std));
        }
      }
      const last = naive(closes, total - 1, n);
      worst = Math.max(worst, relativeError(w.mean(), last.mean), relativeError(w.std(), last.std));
      expect(worst).toBeLessThan(1e-9);
    }
  });

  it("survives a huge spike leaving a nearly constant window (the cancellation worst case)", () => {
    // A level of 2^20 with a wobble of a few 2^-10 and a 2^40 outlier: after the outlier leaves,
    // the true M2 is ~1e-27 of what went through the sums, and plain running sums return garbage.
    // Dyadic values keep the naive reference itself exact enough to judge by.
    const n = 50;
    const w = new RollingWindow(n);
    const series = new Float64Array(5_000);
    for (let i = 0; i < series.length; i++) series[i] = 2 ** 20 + ((i * 7919) % 13) / 1024 + (i % 1000 === 500 ? 2 ** 40 : 0);
    let worst = 0;
    for (let i = 0; i < series.length; i++) {
      w.push(series[i]!);
      if (i >= n) {
        const want = naive(series, i, n);
        worst = Math.max(worst, relativeError(w.mean(), want.mean), relativeError(w.std(), want.std));
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it("gives exactly zero spread for a pinned series, even after an outlier passed through", () => {
    const w = new RollingWindow(6);
    for (let i = 0; i < 20; i++) w.push(i === 5 ? 0.003 : 0.0001);
    expect(w.std()).toBe(0);
    expect(w.mean()).toBe(0.0001);
  });
});

describe("TimeWindowStats", () => {
  const T = Date.UTC(2025, 0, 10, 8);

  function replayAt(observations: readonly TimedRate[], t: number): ReturnType<TimeWindowStats["stats"]> {
    const w = new TimeWindowStats(P);
    for (const o of observations) w.add(o.ts, o.rate);
    return w.stats(t);
  }

  it("uses the 24 h window on an hourly venue, T-24h included and T excluded", () => {
    const hourly = Array.from({ length: 31 }, (_, k) => ({ ts: T - (30 - k) * HOUR, rate: k * 1e-5 }));
    const s = replayAt(hourly, T);
    const want = fundingBaseline(hourly, T, P).map((p) => p.rate);
    expect(s.count).toBe(24);
    expect(s.mean).toBeCloseTo(mean(want), 18);
    expect(s.std).toBeCloseTo(sampleStd(want), 18);
  });

  it("widens to the latest minSamples on an 8-hourly venue, capped by the look-back", () => {
    const eightHourly = Array.from({ length: 10 }, (_, k) => ({ ts: T - (10 - k) * 8 * HOUR, rate: 1e-4 + k * 1e-6 }));
    expect(replayAt(eightHourly, T).count).toBe(6);
    // A gap: only 2 prints inside the 7-day look-back, so only those two count.
    const gappy = [{ ts: T - 200 * HOUR, rate: 1 }, { ts: T - 169 * HOUR, rate: 1 }, { ts: T - 168 * HOUR, rate: 2e-4 }, { ts: T - 8 * HOUR, rate: 4e-4 }];
    const s = replayAt(gappy, T);
    expect(s.count).toBe(2);
    expect(s.mean).toBeCloseTo(3e-4, 18);
    const single = replayAt([{ ts: T - HOUR, rate: 5e-4 }], T);
    expect([single.count, single.mean]).toEqual([1, 5e-4]);
    expect(single.std).toBeNaN();
    expect(replayAt([], T).count).toBe(0);
  });

  it("rejects out-of-order observations and queries going back in time", () => {
    const w = new TimeWindowStats(P);
    w.add(T, 1e-4);
    expect(() => w.add(T - 1, 1e-4)).toThrow(RangeError);
    w.stats(T + HOUR);
    expect(() => w.stats(T)).toThrow(RangeError);
  });

  // fundingBaseline never reads before t - maxLookbackHours, so handing it only the prints from
  // there on gives the same baseline and keeps these replays O(n) instead of O(n²).
  function checkReplay(prints: readonly TimedRate[]): { worstMean: number; worstStd: number } {
    const w = new TimeWindowStats(P);
    let from = 0;
    let worstMean = 0;
    let worstStd = 0;
    for (let i = 0; i < prints.length; i++) {
      const current = prints[i]!;
      while (prints[from]!.ts < current.ts - P.maxLookbackHours * HOUR) from++;
      const want = fundingBaseline(prints.slice(from, i), current.ts, P).map((p) => p.rate);
      const got = w.stats(current.ts);
      expect(got.count).toBe(want.length);
      if (want.length >= 1) worstMean = Math.max(worstMean, relativeError(got.mean, mean(want)));
      if (want.length >= 2) worstStd = Math.max(worstStd, relativeError(got.std, sampleStd(want)));
      w.add(current.ts, current.rate);
    }
    return { worstMean, worstStd };
  }

  it("equals fundingBaseline + mean/sampleStd on every real Binance BTC and ETH funding print (1e-12)", () => {
    for (const coin of ["BTC", "ETH"]) {
      const { worstMean, worstStd } = checkReplay(funding(`binance_spot_perp_1h/binance_usdm_${coin}USDT_funding.csv`, 2));
      expect(worstMean).toBeLessThan(1e-12);
      expect(worstStd).toBeLessThan(1e-12);
    }
  });

  it("equals it on the hourly dYdX history too (full 24-print windows)", () => {
    const { worstMean, worstStd } = checkReplay(funding("funding_multi_exchange/BTC-USDT_dydx_funding.csv", 4));
    expect(worstMean).toBeLessThan(1e-12);
    expect(worstStd).toBeLessThan(1e-12);
  });
});
