import { DEFAULT_VOLATILITY_REGIME_PARAMS, volatilityRegimeOver, type VolatilityRegimeParams } from "../core/risk/volatility-regime";
import type { Candle } from "../core/signals/types";
import { SortedValues } from "./sorted-values";

/**
 * The volatility regime label at every decision time of a replay — exactly the label
 * `volatilityRegimeOver(candles, from, to, returns, ts)` gives, without its ~3,000 operations
 * per decision time.
 *
 * The regime compares the last 24 h's volatility with ~720 baseline readings: the volatility of
 * every 24-hour window of the month before. Successive decision times share all but a few of
 * those windows, so each window's volatility is computed once (`windowStd`, per hour of the whole
 * history) and kept in a sorted multiset that slides forward with the decision time. The label
 * depends only on comparisons: the readings below the current volatility, and their median
 * against 2× and 1.25× of it. But `volatilityRegimeOver` computes its readings with sliding sums,
 * which round differently from the once-per-window figures here. So every comparison is made with
 * a proven bound on that difference (`rounding`): when a reading or the ratio lies within it of a
 * threshold, the decision time is handed to `volatilityRegimeOver` itself. On real data that is
 * almost never; the label is the same either way.
 *
 * Histories it cannot index by the hour (stamps off the hour, out of order or doubled) are always
 * handed over, as is a slice that stops before the decision time. Times out of order are allowed:
 * the multiset is then rebuilt.
 */
export type RegimeLabel = "normal" | "high" | "unknown";

const HOUR_MS = 3_600_000;
/** Unit roundoff of binary64. */
const U = 2 ** -53;
/** Block size of the |return| maxima (a bound on the returns of any index range). */
const BLOCK = 32;

export class ReplayRegime {
  /** Decision times answered here, and handed to `volatilityRegimeOver` (tests look at both). */
  decided = 0;
  handedOver = 0;
  private readonly indexable: boolean;
  private readonly hour0: number;
  /** The return of the candle at each hour since hour0 (NaN for a gap or no return). */
  private readonly returnAtHour: Float64Array;
  /** Index of the first candle at or after each hour since hour0 (hours + 1 entries). */
  private readonly firstAtHour: Int32Array;
  /** Per hour-end index: returns in the 24-hour window ending there (−1: not computed yet), and their standard deviation. */
  private readonly windowCount: Int32Array;
  private readonly windowStd: Float64Array;
  private readonly blockMax: Float64Array;
  private readonly sorted: SortedValues;
  /** Hour-end indexes whose full-window readings are in `sorted`: [lo, hi]. */
  private lo = 0;
  private hi = -1;
  private readonly partial: number[] = [];

  constructor(
    private readonly candles: readonly Candle[],
    private readonly returns: Float64Array,
    private readonly params: VolatilityRegimeParams = DEFAULT_VOLATILITY_REGIME_PARAMS,
  ) {
    const first = candles[0]?.ts ?? 0;
    let indexable = returns.length === candles.length && candles.length > 0 && params.windowHours >= 2;
    for (let k = 0; indexable && k < candles.length; k++) {
      const ts = (candles[k] as Candle).ts;
      if (ts % HOUR_MS !== 0 || (k > 0 && ts <= (candles[k - 1] as Candle).ts)) indexable = false;
    }
    this.indexable = indexable;
    this.hour0 = first;
    const hours = indexable ? ((candles.at(-1) as Candle).ts - first) / HOUR_MS + 2 : 0;
    this.returnAtHour = new Float64Array(hours).fill(Number.NaN);
    for (let k = 0; indexable && k < candles.length; k++) this.returnAtHour[((candles[k] as Candle).ts - first) / HOUR_MS] = returns[k] as number;
    this.firstAtHour = new Int32Array(indexable ? hours + 1 : 0);
    for (let h = this.firstAtHour.length - 1, k = candles.length; h >= 0; h--) {
      while (k > 0 && (candles[k - 1] as Candle).ts >= first + h * HOUR_MS) k--;
      this.firstAtHour[h] = k;
    }
    // Windows ending up to `width` hours after the last candle still hold some of its returns.
    this.windowCount = new Int32Array(hours + params.windowHours + 1).fill(-1);
    this.windowStd = new Float64Array(hours + params.windowHours + 1);
    this.blockMax = new Float64Array(Math.ceil(candles.length / BLOCK));
    for (let k = 0; k < returns.length; k++) {
      const r = Math.abs(returns[k] as number);
      const b = Math.floor(k / BLOCK);
      if (r > (this.blockMax[b] as number)) this.blockMax[b] = r;
    }
    this.sorted = new SortedValues(params.baselineDays * 24 + 1);
  }

  /** The label of `volatilityRegimeOver(candles, from, to, returns, decisionTs)`: "unknown" where it is not available. */
  at(from: number, to: number, decisionTs: number): RegimeLabel {
    const label = this.indexable ? this.decide(from, to, decisionTs) : null;
    if (label !== null) {
      this.decided += 1;
      return label;
    }
    this.handedOver += 1;
    const exact = volatilityRegimeOver(this.candles, from, to, this.returns, decisionTs, this.params);
    return exact.available ? exact.regime : "unknown";
  }

  /** The label, or null when only `volatilityRegimeOver` can tell. Follows its code step by step (see there). */
  private decide(from: number, to: number, decisionTs: number): RegimeLabel | null {
    const { windowHours: width, baselineDays } = this.params;
    const minReturns = Math.ceil(width * 0.9);
    const lastEnd = Math.floor(decisionTs / HOUR_MS) * HOUR_MS;
    const windowStart = lastEnd - (baselineDays * 24 + 2 * width) * HOUR_MS;
    // Its candidates are [a, b): in the slice, not before windowStart, closed by decisionTs.
    const a = Math.max(from, this.firstAtOrAfter(windowStart));
    const closedEnd = this.firstAfter(decisionTs - HOUR_MS);
    if (to < closedEnd || a >= closedEnd) return null;
    const b = closedEnd;
    // The current volatility: the same sums in the same order, so the same number.
    const recentFrom = Math.max(a + 1, this.firstAtOrAfter(lastEnd - width * HOUR_MS));
    let count = 0;
    let sum = 0;
    for (let k = recentFrom; k < b; k++) {
      const r = this.returns[k] as number;
      if (Number.isNaN(r)) continue;
      count += 1;
      sum += r;
    }
    if (count < minReturns) return "unknown";
    if (count < 2) return null;
    const mean = sum / count;
    let squares = 0;
    for (let k = recentFrom; k < b; k++) {
      const r = this.returns[k] as number;
      if (Number.isNaN(r)) continue;
      squares += (r - mean) * (r - mean);
    }
    const realizedVol = Math.sqrt(squares / (count - 1));

    // Baseline windows end (hour-end timestamps) in [firstEnd, lastBaselineEnd]. A window ending at
    // E holds the returns of candles (a, b) stamped in [E − width h, E − 1 h]: the whole-history
    // window when it starts after candle a, else a partial one, computed here.
    const firstEnd = windowStart + (width + 1) * HOUR_MS;
    const lastBaselineEnd = lastEnd - width * HOUR_MS;
    const firstFull = Math.max(firstEnd, (this.candles[a] as Candle).ts + (width + 1) * HOUR_MS);
    this.slideTo(this.hourIndex(firstFull), this.hourIndex(lastBaselineEnd), minReturns);
    const partial = this.partial;
    partial.length = 0;
    for (let end = firstEnd; end < firstFull && end <= lastBaselineEnd; end += HOUR_MS) {
      const std = this.partialStd((this.candles[a] as Candle).ts, end, minReturns);
      if (!Number.isNaN(std)) partial.push(std);
    }
    // A handful at most: insertion sort, no comparator closure.
    for (let i = 1; i < partial.length; i++) {
      const v = partial[i] as number;
      let j = i - 1;
      for (; j >= 0 && (partial[j] as number) > v; j--) partial[j + 1] = partial[j] as number;
      partial[j + 1] = v;
    }
    const readings = this.sorted.size + partial.length;
    if (readings < this.params.minBaselineReadings) return "unknown";

    const eta = this.rounding(a, b, minReturns);
    // Readings surely below the current volatility; none may be unsure.
    let below = countBounds(this.sorted, eta, realizedVol, high);
    if (countBounds(this.sorted, eta, realizedVol, low) !== below) return null;
    for (const v of partial) {
      if (high(v, eta) < realizedVol) below += 1;
      else if (low(v, eta) < realizedVol) return null;
    }
    // The median lies between the bounds of the middle reading(s): order statistics move no more than the values.
    const mid = readings >> 1;
    const upper = this.sorted.kthWith(partial, mid);
    const lower = readings % 2 === 1 ? upper : this.sorted.kthWith(partial, mid - 1);
    const medianLow = readings % 2 === 1 ? low(upper, eta) : (low(lower, eta) + low(upper, eta)) / 2;
    const medianHigh = readings % 2 === 1 ? high(upper, eta) : (high(lower, eta) + high(upper, eta)) / 2;
    if (!(medianLow > 0)) return null;
    const ratioLow = realizedVol / medianHigh;
    const ratioHigh = realizedVol / medianLow;
    const atLeast = (threshold: number): boolean | null => (ratioLow >= threshold ? true : ratioHigh < threshold ? false : null);
    const alwaysHigh = atLeast(this.params.ratioAlwaysHigh);
    if (alwaysHigh !== false) return alwaysHigh === null ? null : "high";
    if (!(below / readings > this.params.highPercentile)) return "normal";
    const ratioHighEnough = atLeast(this.params.minRatio);
    return ratioHighEnough === null ? null : ratioHighEnough ? "high" : "normal";
  }

  /**
   * A bound η on |reading² − exact variance| for `volatilityRegimeOver`'s sliding sums and for the
   * two-pass figures here alike. Its sums run over at most m = 2 × slots additions and removals
   * of d = r − pivot, |d| ≤ D = 2 max|r|: Higham's bound for recursive summation gives errors of
   * m²·u·D² in Σd² and (through Σd) in (Σd)²/n, a few u·D² more for the last operations, all
   * divided by n − 1 ≥ minReturns − 1. Taken twice over, generously.
   */
  private rounding(a: number, b: number, minReturns: number): number {
    let max = 0;
    for (let block = Math.floor((a + 1) / BLOCK); block * BLOCK < b; block++) max = Math.max(max, this.blockMax[block] as number);
    const d = 2 * max * (1 + 8 * U);
    const m = 2 * (this.params.baselineDays * 24 + 2 * this.params.windowHours + 1);
    const w = this.params.windowHours;
    return (U * d * d * (8 * m * m + 16 * w * w + 64)) / Math.max(1, minReturns - 1) + 16 * U * d * d;
  }

  /** Moves the multiset to the full-window readings of hour-end indexes [lo, hi]. */
  private slideTo(lo: number, hi: number, minReturns: number): void {
    if (lo < this.lo || hi < this.hi || lo > this.hi + 1) {
      this.sorted.clear();
      this.lo = lo;
      this.hi = lo - 1;
    }
    for (; this.lo < lo; this.lo++) if (this.fullWindow(this.lo) >= minReturns) this.sorted.remove(this.windowStd[this.lo] as number);
    for (; this.hi < hi; ) {
      this.hi += 1;
      if (this.hi >= this.lo && this.fullWindow(this.hi) >= minReturns) this.sorted.insert(this.windowStd[this.hi] as number);
    }
  }

  /** Returns in the whole history's window ending at hour-end index e (its std kept beside), computed once. */
  private fullWindow(e: number): number {
    if (e < 0 || e >= this.windowCount.length) return 0;
    const known = this.windowCount[e] as number;
    if (known >= 0) return known;
    const width = this.params.windowHours;
    let count = 0;
    let sum = 0;
    const hours = this.returnAtHour;
    const from = Math.max(0, e - width);
    const until = Math.min(e, hours.length);
    for (let h = from; h < until; h++) {
      const r = hours[h] as number;
      if (Number.isNaN(r)) continue;
      count += 1;
      sum += r;
    }
    let std = Number.NaN;
    if (count >= 2) {
      const mean = sum / count;
      let squares = 0;
      for (let h = from; h < until; h++) {
        const r = hours[h] as number;
        if (!Number.isNaN(r)) squares += (r - mean) * (r - mean);
      }
      std = Math.sqrt(squares / (count - 1));
    }
    this.windowCount[e] = count;
    this.windowStd[e] = std;
    return count;
  }

  /**
   * The std of a window ending at `end` that reaches back to candle a or before it: only the
   * returns of candles after a (stamped after `aTs`) count. NaN when it makes no reading.
   */
  private partialStd(aTs: number, end: number, minReturns: number): number {
    const hours = this.returnAtHour;
    const from = Math.max(0, this.hourIndex(Math.max(aTs + HOUR_MS, end - this.params.windowHours * HOUR_MS)));
    const until = Math.min(this.hourIndex(end), hours.length);
    // Fewer hours than returns needed: no reading, whatever they hold.
    if (until - from < minReturns) return Number.NaN;
    let count = 0;
    let sum = 0;
    for (let h = from; h < until; h++) {
      const r = hours[h] as number;
      if (Number.isNaN(r)) continue;
      count += 1;
      sum += r;
    }
    if (count < minReturns || count < 2) return Number.NaN;
    const mean = sum / count;
    let squares = 0;
    for (let h = from; h < until; h++) {
      const r = hours[h] as number;
      if (!Number.isNaN(r)) squares += (r - mean) * (r - mean);
    }
    return Math.sqrt(squares / (count - 1));
  }

  /** Hour-end index of a whole-hour timestamp: the window ending there holds the returns of candles at hours [e − width, e − 1]. */
  private hourIndex(ts: number): number {
    return (ts - this.hour0) / HOUR_MS;
  }

  /** Index of the first candle stamped at or after `ts`, read off the hour table. */
  private firstAtOrAfter(ts: number): number {
    return this.firstFromHour(Math.ceil((ts - this.hour0) / HOUR_MS));
  }

  /** Index of the first candle stamped after `ts`. */
  private firstAfter(ts: number): number {
    return this.firstFromHour(Math.floor((ts - this.hour0) / HOUR_MS) + 1);
  }

  private firstFromHour(h: number): number {
    if (h <= 0) return 0;
    return h >= this.firstAtHour.length ? this.candles.length : (this.firstAtHour[h] as number);
  }
}

/**
 * Bounds on the reading `volatilityRegimeOver` computes where the figure here is v: its square is
 * within η of v², widened by a few units of rounding. Both rise with v, so order statistics and
 * counts of the bounds are those of the figures (module level: no closure per decision time).
 */
function low(v: number, eta: number): number {
  return Math.sqrt(Math.max(0, v * v * (1 - 1e-15) - eta)) * (1 - 1e-15);
}

function high(v: number, eta: number): number {
  return Math.sqrt(v * v * (1 + 1e-15) + eta) * (1 + 1e-15);
}

/**
 * How many of the sorted figures have `bound(v, eta)` below `limit`: a prefix, since the bounds
 * rise with v. Written out, not a container's predicate search: the bound is one of two small
 * functions, inlined, so no number is boxed per step.
 */
function countBounds(sorted: SortedValues, eta: number, limit: number, bound: (v: number, eta: number) => number): number {
  let lowIndex = 0;
  let highIndex = sorted.size;
  while (lowIndex < highIndex) {
    const mid = (lowIndex + highIndex) >>> 1;
    if (bound(sorted.at(mid), eta) < limit) lowIndex = mid + 1;
    else highIndex = mid;
  }
  return lowIndex;
}
