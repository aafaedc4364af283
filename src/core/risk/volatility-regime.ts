import { round, sampleStd } from "../stats";
import type { Candle } from "../signals/types";
import type { VolatilityRegime } from "./sizing";

/**
 * Volatility regime for the leverage cap (DESIGN §1: 10x normally, 5x in a high-volatility
 * regime). The measure is realised volatility: the sample standard deviation of hourly
 * close-to-close log returns over the last `windowHours`, in hourly units (NOT annualised; the
 * summary shows the annualised figure for readability). It is judged against its own history:
 * the same measure computed at every hour of the previous `baselineDays`.
 */
export interface VolatilityRegimeParams {
  /** Realised-volatility window. 24 h: long enough for a stable stdev, short enough to react within a day. */
  readonly windowHours: number;
  /** History the current reading is ranked against. 30 days: a month covers calm and busy weeks. */
  readonly baselineDays: number;
  /**
   * High when the reading is above this percentile of the baseline readings AND at least
   * `minRatio` times their median. A percentile alone calls a fixed share of every month "high"
   * even in a uniformly calm market; the ratio keeps small wobbles above a flat baseline out.
   * On Binance BTC perp 2020–2026 (one reading a day) these defaults read "high" on ~12% of days;
   * the 80th percentile with a 1.5 ratio would cap leverage on ~22% of days.
   */
  readonly highPercentile: number;
  /** See `highPercentile`. 1.25: at least a quarter above the month's typical volatility. */
  readonly minRatio: number;
  /**
   * Or high regardless of rank when this many times the median: after a month of turmoil the
   * baseline is itself inflated, but a reading twice the month's median is still not "normal".
   */
  readonly ratioAlwaysHigh: number;
  /** Fewest baseline readings (hourly steps) to judge against: 7 days. */
  readonly minBaselineReadings: number;
}

export const DEFAULT_VOLATILITY_REGIME_PARAMS: VolatilityRegimeParams = {
  windowHours: 24,
  baselineDays: 30,
  highPercentile: 0.9,
  minRatio: 1.25,
  ratioAlwaysHigh: 2,
  minBaselineReadings: 7 * 24,
};

export interface VolatilityRegimeResult {
  /** False when there were too few candles; the regime then reads "high" (see below). */
  readonly available: boolean;
  readonly regime: VolatilityRegime;
  /** Stdev of hourly log returns over the window, hourly units. */
  readonly realizedVol: number;
  /** Median of the same measure over the baseline. */
  readonly baselineVol: number;
  /** realizedVol / baselineVol. */
  readonly ratio: number;
  /** Share of baseline readings below the current one, in [0, 1]. */
  readonly percentile: number;
  readonly summary: string;
}

const HOUR_MS = 3_600_000;
const HOURS_PER_YEAR = 24 * 365;

export function volatilityRegime(
  candles: readonly Candle[],
  decisionTs: number,
  params: VolatilityRegimeParams = DEFAULT_VOLATILITY_REGIME_PARAMS,
): VolatilityRegimeResult {
  // Windows end on the hour: the last one at the latest full hour, the oldest baseline window
  // (baselineDays·24 + windowHours − 1) hours before it, reaching back windowHours more, plus one
  // candle for its first return.
  const lastEnd = Math.floor(decisionTs / HOUR_MS) * HOUR_MS;
  const windowStart = lastEnd - (params.baselineDays * 24 + 2 * params.windowHours) * HOUR_MS;
  // Returns keyed by the close time of the later candle; only candles closed by decisionTs.
  const closed = candles.filter((c) => c.ts >= windowStart && c.ts + HOUR_MS <= decisionTs);
  const returnsByHour = new Map<number, number>();
  for (let i = 1; i < closed.length; i++) {
    const prev = closed[i - 1];
    const cur = closed[i];
    // A return across a gap would mix several hours into one: skip it.
    if (prev === undefined || cur === undefined || cur.ts - prev.ts !== HOUR_MS || !(prev.close > 0) || !(cur.close > 0)) continue;
    returnsByHour.set(cur.ts + HOUR_MS, Math.log(cur.close / prev.close));
  }

  // A window ending at `end` holds the returns of the candles closing in (end - windowHours, end].
  const volEndingAt = (end: number): number | null => {
    const returns: number[] = [];
    for (let h = params.windowHours - 1; h >= 0; h--) {
      const r = returnsByHour.get(end - h * HOUR_MS);
      if (r !== undefined) returns.push(r);
    }
    // Allow a missing hour or two (spot outages), not a hollow window.
    return returns.length >= Math.ceil(params.windowHours * 0.9) ? sampleStd(returns) : null;
  };

  const realizedVol = volEndingAt(lastEnd);
  const baseline: number[] = [];
  // Readings ending before the current window starts, so the baseline never overlaps it.
  for (let h = params.windowHours; h < params.windowHours + params.baselineDays * 24; h++) {
    const vol = volEndingAt(lastEnd - h * HOUR_MS);
    if (vol !== null) baseline.push(vol);
  }

  if (realizedVol === null || baseline.length < params.minBaselineReadings) {
    // Unknown volatility is treated as high: leverage then stays at the 5x cap, the safe side.
    return {
      available: false, regime: "high", realizedVol: realizedVol ?? Number.NaN, baselineVol: Number.NaN, ratio: Number.NaN, percentile: Number.NaN,
      summary: `Volatility regime unknown (need ${params.windowHours}h of candles and ${params.minBaselineReadings} baseline readings, have ${baseline.length}): treated as high, leverage capped.`,
    };
  }

  baseline.sort((a, b) => a - b);
  const baselineVol = medianOfSorted(baseline);
  const ratio = baselineVol > 0 ? realizedVol / baselineVol : Number.POSITIVE_INFINITY;
  const percentile = baseline.filter((v) => v < realizedVol).length / baseline.length;
  const high = ratio >= params.ratioAlwaysHigh || (percentile > params.highPercentile && ratio >= params.minRatio);
  const annualPct = (v: number): string => `${round(v * Math.sqrt(HOURS_PER_YEAR) * 100, 1)}%`;
  return {
    available: true,
    regime: high ? "high" : "normal",
    realizedVol,
    baselineVol,
    ratio,
    percentile,
    summary:
      `${params.windowHours}h realised volatility ${annualPct(realizedVol)} annualised, ${round(ratio, 2)}x the ` +
      `${params.baselineDays}-day median (${annualPct(baselineVol)}), above ${round(percentile * 100, 0)}% of the month: ` +
      (high ? "high-volatility regime, leverage capped." : "normal regime."),
  };
}

function medianOfSorted(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? upper) + upper) / 2;
}
