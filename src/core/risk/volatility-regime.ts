import { round } from "../stats";
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
  // Returns keyed by the close time of the later candle; only candles closed by decisionTs. Kept in
  // a dense array indexed by hours since windowStart (not a Map keyed by timestamps): this runs for
  // every symbol in every cycle and is read 24 × 744 times, and the lookups dominated its cost.
  const closed = candles.filter((c) => c.ts >= windowStart && c.ts + HOUR_MS <= decisionTs);
  const slots = Math.floor((lastEnd - windowStart) / HOUR_MS) + 1;
  const returnAt = new Float64Array(slots);
  const hasReturn = new Uint8Array(slots);
  for (let i = 1; i < closed.length; i++) {
    const prev = closed[i - 1];
    const cur = closed[i];
    // A return across a gap would mix several hours into one: skip it.
    if (prev === undefined || cur === undefined || cur.ts - prev.ts !== HOUR_MS || !(prev.close > 0) || !(cur.close > 0)) continue;
    // Only whole-hour close times are ever read (windows end on the hour); others have no slot.
    const slot = (cur.ts + HOUR_MS - windowStart) / HOUR_MS;
    if (!Number.isInteger(slot) || slot < 0 || slot >= slots) continue;
    returnAt[slot] = Math.log(cur.close / prev.close);
    hasReturn[slot] = 1;
  }

  // A window ending at `end` holds the returns of the candles closing in (end - windowHours, end].
  // Its standard deviation is sampleStd's arithmetic (mean first, then squared deviations, oldest
  // return first) written out over the slots, so no window allocates: ~750 windows per symbol.
  const minReturns = Math.ceil(params.windowHours * 0.9);
  const volEndingAt = (end: number): number | null => {
    const last = (end - windowStart) / HOUR_MS;
    const first = Math.max(0, last - params.windowHours + 1);
    const stop = Math.min(last, slots - 1);
    let count = 0;
    let sum = 0;
    for (let slot = first; slot <= stop; slot++) {
      if (hasReturn[slot] === 1) {
        count += 1;
        sum += returnAt[slot] ?? 0;
      }
    }
    // Allow a missing hour or two (spot outages), not a hollow window.
    if (count < minReturns) return null;
    if (count < 2) return Number.NaN;
    const mean = sum / count;
    let squares = 0;
    for (let slot = first; slot <= stop; slot++) {
      if (hasReturn[slot] === 1) {
        const deviation = (returnAt[slot] ?? 0) - mean;
        squares += deviation * deviation;
      }
    }
    return Math.sqrt(squares / (count - 1));
  };

  const realizedVol = volEndingAt(lastEnd);
  const baseline = baselineReadings(returnAt, hasReturn, (lastEnd - windowStart) / HOUR_MS, params);

  if (realizedVol === null || baseline.length < params.minBaselineReadings) {
    // Unknown volatility is treated as high: leverage then stays at the 5x cap, the safe side.
    return {
      available: false, regime: "high", realizedVol: realizedVol ?? Number.NaN, baselineVol: Number.NaN, ratio: Number.NaN, percentile: Number.NaN,
      summary: `Volatility regime unknown (need ${params.windowHours}h of candles and ${params.minBaselineReadings} baseline readings, have ${baseline.length}): treated as high, leverage capped.`,
    };
  }

  // A typed array sorts numerically without a comparator call per step (the values are finite).
  const sorted = Float64Array.from(baseline).sort();
  const baselineVol = medianOfSorted(sorted);
  const ratio = baselineVol > 0 ? realizedVol / baselineVol : Number.POSITIVE_INFINITY;
  let below = 0;
  for (const v of sorted) if (v < realizedVol) below += 1;
  const percentile = below / sorted.length;
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

/**
 * The baseline's readings: the volatility of every window ending before the current window starts
 * (so the two never overlap), ~720 of them. Consecutive windows share all but one hour, so each is
 * slid from the last — a running count, sum and sum of squares of the returns' distance from a
 * fixed pivot (the first return: keeps the sums small, so the squares do not cancel) — instead of
 * re-summing 24 returns per window. Rounding then differs from the two-pass formula by a few units
 * in the 15th digit, far below anything the regime's thresholds or its summary can tell.
 */
function baselineReadings(returnAt: Float64Array, hasReturn: Uint8Array, lastSlot: number, params: VolatilityRegimeParams): number[] {
  const width = params.windowHours;
  const minReturns = Math.ceil(width * 0.9);
  const firstEnd = lastSlot - width - params.baselineDays * 24 + 1;
  const lastEnd = lastSlot - width;
  let pivot = 0;
  for (let slot = 0; slot < returnAt.length; slot++) {
    if (hasReturn[slot] === 1) {
      pivot = returnAt[slot] ?? 0;
      break;
    }
  }
  const readings: number[] = [];
  // Plain locals updated inline (no helper closure: numbers a closure updates live boxed on the heap).
  let count = 0;
  let sum = 0;
  let squares = 0;
  const slots = returnAt.length;
  for (let slot = Math.max(0, firstEnd - width + 1); slot < Math.min(firstEnd, slots); slot++) {
    if (hasReturn[slot] !== 1) continue;
    const d = (returnAt[slot] ?? 0) - pivot;
    count += 1;
    sum += d;
    squares += d * d;
  }
  for (let end = firstEnd; end <= lastEnd; end++) {
    if (end >= 0 && end < slots && hasReturn[end] === 1) {
      const d = (returnAt[end] ?? 0) - pivot;
      count += 1;
      sum += d;
      squares += d * d;
    }
    const gone = end - width;
    if (gone >= 0 && gone < slots && hasReturn[gone] === 1) {
      const d = (returnAt[gone] ?? 0) - pivot;
      count -= 1;
      sum -= d;
      squares -= d * d;
    }
    if (count >= minReturns && count >= 2) readings.push(Math.sqrt(Math.max(0, squares - (sum * sum) / count) / (count - 1)));
  }
  return readings;
}

function medianOfSorted(sorted: Float64Array): number {
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? upper) + upper) / 2;
}
