import { describe, expect, it } from "vitest";
import { addMonths, calibrate, DEFAULT_CALIBRATION_PARAMS, monthStartOf, windowSamples } from "../../src/core/calibration/calibrate";
import { DEFAULT_TRADING_COSTS, evaluateWeights, summarizeTrades, walkForward, type WalkForwardSample } from "../../src/core/calibration/walk-forward";
import { gaussian, seededRandom } from "../../src/core/random";
import { hourlyLogReturns, volatilityRegime, volatilityRegimeOver } from "../../src/core/risk/volatility-regime";
import { DEFAULT_ENGINE_PARAMS } from "../../src/core/signals/engine";
import { decide, vote, type EnsembleParams } from "../../src/core/signals/ensemble";
import type { Candle, Direction, StreamName, StreamResult, VenueView } from "../../src/core/signals/types";
import { DEFAULT_VOLUME_DIVERGENCE_PARAMS, volumeDivergence } from "../../src/core/signals/volume-divergence";
import { loadBinanceCandles } from "../support/real-data";

/**
 * The backtest's fast paths against the straightforward computation they replace, on seeded
 * random data and on the real BTC candles: the figures must be the same numbers, not close ones.
 */
const HOUR = 3_600_000;
const STREAMS: readonly StreamName[] = ["funding-anomaly", "liquidation-walls", "volume-divergence", "book-imbalance"];

/** A seeded hourly random walk with the defects real files have: gaps, a zero close, an off-hour stamp. */
function randomCandles(seed: number, hours: number, start: number): Candle[] {
  const random = seededRandom(seed);
  const out: Candle[] = [];
  let close = 100;
  for (let k = 0; k < hours; k++) {
    if (random() < 0.01) continue; // a missing hour
    const open = close;
    close = open * Math.exp(0.01 * (random() < 0.05 ? 4 : 1) * gaussian(random));
    const ts = start + k * HOUR + (random() < 0.002 ? 1_000 : 0);
    out.push({ ts, open, high: Math.max(open, close), low: Math.min(open, close), close: random() < 0.001 ? 0 : close, volume: 1 + random() * 10 });
  }
  return out;
}

describe("volatilityRegimeOver with precomputed returns = volatilityRegime on the slice", () => {
  it("agrees field for field on seeded random walks, at on- and off-grid decision times", () => {
    for (const seed of [1, 2, 3]) {
      const candles = randomCandles(seed, 2_500, Date.UTC(2024, 0, 1));
      // Out of order on purpose: a bar from the future in the middle, which the window leaves out,
      // so its neighbours are adjacent in the window but not in the array.
      candles.splice(1_500, 0, { ...(candles[2_000] as Candle) });
      const returns = hourlyLogReturns(candles);
      for (let end = 30; end <= candles.length; end += 37) {
        const from = Math.max(0, end - 720 - (end % 5) * 20);
        const ts = (candles[end - 1] as Candle).ts + HOUR + (end % 3 === 0 ? 1_234 : 0);
        expect(volatilityRegimeOver(candles, from, end, returns, ts)).toEqual(volatilityRegime(candles.slice(from, end), ts));
      }
    }
  });

  it("agrees at every 8-hourly decision time of the real BTC perp (30-day look-back, as the replay hands it)", () => {
    const perp = loadBinanceCandles("BTC", "perp");
    const returns = hourlyLogReturns(perp);
    let compared = 0;
    for (let end = 1_000; end <= perp.length; end += 8 * 7) {
      const ts = (perp[end - 1] as Candle).ts + HOUR;
      const from = end - 720;
      expect(volatilityRegimeOver(perp, from, end, returns, ts)).toEqual(volatilityRegime(perp.slice(from, end), ts));
      compared++;
    }
    expect(compared).toBeGreaterThan(900);
  });
});

function randomStreams(random: () => number): StreamResult[] {
  const sides: Direction[] = ["long", "short", "neutral"];
  return STREAMS.map((stream) => {
    const available = random() < 0.8;
    const score = available ? Math.round((random() * 2 - 1) * 100) / 100 : 0;
    return { stream, venue: "v", available, score, confirms: available ? (sides[Math.floor(random() * 3)] as Direction) : "neutral", numbers: {}, summary: "s" };
  });
}

/** The vote as `decide` computed it before `vote` existed: filters and reductions over the list. */
function referenceVote(streams: readonly StreamResult[], params: EnsembleParams) {
  const available = streams.filter((s) => s.available);
  const weightOf = (s: StreamResult): number => params.weights[s.stream] ?? 1;
  const totalWeight = available.reduce((sum, s) => sum + weightOf(s), 0);
  const score = totalWeight > 0 ? Math.min(1, Math.max(-1, available.reduce((sum, s) => sum + weightOf(s) * s.score, 0) / totalWeight)) : 0;
  const leaning: Direction = score > 0 ? "long" : score < 0 ? "short" : "neutral";
  const confirming = available.filter((s) => s.confirms === leaning && leaning !== "neutral" && weightOf(s) > 0).map((s) => s.stream);
  const required = Math.max(1, Math.min(params.profile === "aggressive" ? 2 : 3, streams.length));
  const fired = leaning !== "neutral" && confirming.length >= required && Math.abs(score) >= params.scoreThreshold;
  return { direction: fired ? leaning : "neutral", fired, score, confirming, required };
}

describe("vote, and decide built on it, = the straightforward weighted vote", () => {
  it("gives the same direction, score and confirmations on seeded random streams and weights", () => {
    const random = seededRandom(7);
    let fired = 0;
    for (let i = 0; i < 3_000; i++) {
      const weights = Object.fromEntries(STREAMS.filter(() => random() < 0.7).map((s) => [s, random() < 0.2 ? 0 : Math.round(random() * 200) / 100]));
      const params: EnsembleParams = { ...DEFAULT_ENGINE_PARAMS.ensemble, profile: random() < 0.5 ? "aggressive" : "conservative", weights };
      const streams = randomStreams(random);
      const expected = referenceVote(streams, params);
      const lean = vote(streams, params);
      expect({ ...lean, confirming: [...lean.confirming] }).toEqual(expected);
      const full = decide(streams, params);
      expect({ direction: full.direction, fired: full.fired, score: full.score, confirming: full.confirming, required: full.required }).toEqual(expected);
      if (expected.fired) fired++;
    }
    expect(fired).toBeGreaterThan(100);
  });
});

describe("walkForward cut by bisection = walkForward filtering the whole list", () => {
  it("gives the same months, weights and trades as the month-by-month filters on seeded samples", () => {
    const random = seededRandom(11);
    const start = Date.UTC(2021, 0, 1);
    const samples: WalkForwardSample[] = [];
    for (let ts = start; ts < Date.UTC(2022, 6, 1); ts += 8 * HOUR) {
      if (random() < 0.02) continue;
      const r = (): number | null => (random() < 0.03 ? null : gaussian(random) * 0.01);
      samples.push({ ts, streams: randomStreams(random), forwardReturns: { h4: r(), h8: r(), h12: r() }, fundingOverHorizon: { h4: 0.0001, h8: 0.0001, h12: 0.0002 } });
    }
    const params = { calibration: DEFAULT_CALIBRATION_PARAMS, ensemble: { ...DEFAULT_ENGINE_PARAMS.ensemble, profile: "aggressive" as const }, costs: DEFAULT_TRADING_COSTS };
    const fast = walkForward(samples, params);
    // The straightforward form: every month filters the whole list.
    const earliest = start + DEFAULT_CALIBRATION_PARAMS.windowDays * 86_400_000;
    let month = monthStartOf(earliest) === earliest ? earliest : addMonths(monthStartOf(earliest), 1);
    const months = [];
    while (month <= (samples.at(-1) as WalkForwardSample).ts) {
      const next = addMonths(month, 1);
      const weightSet = calibrate(samples, month, DEFAULT_CALIBRATION_PARAMS);
      const inSample = evaluateWeights(windowSamples(samples, month, DEFAULT_CALIBRATION_PARAMS), weightSet, params.ensemble, params.costs);
      const outOfSample = evaluateWeights(samples.filter((s) => s.ts >= month && s.ts < next), weightSet, params.ensemble, params.costs);
      months.push({ monthStart: month, weightSet, inSample, outOfSample });
      month = next;
    }
    expect(fast.months).toEqual(months);
    expect(fast.outOfSample).toEqual(summarizeTrades(months.reduce((n, m) => n + m.outOfSample.decisions, 0), months.flatMap((m) => m.outOfSample.trades)));
    expect(fast.months.some((m) => m.outOfSample.trades.length > 0)).toBe(true);
  });
});

describe("volumeDivergence's reused scratch arrays", () => {
  const view = (perpCandles: readonly Candle[], spotCandles: readonly Candle[]): VenueView =>
    ({ venue: "binance", price: 0, funding: null, book: null, previousBook: null, perpVolume24h: null, perpCandles, spotCandles });

  it("gives each call the result of a fresh call, whatever ran before it (longer windows, holes, other data)", () => {
    const start = Date.UTC(2024, 0, 1);
    const a = view(randomCandles(21, 400, start), randomCandles(22, 400, start));
    const b = view(randomCandles(23, 400, start), randomCandles(24, 400, start).filter((_, i) => i % 9 !== 0));
    const long = { ...DEFAULT_VOLUME_DIVERGENCE_PARAMS, baselineHours: 300, minBaselineWindows: 10 };
    const at = start + 390 * HOUR;
    const first = volumeDivergence(a, at);
    const firstB = volumeDivergence(b, at + 5 * HOUR);
    volumeDivergence(b, at, long); // fills the scratch further than the default window reaches
    expect(volumeDivergence(a, at)).toEqual(first);
    expect(volumeDivergence(b, at + 5 * HOUR)).toEqual(firstB);
    expect(first.available).toBe(true);
  });
});
