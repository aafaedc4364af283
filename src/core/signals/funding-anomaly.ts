import { clamp, round } from "../stats";
import { firstAtOrAfter } from "../time-order";
import type { StreamResult, TimedRate, VenueFundingView } from "./types";

/**
 * Funding anomaly: the live funding rate against its 24-hour moving average, in standard
 * deviations. Extreme positive funding means a crowded long side, so the stream leans short
 * (contrarian), and the reverse for extreme negative funding.
 */
export interface FundingAnomalyParams {
  /** Look-back of the moving average. Seed: 24 h. */
  readonly windowHours: number;
  /** Trigger beyond this many standard deviations, either side. Seed: 1.5. */
  readonly zThreshold: number;
  /**
   * An 8-hourly venue publishes only 3 prints a day, too few for a spread: when the window holds
   * fewer observations than this, it widens to the latest `minSamples` observations.
   */
  readonly minSamples: number;
  /**
   * Floor on the standard deviation (decimal). Many venues pin funding at exactly 0.01% for days;
   * without a floor the first 0.0001% wobble would read as an infinite number of sigmas.
   */
  readonly minStd: number;
  /** How far back the widened window may reach, hours. Older data says little about now. */
  readonly maxLookbackHours: number;
}

export const DEFAULT_FUNDING_ANOMALY_PARAMS: FundingAnomalyParams = {
  windowHours: 24,
  zThreshold: 1.5,
  minSamples: 6,
  minStd: 0.00005,
  maxLookbackHours: 24 * 7,
};

const HOUR_MS = 3_600_000;

/**
 * Observations used as the baseline for `current`: strictly before it, inside the window. The
 * history is oldest first (VenueFundingView's contract), so the window's edges are found by
 * bisection instead of filtering ~700 readings per venue every cycle.
 */
export function fundingBaseline(history: readonly TimedRate[], currentTs: number, params: FundingAnomalyParams): TimedRate[] {
  const [start, end] = fundingBaselineRange(history, currentTs, params);
  return history.slice(start, end);
}

/** `fundingBaseline` as the index range [start, end) of `history` it takes. */
export function fundingBaselineRange(history: readonly TimedRate[], currentTs: number, params: FundingAnomalyParams): [number, number] {
  const end = firstAtOrAfter(history, currentTs);
  const lookbackStart = firstAtOrAfter(history, currentTs - params.maxLookbackHours * HOUR_MS);
  const windowStart = Math.max(lookbackStart, firstAtOrAfter(history, currentTs - params.windowHours * HOUR_MS));
  if (end - windowStart >= params.minSamples) return [windowStart, end];
  return [Math.max(lookbackStart, end - params.minSamples), Math.max(lookbackStart, end)];
}

export function fundingAnomaly(venue: string, funding: VenueFundingView, params: FundingAnomalyParams = DEFAULT_FUNDING_ANOMALY_PARAMS): StreamResult {
  const kept = funding.baseline;
  const matches = kept !== undefined && kept.windowHours === params.windowHours && kept.minSamples === params.minSamples && kept.maxLookbackHours === params.maxLookbackHours;
  if (matches) return scoreFunding(venue, funding.current, funding.intervalHours, kept, params);
  // stats.ts's mean and sampleStd over the baseline's range, the same sums in the same order,
  // without copying the readings out first (every venue of every symbol, each cycle).
  const { history } = funding;
  const [start, end] = fundingBaselineRange(history, funding.current.ts, params);
  const count = end - start;
  let sum = 0;
  for (let i = start; i < end; i++) sum += (history[i] as TimedRate).rate;
  const average = count === 0 ? Number.NaN : sum / count;
  let squares = 0;
  for (let i = start; i < end; i++) squares += ((history[i] as TimedRate).rate - average) * ((history[i] as TimedRate).rate - average);
  const std = count < 2 ? Number.NaN : Math.sqrt(squares / (count - 1));
  return scoreFunding(venue, funding.current, funding.intervalHours, { count, mean: average, std }, params);
}

/**
 * Scores a live rate against baseline statistics (however they were computed: a filter over the
 * history here, a rolling window in the replay tracker), so both paths decide and speak alike.
 */
export function scoreFunding(
  venue: string, current: TimedRate, intervalHours: number, baseline: { count: number; mean: number; std: number }, params: FundingAnomalyParams,
): StreamResult {
  if (baseline.count < params.minSamples) {
    return {
      stream: "funding-anomaly", venue, available: false, score: 0, confirms: "neutral",
      numbers: { samples: baseline.count, needed: params.minSamples },
      summary: `Funding on ${venue}: not enough history yet (${baseline.count} of ${params.minSamples} observations).`,
    };
  }
  const average = baseline.mean;
  const std = Math.max(baseline.std, params.minStd);
  const z = (current.rate - average) / std;
  // Inclusive, with a hair of tolerance: 0.0175% over a pinned 0.01% with the 0.005% floor is
  // exactly 1.5σ, but binary floating point computes it as 1.4999999999999998.
  const triggered = Math.abs(z) >= params.zThreshold - 1e-9;
  // Contrarian: crowded longs (z > 0) → short. At the trigger |score| = 0.5, at twice it 1.
  const score = clamp(-z / (2 * params.zThreshold), -1, 1);
  const confirms = !triggered ? "neutral" : z > 0 ? "short" : "long";
  const summary = triggered
    ? `Funding on ${venue} is ${percent4(current.rate)} against a ${params.windowHours}h average of ${percent4(average)} ` +
      `(${round(z, 2)}σ): ${z > 0 ? "longs are crowded, leaning short" : "shorts are crowded, leaning long"}.`
    : `Funding on ${venue} is ${percent4(current.rate)}, ${round(z, 2)}σ from its ${params.windowHours}h average: normal.`;
  return {
    stream: "funding-anomaly", venue, available: true, score, confirms,
    numbers: { rate: current.rate, average, std, z: round(z, 4), samples: baseline.count, intervalHours },
    summary,
  };
}

/** A rate as a percentage to 4 places; module level (a closure per call cost as much as the score). */
function percent4(rate: number): string {
  return `${round(rate * 100, 4)}%`;
}
