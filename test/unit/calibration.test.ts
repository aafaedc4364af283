import { seededRandom } from "../../src/core/random";
import { describe, expect, it } from "vitest";
import {
  ALL_STREAMS, calibrate, DEFAULT_CALIBRATION_PARAMS, monthStartOf, weightSetVersion, type CalibrationSample,
} from "../../src/core/calibration/calibrate";
import { beatsChance, hitRate, rateDifference, wilsonInterval } from "../../src/core/calibration/hit-rate";
import { DEFAULT_TRADING_COSTS, netTradeReturn, walkForward, type WalkForwardSample } from "../../src/core/calibration/walk-forward";
import { DEFAULT_ENGINE_PARAMS } from "../../src/core/signals/engine";
import type { Direction, StreamName, StreamResult } from "../../src/core/signals/types";

const HOUR_MS = 3_600_000;
const APRIL = Date.UTC(2022, 3, 1);

function stream(name: StreamName, confirms: Direction, available = true): StreamResult {
  const score = confirms === "long" ? 0.6 : confirms === "short" ? -0.6 : 0;
  return { stream: name, venue: "binanceusdm", available, score, confirms, numbers: {}, summary: "" };
}


/**
 * 8-hourly samples from `from` to `to`: funding-anomaly fires every other sample and is right
 * ~65% of the time, volume-divergence fires rarely (fewer than minFired), book-imbalance never
 * has data.
 */
function synthetic(from: number, to: number, seed = 7): CalibrationSample[] {
  const random = seededRandom(seed);
  const samples: CalibrationSample[] = [];
  for (let ts = from, i = 0; ts < to; ts += 8 * HOUR_MS, i++) {
    const up = random() < 0.5;
    const move = (up ? 1 : -1) * (0.001 + random() * 0.01);
    const right = random() < 0.65;
    const funding: Direction = i % 2 === 0 ? (right === up ? "long" : "short") : "neutral";
    const volume: Direction = i % 40 === 0 ? "short" : "neutral";
    samples.push({
      ts,
      streams: [stream("funding-anomaly", funding), stream("volume-divergence", volume), stream("book-imbalance", "neutral", false)],
      forwardReturns: { h4: move / 2, h8: move, h12: move * 1.5 },
    });
  }
  return samples;
}

describe("Wilson interval and hit rates", () => {
  it("matches known values", () => {
    const half = wilsonInterval(50, 100);
    expect(half.low).toBeCloseTo(0.4038, 4);
    expect(half.high).toBeCloseTo(0.5962, 4);
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(0, 10).high).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10).low).toBeCloseTo(0.7225, 4);
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    expect(hitRate(0, 0).rate).toBeNaN();
    expect(beatsChance(hitRate(70, 100))).toBe("above");
    expect(beatsChance(hitRate(55, 100))).toBe("not significant");
    expect(beatsChance(hitRate(30, 100))).toBe("below");
  });

  it("differences carry Newcombe's interval, the relative lift and a p-value", () => {
    // Newcombe (1998), Statistics in Medicine 17:873, table II example: 56/70 vs 48/80, method 10 → [0.0524, 0.3339].
    const d = rateDifference(hitRate(56, 70), hitRate(48, 80));
    expect(d.difference).toBeCloseTo(0.2, 12);
    expect(d.relativeLift).toBeCloseTo(1 / 3, 12);
    expect(d.ci.low).toBeCloseTo(0.0524, 4);
    expect(d.ci.high).toBeCloseTo(0.3339, 4);
    // Pooled z = 0.2 / sqrt(0.6933·0.3067·(1/70 + 1/80)) = 2.650 → two-sided p ≈ 0.0080.
    expect(d.pValue).toBeCloseTo(0.008, 3);
  });
});

describe("calibrate", () => {
  const samples = synthetic(Date.UTC(2021, 11, 1), Date.UTC(2022, 4, 1));

  it("never reads a sample whose outcome lies in the month it calibrates", () => {
    const horizon = DEFAULT_CALIBRATION_PARAMS.horizonHours * HOUR_MS;
    const clean = samples.filter((s) => s.ts + horizon <= APRIL);
    // Every later sample throws on its streams and label; only its timestamp may be looked at.
    const touched: number[] = [];
    const poisoned = samples.map((s): CalibrationSample => {
      if (s.ts + horizon <= APRIL) return s;
      return {
        ts: s.ts,
        get streams(): never {
          touched.push(s.ts);
          throw new Error(`read the streams of ${new Date(s.ts).toISOString()}`);
        },
        get forwardReturns(): never {
          touched.push(s.ts);
          throw new Error(`read the label of ${new Date(s.ts).toISOString()}`);
        },
      };
    });
    const fromClean = calibrate(clean, APRIL);
    const fromPoisoned = calibrate(poisoned, APRIL);
    expect(touched).toEqual([]);
    expect(fromPoisoned).toEqual(fromClean);
    for (const w of Object.values(fromPoisoned.weights)) expect(Number.isFinite(w)).toBe(true);
    // The sample at 16:00 on the last day of March is excluded: its 8 h label ends in April.
    expect(samples.some((s) => s.ts === APRIL - 8 * HOUR_MS)).toBe(true);
    expect(fromClean.windowEnd).toBe(APRIL);
    expect(fromClean.windowStart).toBe(APRIL - 90 * 24 * HOUR_MS);
  });

  it("NaN labels after the month start change nothing either", () => {
    const nan = samples.map((s) => (s.ts + 8 * HOUR_MS > APRIL ? { ...s, forwardReturns: { h4: Number.NaN, h8: Number.NaN, h12: Number.NaN } } : s));
    expect(calibrate(nan, APRIL)).toEqual(calibrate(samples, APRIL));
  });

  it("weighs a measured stream by its shrunk accuracy and gives the rest the listed prior", () => {
    const ws = calibrate(samples, APRIL);
    const fit = ws.inSample["funding-anomaly"];
    if (fit === undefined) throw new Error("no funding fit");
    // 90 days × 3 decisions, half of them fired, minus the one whose label ends in April.
    expect(fit.fired).toBeGreaterThan(120);
    expect(fit.hitRate).toBeGreaterThan(0.55);
    expect(fit.ci.low).toBeLessThan(fit.hitRate);
    const { shrinkage, priorWeight, weightPerEdge } = DEFAULT_CALIBRATION_PARAMS;
    const p0 = 0.5 + priorWeight / weightPerEdge;
    expect(ws.weights["funding-anomaly"]).toBeCloseTo(((fit.hits + shrinkage * p0) / (fit.fired + shrinkage) - 0.5) * weightPerEdge, 12);
    // Too few fires (every 40th sample) and no data at all: prior weight, and listed as such.
    expect(ws.inSample["volume-divergence"]?.fired).toBeLessThan(DEFAULT_CALIBRATION_PARAMS.minFired);
    expect(ws.priors.sort()).toEqual(["book-imbalance", "liquidation-walls", "volume-divergence"]);
    for (const s of ws.priors) expect(ws.weights[s]).toBe(priorWeight);
    expect(Object.keys(ws.weights).sort()).toEqual([...ALL_STREAMS].sort());
  });

  it("gives a stream at or below chance no weight", () => {
    const flipped = samples.map((s) => ({
      ...s,
      streams: s.streams.map((r) => (r.stream !== "funding-anomaly" || r.confirms === "neutral" ? r : stream("funding-anomaly", r.confirms === "long" ? "short" : "long"))),
    }));
    expect(calibrate(flipped, APRIL).weights["funding-anomaly"]).toBe(0);
  });

  it("is deterministic: same version and weights whatever the order of the samples", () => {
    const shuffled = [...samples].sort((a, b) => ((a.ts * 7919) % 1000) - ((b.ts * 7919) % 1000));
    const a = calibrate(samples, APRIL);
    expect(calibrate(shuffled, APRIL)).toEqual(a);
    expect(a.version).toBe("ws-2022-04-h8");
    expect(calibrate(samples, APRIL, { ...DEFAULT_CALIBRATION_PARAMS, horizonHours: 4 }).version).toBe("ws-2022-04-h4");
    expect(weightSetVersion(Date.UTC(2023, 11, 1), 12)).toBe("ws-2023-12-h12");
    expect(monthStartOf(Date.UTC(2022, 3, 17, 13, 5))).toBe(APRIL);
  });
});

describe("walk-forward", () => {
  // The funding stream alone, so one confirmation is enough to fire (the profile's count is capped at the streams present).
  const samples: WalkForwardSample[] = synthetic(Date.UTC(2021, 11, 1), Date.UTC(2022, 6, 1), 11).map((s) => ({
    ...s, streams: s.streams.filter((r) => r.stream === "funding-anomaly"), fundingOverHorizon: { h4: 0, h8: 0.0001, h12: 0.0001 },
  }));
  const params = { calibration: DEFAULT_CALIBRATION_PARAMS, ensemble: { ...DEFAULT_ENGINE_PARAMS.ensemble, profile: "aggressive" as const }, costs: DEFAULT_TRADING_COSTS };

  it("fits each month on the window before it and trades only that month", () => {
    const result = walkForward(samples, params);
    // First full 90-day window after 2021-12-01 ends in March; months March .. June.
    expect(result.months.map((m) => new Date(m.monthStart).toISOString().slice(0, 7))).toEqual(["2022-03", "2022-04", "2022-05", "2022-06"]);
    for (const m of result.months) {
      expect(m.weightSet).toEqual(calibrate(samples, m.monthStart, params.calibration));
      const next = Date.UTC(new Date(m.monthStart).getUTCFullYear(), new Date(m.monthStart).getUTCMonth() + 1, 1);
      for (const t of m.outOfSample.trades) expect(t.ts >= m.monthStart && t.ts < next).toBe(true);
      for (const t of m.inSample.trades) expect(t.ts + 8 * HOUR_MS).toBeLessThanOrEqual(m.monthStart);
    }
    expect(result.outOfSample.trades.length).toBe(result.months.reduce((n, m) => n + m.outOfSample.trades.length, 0));
    expect(result.outOfSample.hitRate.rate).toBeGreaterThan(0.55);
  });

  it("an earlier month's weights and trades do not change when later labels do", () => {
    const base = walkForward(samples, params);
    const june = Date.UTC(2022, 5, 1);
    const altered = samples.map((s) => (s.ts >= june ? { ...s, forwardReturns: { h4: -1, h8: -1, h12: -1 } } : s));
    const changed = walkForward(altered, params);
    // May's weights were fitted before June; its last trades' labels may end in June, so compare weights only.
    expect(changed.months[2]?.weightSet).toEqual(base.months[2]?.weightSet);
    expect(changed.months[1]).toEqual(base.months[1]);
  });

  it("charges two legs of fee and slippage and the funding the position pays", () => {
    // Long, +1%: 0.01 − 2·(5.5 + 2) bp − 1 bp of funding paid by longs.
    expect(netTradeReturn("long", 0.01, 0.0001, DEFAULT_TRADING_COSTS)).toBeCloseTo(0.0084, 12);
    // Short, price −1%: +0.01 − 15 bp + 1 bp of funding received.
    expect(netTradeReturn("short", -0.01, 0.0001, DEFAULT_TRADING_COSTS)).toBeCloseTo(0.0086, 12);
    const trade = walkForward(samples, params).outOfSample.trades[0];
    if (trade === undefined) throw new Error("no trade");
    expect(trade.netReturn).toBeCloseTo(netTradeReturn(trade.direction, trade.grossReturn, 0.0001, DEFAULT_TRADING_COSTS), 12);
    expect(trade.funding).toBe(trade.direction === "long" ? 0.0001 : -0.0001);
  });
});
