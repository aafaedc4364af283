import { clamp, round } from "../stats";
import { firstAtOrAfter } from "../time-order";
import type { Candle, StreamResult, VenueView } from "./types";

/**
 * Spot vs perp volume divergence: the perp/spot volume ratio of the last few hours against its
 * own distribution over the past week, as a z-score of log ratios. When perp volume runs away
 * from spot, leverage rather than spot demand is driving the move, and leveraged moves tend to
 * unwind: the stream fades the recent price move (contrarian to its sign). Spot-led volume is
 * reported but not traded: the method only claims the leveraged case.
 */
export interface VolumeDivergenceParams {
  /** The "recent" window. 4 h: the low end of the 4–12 h horizon, long enough to smooth one-hour spikes. */
  readonly recentHours: number;
  /** Baseline the recent ratio is judged against, hours. 7 days: covers weekday/weekend rhythm. */
  readonly baselineHours: number;
  /** Trigger at this many standard deviations above the baseline mean (perp-led side only). */
  readonly zThreshold: number;
  /**
   * Floor on the baseline standard deviation, in log units (0.05 ≈ 5% change in the ratio). A
   * week in which the ratio barely moved would otherwise turn a small drift into many sigmas.
   */
  readonly minStd: number;
  /**
   * Smallest recent perp move (absolute log return) worth fading. 0.3%: under that there is no
   * move to fade, only noise, and the direction would be a coin flip.
   */
  readonly minMove: number;
  /** Fewest complete baseline windows needed (spot outages leave holes): 3 days of hourly steps. */
  readonly minBaselineWindows: number;
}

export const DEFAULT_VOLUME_DIVERGENCE_PARAMS: VolumeDivergenceParams = {
  recentHours: 4,
  baselineHours: 7 * 24,
  zThreshold: 2,
  minStd: 0.05,
  minMove: 0.003,
  minBaselineWindows: 72,
};

const HOUR_MS = 3_600_000;

export function volumeDivergence(
  venue: VenueView,
  decisionTs: number,
  params: VolumeDivergenceParams = DEFAULT_VOLUME_DIVERGENCE_PARAMS,
): StreamResult {
  // Without perp or spot candles every window has a hole: unavailable, with no window counted
  // (what the loops below would find, without building two empty hour arrays per venue).
  if (venue.perpCandles.length === 0 || venue.spotCandles.length === 0) {
    return {
      stream: "volume-divergence", venue: venue.venue, available: false, score: 0, confirms: "neutral",
      numbers: { baselineWindows: 0, needed: params.minBaselineWindows },
      summary: `Spot vs perp volume on ${venue.venue}: no complete perp and spot candles for the last ${params.recentHours}h.`,
    };
  }
  // Windows end at the last full hour: a candle counts only once closed (ts + 1 h ≤ decisionTs).
  const endTs = Math.floor(decisionTs / HOUR_MS) * HOUR_MS;
  const fromTs = endTs - (params.baselineHours + params.recentHours) * HOUR_MS;
  const recentStart = endTs - params.recentHours * HOUR_MS;
  // A baseline a replay kept for these windows: only the recent hours are read here.
  const kept = venue.volumeBaseline;
  const useKept = kept !== undefined && kept.endTs === endTs && kept.recentHours === params.recentHours && kept.baselineHours === params.baselineHours;
  const windowFrom = useKept ? recentStart : fromTs;
  const slotCount = Math.max(0, Math.ceil((endTs - windowFrom) / HOUR_MS));
  const { perp, spot, perpAt } = scratchFor(slotCount);
  byHour(venue.perpCandles, windowFrom, endTs, slotCount, perp, perpAt);
  byHour(venue.spotCandles, windowFrom, endTs, slotCount, spot, null);

  const recentRatio = logRatioFrom(perp, spot, slotCount, (recentStart - windowFrom) / HOUR_MS, params.recentHours);
  const recent = Number.isNaN(recentRatio) ? null : recentRatio;
  let windows = 0;
  let average = Number.NaN;
  let squares = 0;
  if (useKept) {
    windows = kept.windows;
    average = kept.mean;
    squares = kept.squares;
  } else {
    // Baseline windows end at or before the recent window starts: no overlap with what is judged.
    // Kept in a reused scratch array (this runs at every decision time of a backtest).
    const baseline = baselineScratch(slotCount);
    for (let start = fromTs; start + params.recentHours * HOUR_MS <= recentStart; start += HOUR_MS) {
      const ratio = logRatioFrom(perp, spot, slotCount, (start - fromTs) / HOUR_MS, params.recentHours);
      if (!Number.isNaN(ratio)) baseline[windows++] = ratio;
    }
    const stats = baselineStats(baseline, windows);
    average = stats.mean;
    squares = stats.squares;
  }
  const unavailable = (reason: string): StreamResult => ({
    stream: "volume-divergence", venue: venue.venue, available: false, score: 0, confirms: "neutral",
    numbers: { baselineWindows: windows, needed: params.minBaselineWindows },
    summary: `Spot vs perp volume on ${venue.venue}: ${reason}.`,
  });
  if (recent === null) return unavailable(`no complete perp and spot candles for the last ${params.recentHours}h`);
  if (windows < params.minBaselineWindows) {
    return unavailable(`not enough history yet (${windows} of ${params.minBaselineWindows} ${params.recentHours}h windows)`);
  }

  const std = Math.max(windows < 2 ? Number.NaN : Math.sqrt(squares / (windows - 1)), params.minStd);
  const z = (recent - average) / std;
  const first = venue.perpCandles[perpAt[(recentStart - windowFrom) / HOUR_MS] ?? -1];
  const last = venue.perpCandles[perpAt[(endTs - HOUR_MS - windowFrom) / HOUR_MS] ?? -1];
  const move = first !== undefined && last !== undefined && first.open > 0 && last.close > 0 ? Math.log(last.close / first.open) : 0;
  const moveMatters = Math.abs(move) >= params.minMove;
  const triggered = z >= params.zThreshold - 1e-9 && moveMatters;
  // Fade the move: at the trigger |score| = 0.5, at twice it 1; spot-led (z ≤ 0) scores 0.
  const score = moveMatters && z > 0 ? -Math.sign(move) * clamp(z / (2 * params.zThreshold), 0, 1) : 0;
  const confirms = !triggered ? "neutral" : move > 0 ? "short" : "long";
  const ratioText = `perp/spot volume ${round(Math.exp(recent), 2)}x over ${params.recentHours}h vs ${round(Math.exp(average), 2)}x typical (${round(z, 2)}σ)`;
  const summary = triggered
    ? `On ${venue.venue} ${ratioText} while price moved ${percent2(move)}: leverage, not spot demand, is driving it, leaning ${confirms}.`
    : z >= params.zThreshold - 1e-9
      ? `On ${venue.venue} ${ratioText}, but price moved only ${percent2(move)}: nothing to fade.`
      : `On ${venue.venue} ${ratioText}: no divergence.`;
  return {
    stream: "volume-divergence", venue: venue.venue, available: true, score, confirms,
    numbers: {
      recentLogRatio: round(recent, 6), baselineMean: round(average, 6), baselineStd: round(std, 6), z: round(z, 4),
      recentMove: round(move, 6), baselineWindows: windows,
    },
    summary,
  };
}

/**
 * stats.ts's mean and the sum of squared deviations behind sampleStd, the same sums in the same
 * order, over `values[0, n)`: what the stream scores against, and what a replay keeps for it.
 */
export function baselineStats(values: ArrayLike<number>, n: number): { mean: number; squares: number } {
  let total = 0;
  for (let i = 0; i < n; i++) total += values[i] as number;
  const mean = total / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((values[i] as number) - mean) * ((values[i] as number) - mean);
  return { mean, squares };
}

/**
 * ln(Σ perp volume / Σ spot volume) over the slots [first, first + hours); NaN on any hole (a
 * number, not null: no boxing). Summed from the oldest hour, as the stream always has.
 */
function logRatioFrom(perp: Float64Array, spot: Float64Array, slots: number, first: number, hours: number): number {
  let perpVolume = 0;
  let spotVolume = 0;
  for (let h = 0; h < hours; h++) {
    const slot = first + h;
    // The scratch arrays may be longer than this call's slots: what lies past them is not this window's.
    if (slot >= slots) return Number.NaN;
    const p = perp[slot] as number;
    const s = spot[slot] as number;
    if (Number.isNaN(p) || Number.isNaN(s)) return Number.NaN;
    perpVolume += p;
    spotVolume += s;
  }
  return perpVolume > 0 && spotVolume > 0 ? Math.log(perpVolume / spotVolume) : Number.NaN;
}

/**
 * Module scratch, one call at a time (the core is synchronous); grown when a call needs more.
 * Volumes by hour in typed arrays (NaN: no bar), not the bars themselves: the windows read each
 * hour's volume four times, and a plain array of bars cost a write barrier per store.
 */
const scratch = { perp: new Float64Array(0), spot: new Float64Array(0), perpAt: new Int32Array(0), baseline: new Float64Array(0) };

function scratchFor(slots: number): { perp: Float64Array; spot: Float64Array; perpAt: Int32Array } {
  if (scratch.perp.length < slots) {
    scratch.perp = new Float64Array(slots);
    scratch.spot = new Float64Array(slots);
    scratch.perpAt = new Int32Array(slots);
  }
  return scratch;
}

function baselineScratch(size: number): Float64Array {
  if (scratch.baseline.length < size) scratch.baseline = new Float64Array(size);
  return scratch.baseline;
}

/**
 * The volume of each closed candle with open time in [fromTs, endTs), by hours since fromTs, into
 * `volumes` (NaN where there is none) and, when asked, its index into `at` (−1 where none). Later
 * duplicates win; a bar not stamped on a whole hour after fromTs is never looked up, so it gets no
 * slot. (A bar with a NaN volume reads as a hole: its window's ratio was NaN either way.)
 */
function byHour(candles: readonly Candle[], fromTs: number, endTs: number, slots: number, volumes: Float64Array, at: Int32Array | null): void {
  volumes.fill(Number.NaN, 0, slots);
  at?.fill(-1, 0, slots);
  // Bars are oldest first (VenueView's contract): start at the window, not at the month's first bar.
  for (let i = firstAtOrAfter(candles, fromTs); i < candles.length; i++) {
    const c = candles[i];
    if (c === undefined) continue;
    if (c.ts < fromTs || c.ts + HOUR_MS > endTs) continue;
    const slot = (c.ts - fromTs) / HOUR_MS;
    if (!Number.isInteger(slot)) continue;
    volumes[slot] = c.volume;
    if (at !== null) at[slot] = i;
  }
}

/** A fraction as a percentage to 2 places; module level (no closure per call). */
function percent2(x: number): string {
  return `${round(x * 100, 2)}%`;
}
