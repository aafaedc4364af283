import { describe, expect, it } from "vitest";
import { gaussian, seededRandom } from "../../src/core/random";
import { hourlyLogReturns, volatilityRegimeOver } from "../../src/core/risk/volatility-regime";
import type { Candle } from "../../src/core/signals/types";
import { ReplayRegime, type RegimeLabel } from "../../src/history/replay-regime";
import { SortedValues } from "../../src/history/sorted-values";
import { loadBinanceCandles } from "../support/real-data";

/**
 * The replay's regime carried forward against `volatilityRegimeOver` at every decision time, as
 * collectDecisionRows asks: the 30-day slice of closed candles before each time.
 */
const HOUR = 3_600_000;

/** Calm and wild stretches, missing hours, zero closes and a flat month (a halted market: every reading 0). */
function randomCandles(seed: number, hours: number, start: number): Candle[] {
  const random = seededRandom(seed);
  const out: Candle[] = [];
  let close = 100;
  for (let k = 0; k < hours; k++) {
    if (random() < 0.01) continue;
    const open = close;
    const flat = k > 1_500 && k < 2_300;
    const scale = Math.floor(k / 400) % 3 === 1 ? 0.03 : 0.006;
    close = flat ? open : open * Math.exp(scale * (random() < 0.03 ? 5 : 1) * gaussian(random));
    out.push({ ts: start + k * HOUR, open, high: Math.max(open, close), low: Math.min(open, close), close: random() < 0.001 ? 0 : close, volume: 1 });
  }
  return out;
}

/** Both answers at every `stepHours` from the first candle to the last, slices as the replay cuts them. */
function compare(candles: readonly Candle[], stepHours: number, firstTs: number): { regime: ReplayRegime; labels: Record<RegimeLabel, number> } {
  const returns = hourlyLogReturns(candles);
  const regime = new ReplayRegime(candles, returns);
  const labels: Record<RegimeLabel, number> = { normal: 0, high: 0, unknown: 0 };
  let from = 0;
  let to = 0;
  for (let ts = firstTs; ts <= (candles.at(-1) as Candle).ts + HOUR; ts += stepHours * HOUR) {
    while (to < candles.length && (candles[to] as Candle).ts <= ts - HOUR) to++;
    while (from < candles.length && (candles[from] as Candle).ts < ts - 720 * HOUR) from++;
    const exact = volatilityRegimeOver(candles, from, to, returns, ts);
    const expected = exact.available ? exact.regime : "unknown";
    expect(regime.at(from, to, ts), new Date(ts).toISOString()).toBe(expected);
    labels[expected] += 1;
  }
  return { regime, labels };
}

describe("ReplayRegime = volatilityRegimeOver at every decision time", () => {
  it("on seeded random walks, hourly and 8-hourly, including off-grid decision times", () => {
    for (const seed of [1, 2, 3]) {
      const start = Date.UTC(2024, 0, 1);
      const candles = randomCandles(seed, 3_000, start);
      for (const [step, offset] of [[1, 0], [8, 0], [8, 1_234_567]] as const) {
        const { regime, labels } = compare(candles, step, start + offset);
        expect(labels.high).toBeGreaterThan(0);
        expect(labels.normal).toBeGreaterThan(0);
        expect(labels.unknown).toBeGreaterThan(0);
        // The flat month's zero median leaves the ratio unsure: those times go to volatilityRegimeOver.
        expect(regime.handedOver).toBeGreaterThan(step === 1 ? 100 : 10);
        expect(regime.decided).toBeGreaterThan(regime.handedOver);
      }
    }
  });

  it("hands every time to volatilityRegimeOver when the history is not on the hour, and still agrees", () => {
    const start = Date.UTC(2024, 0, 1);
    const candles = randomCandles(4, 1_500, start);
    candles[700] = { ...(candles[700] as Candle), ts: (candles[700] as Candle).ts + 1_000 };
    const { regime } = compare(candles, 8, start);
    expect(regime.decided).toBe(0);
  });

  it("answers times out of order and slices cut short as volatilityRegimeOver does", () => {
    const candles = randomCandles(5, 1_500, Date.UTC(2024, 0, 1));
    const returns = hourlyLogReturns(candles);
    const regime = new ReplayRegime(candles, returns);
    const label = (from: number, to: number, ts: number): RegimeLabel => {
      const exact = volatilityRegimeOver(candles, from, to, returns, ts);
      return exact.available ? exact.regime : "unknown";
    };
    const closed = (ts: number): number => candles.findIndex((c) => c.ts + HOUR > ts);
    const at = (candles[1_200] as Candle).ts + HOUR;
    expect(regime.at(400, closed(at), at)).toBe(label(400, closed(at), at));
    const earlier = at - 100 * HOUR;
    expect(regime.at(300, closed(earlier), earlier)).toBe(label(300, closed(earlier), earlier));
    expect(regime.handedOver).toBe(0);
    // A slice ending before the decision time's last closed candle: volatilityRegimeOver's own answer.
    expect(regime.at(400, 1_150, at)).toBe(label(400, 1_150, at));
    expect(regime.handedOver).toBe(1);
  });

  it("on the real BTC perp at every 8-hourly time, deciding nearly all of them itself", () => {
    const perp = loadBinanceCandles("BTC", "perp");
    const { regime, labels } = compare(perp, 8, (perp[0] as Candle).ts + HOUR);
    expect(labels.high).toBeGreaterThan(500);
    expect(regime.handedOver).toBeLessThan(regime.decided / 1_000);
  });
});

describe("SortedValues", () => {
  it("keeps the same order statistics as sorting, through inserts and removals", () => {
    const random = seededRandom(9);
    const sorted = new SortedValues(4);
    const held: number[] = [];
    for (let op = 0; op < 3_000; op++) {
      if (held.length > 0 && random() < 0.45) {
        const [value] = held.splice(Math.floor(random() * held.length), 1);
        sorted.remove(value as number);
      } else {
        const value = random() < 0.2 ? Math.floor(random() * 5) : random();
        held.push(value);
        sorted.insert(value);
      }
      const reference = [...held].sort((a, b) => a - b);
      const extra = [random(), random()].sort((a, b) => a - b);
      const union = [...reference, ...extra].sort((a, b) => a - b);
      const k = Math.floor(random() * union.length);
      expect(sorted.size).toBe(held.length);
      expect(sorted.kthWith(extra, k)).toBe(union[k]);
      if (reference.length > 0) expect(sorted.kthWith([], reference.length - 1)).toBe(reference.at(-1));
      expect(sorted.countBelow(0.5)).toBe(reference.filter((v) => v < 0.5).length);
    }
    expect(() => sorted.remove(-1)).toThrow(/not held/);
  });
});
