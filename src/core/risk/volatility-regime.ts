import { countBelow, medianInPlace } from "../order-statistics";
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
  return volatilityRegimeOver(candles, 0, candles.length, null, decisionTs, params);
}

/**
 * Each candle's hourly log return against the candle before it in `candles` (NaN for the first,
 * across a gap or at a non-positive close): the very numbers `volatilityRegime` computes for
 * consecutive candles, computed once for a whole history so that a backtest asking at thousands of
 * decision times does not take ~700 logarithms at each (`volatilityRegimeOver`).
 */
export function hourlyLogReturns(candles: readonly Candle[]): Float64Array {
  const out = new Float64Array(candles.length).fill(Number.NaN);
  for (let k = 1; k < candles.length; k++) {
    const before = candles[k - 1] as Candle;
    const cur = candles[k] as Candle;
    if (cur.ts - before.ts === HOUR_MS && before.close > 0 && cur.close > 0) out[k] = Math.log(cur.close / before.close);
  }
  return out;
}

/**
 * `volatilityRegime` of `candles[from, to)` — the same result, number for number. With `returns`
 * (`hourlyLogReturns(candles)`), a pair of candles adjacent in `candles` takes its return from
 * there instead of recomputing the same logarithm; any other pair is computed as always.
 */
export function volatilityRegimeOver(
  candles: readonly Candle[], from: number, to: number, returns: Float64Array | null, decisionTs: number,
  params: VolatilityRegimeParams = DEFAULT_VOLATILITY_REGIME_PARAMS,
): VolatilityRegimeResult {
  // Windows end on the hour: the last one at the latest full hour, the oldest baseline window
  // (baselineDays·24 + windowHours − 1) hours before it, reaching back windowHours more, plus one
  // candle for its first return.
  const lastEnd = Math.floor(decisionTs / HOUR_MS) * HOUR_MS;
  const windowStart = lastEnd - (params.baselineDays * 24 + 2 * params.windowHours) * HOUR_MS;
  // Returns keyed by the close time of the later candle; only candles closed by decisionTs. Kept in
  // a dense array indexed by hours since windowStart (not a Map keyed by timestamps): this runs for
  // every symbol in every cycle and at every decision time of a backtest, and the lookups
  // dominated its cost. The arrays are module scratch, reused (nothing allocated per call).
  const slots = Math.floor((lastEnd - windowStart) / HOUR_MS) + 1;
  const { returnAt, hasReturn } = scratchFor(slots);
  hasReturn.fill(0, 0, slots);
  // The closed candles in the window, in the given order, each paired with the one before it
  // among them (a filter written as a loop: no array per call).
  let prev = -1;
  for (let k = from; k < to; k++) {
    const cur = candles[k] as Candle;
    if (!(cur.ts >= windowStart && cur.ts + HOUR_MS <= decisionTs)) continue;
    const adjacent = prev === k - 1;
    if (returns !== null && adjacent) {
      // The pair is (k − 1, k): its return, or NaN where the checks below would skip it.
      prev = k;
      const r = returns[k] as number;
      const slot = (cur.ts + HOUR_MS - windowStart) / HOUR_MS;
      if (Number.isNaN(r) || !Number.isInteger(slot) || slot < 0 || slot >= slots) continue;
      returnAt[slot] = r;
      hasReturn[slot] = 1;
      continue;
    }
    const before = prev < 0 ? undefined : (candles[prev] as Candle);
    prev = k;
    // A return across a gap would mix several hours into one: skip it.
    if (before === undefined || cur.ts - before.ts !== HOUR_MS || !(before.close > 0) || !(cur.close > 0)) continue;
    // Only whole-hour close times are ever read (windows end on the hour); others have no slot.
    const slot = (cur.ts + HOUR_MS - windowStart) / HOUR_MS;
    if (!Number.isInteger(slot) || slot < 0 || slot >= slots) continue;
    returnAt[slot] = Math.log(cur.close / before.close);
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
  const readings = baselineReadings(returnAt, hasReturn, slots, (lastEnd - windowStart) / HOUR_MS, params);

  if (realizedVol === null || readings < params.minBaselineReadings) {
    // Unknown volatility is treated as high: leverage then stays at the 5x cap, the safe side.
    return {
      available: false, regime: "high", realizedVol: realizedVol ?? Number.NaN, baselineVol: Number.NaN, ratio: Number.NaN, percentile: Number.NaN,
      summary: `Volatility regime unknown (need ${params.windowHours}h of candles and ${params.minBaselineReadings} baseline readings, have ${readings}): treated as high, leverage capped.`,
    };
  }

  // The median and the rank need no sorted copy: selection finds the same element of the
  // readings (finite, never NaN) a sort would put in the middle, in linear time.
  const below = countBelow(baselineScratch.values, readings, realizedVol);
  const baselineVol = medianInPlace(baselineScratch.values, readings);
  const ratio = baselineVol > 0 ? realizedVol / baselineVol : Number.POSITIVE_INFINITY;
  const percentile = below / readings;
  const high = ratio >= params.ratioAlwaysHigh || (percentile > params.highPercentile && ratio >= params.minRatio);
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
function baselineReadings(returnAt: Float64Array, hasReturn: Uint8Array, slots: number, lastSlot: number, params: VolatilityRegimeParams): number {
  const width = params.windowHours;
  const minReturns = Math.ceil(width * 0.9);
  const firstEnd = lastSlot - width - params.baselineDays * 24 + 1;
  const lastEnd = lastSlot - width;
  let pivot = 0;
  for (let slot = 0; slot < slots; slot++) {
    if (hasReturn[slot] === 1) {
      pivot = returnAt[slot] ?? 0;
      break;
    }
  }
  // At most one reading per end: the scratch holds them all.
  const readings = readingScratch(Math.max(0, lastEnd - firstEnd + 1));
  let n = 0;
  // Plain locals updated inline (no helper closure: numbers a closure updates live boxed on the heap).
  let count = 0;
  let sum = 0;
  let squares = 0;
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
    if (count >= minReturns && count >= 2) readings[n++] = Math.sqrt(Math.max(0, squares - (sum * sum) / count) / (count - 1));
  }
  return n;
}

/**
 * Module scratch for one call at a time (the core is synchronous: no call can interleave). Grown
 * when a caller's parameters need more room, never shrunk.
 */
const windowScratch = { returnAt: new Float64Array(0), hasReturn: new Uint8Array(0) };
const baselineScratch = { values: new Float64Array(0) };

function scratchFor(slots: number): { returnAt: Float64Array; hasReturn: Uint8Array } {
  if (windowScratch.returnAt.length < slots) {
    windowScratch.returnAt = new Float64Array(slots);
    windowScratch.hasReturn = new Uint8Array(slots);
  }
  return windowScratch;
}

function readingScratch(size: number): Float64Array {
  if (baselineScratch.values.length < size) baselineScratch.values = new Float64Array(size);
  return baselineScratch.values;
}

/** An hourly volatility annualised, as a percentage to 1 place (module level: no closure per call). */
function annualPct(v: number): string {
  return `${round(v * Math.sqrt(HOURS_PER_YEAR) * 100, 1)}%`;
}
