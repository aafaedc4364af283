import { clamp } from "../stats";
import type { Direction, StreamName, StreamResult } from "../signals/types";
import { hitRate, type Interval } from "./hit-rate";

/**
 * Monthly calibration of the stream weights (DESIGN §1: measured accuracy, rolling 90-day window,
 * never judged on the data it was fitted on). Pure: samples in, weight set out.
 *
 * The model, kept deliberately simple because a month of 8-hourly decisions gives a stream a few
 * dozen fires at most, far too few for anything with more parameters to be stable:
 *
 *   p̃ = (hits + k·p₀) / (fired + k)        hit rate shrunk toward the prior's hit rate p₀
 *   w  = clamp((p̃ − 0.5) · scale, 0, max)   excess over a coin flip; a stream at or below chance gets 0
 *
 * with p₀ = 0.5 + priorWeight / scale, so a stream with no evidence sits exactly at the prior
 * weight and its measured accuracy takes over as fires accumulate (k pseudo-fires of prior).
 * A stream that fired fewer than `minFired` times in the window keeps the prior weight outright
 * and is listed in `priors`: tiny samples are noise, and the journal must say which weights were
 * measured and which were assumed.
 */
export const ALL_STREAMS: readonly StreamName[] = ["funding-anomaly", "liquidation-walls", "volume-divergence", "book-imbalance"];

export type HorizonKey = "h4" | "h8" | "h12";
export type CalibrationHorizon = 4 | 8 | 12;

export interface CalibrationSample {
  /** Decision time, epoch ms. */
  readonly ts: number;
  /** One combined result per stream, as `streamsFor` returns them at `ts`. */
  readonly streams: readonly StreamResult[];
  /** Perp return from the decision time to +h hours; null when the data ends first. */
  readonly forwardReturns: Readonly<Record<HorizonKey, number | null>>;
}

export interface CalibrationParams {
  readonly windowDays: number;
  readonly horizonHours: CalibrationHorizon;
  /** Fewer fires than this in the window: the stream keeps the prior weight. */
  readonly minFired: number;
  /** Weight of a stream without evidence; 0.5 is what a 55% hit rate earns at scale 10. */
  readonly priorWeight: number;
  /** Pseudo-fires of prior evidence (k). */
  readonly shrinkage: number;
  /** Weight per unit of hit rate above 0.5: 10 → a 60% stream weighs 1. */
  readonly weightPerEdge: number;
  readonly maxWeight: number;
}

export const DEFAULT_CALIBRATION_PARAMS: CalibrationParams = {
  windowDays: 90,
  horizonHours: 8,
  minFired: 20,
  priorWeight: 0.5,
  shrinkage: 30,
  weightPerEdge: 10,
  maxWeight: 2,
};

export interface StreamFit {
  readonly fired: number;
  readonly hits: number;
  /** NaN when the stream never fired in the window. */
  readonly hitRate: number;
  readonly ci: Interval;
}

export interface WeightSet {
  /** Deterministic from the month and horizon, e.g. "ws-2022-03-h8"; journaled with every decision. */
  readonly version: string;
  readonly monthStart: number;
  readonly windowStart: number;
  /** Exclusive; equals monthStart. Every sample used has ts + horizon ≤ windowEnd. */
  readonly windowEnd: number;
  readonly horizonHours: CalibrationHorizon;
  /** Every stream in ALL_STREAMS has an entry, so `decide` never falls back to its default of 1. */
  readonly weights: Partial<Record<StreamName, number>>;
  readonly inSample: Partial<Record<StreamName, StreamFit>>;
  readonly priors: StreamName[];
  /** Samples in the window with a label (the denominator for "how often it fires"). */
  readonly samples: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export function horizonKey(hours: CalibrationHorizon): HorizonKey {
  return `h${hours}`;
}

/** A directional call is right when the price moved its way; a flat close counts as wrong. */
export function isHit(direction: Direction, forwardReturn: number): boolean {
  return (direction === "long" && forwardReturn > 0) || (direction === "short" && forwardReturn < 0);
}

/** 00:00 UTC on the first of the month containing ts. */
export function monthStartOf(ts: number): number {
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function addMonths(monthStart: number, months: number): number {
  const d = new Date(monthStart);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1);
}

export function weightSetVersion(monthStart: number, horizonHours: number): string {
  return `ws-${new Date(monthStart).toISOString().slice(0, 7)}-h${horizonHours}`;
}

/**
 * Labelled samples of the calibration window: ts in [monthStart − window, monthStart) and the
 * whole horizon over by monthStart. Only `ts` is read before that test passes, so neither the
 * streams nor the label of a sample whose outcome lies in the month being calibrated are touched.
 */
export function windowSamples<S extends CalibrationSample>(samples: readonly S[], monthStart: number, params: CalibrationParams): S[] {
  const windowStart = monthStart - params.windowDays * DAY_MS;
  const horizon = params.horizonHours * HOUR_MS;
  const key = horizonKey(params.horizonHours);
  return samples.filter((s) => {
    const ts = s.ts;
    return ts >= windowStart && ts + horizon <= monthStart && s.forwardReturns[key] !== null;
  });
}

/** Per-stream fires and hits over labelled samples at one horizon. */
export function streamFits(samples: readonly CalibrationSample[], horizonHours: CalibrationHorizon): Partial<Record<StreamName, StreamFit>> {
  const key = horizonKey(horizonHours);
  const counts = new Map<StreamName, { fired: number; hits: number }>(ALL_STREAMS.map((s) => [s, { fired: 0, hits: 0 }]));
  for (const sample of samples) {
    const ret = sample.forwardReturns[key];
    if (ret === null || !Number.isFinite(ret)) continue;
    for (const stream of sample.streams) {
      if (!stream.available || stream.confirms === "neutral") continue;
      const c = counts.get(stream.stream) ?? { fired: 0, hits: 0 };
      c.fired++;
      if (isHit(stream.confirms, ret)) c.hits++;
      counts.set(stream.stream, c);
    }
  }
  const fits: Partial<Record<StreamName, StreamFit>> = {};
  for (const [stream, c] of counts) {
    const r = hitRate(c.hits, c.fired);
    fits[stream] = { fired: c.fired, hits: c.hits, hitRate: r.rate, ci: r.ci };
  }
  return fits;
}

export function calibrate(samples: readonly CalibrationSample[], monthStart: number, params: CalibrationParams = DEFAULT_CALIBRATION_PARAMS): WeightSet {
  const window = windowSamples(samples, monthStart, params);
  const inSample = streamFits(window, params.horizonHours);
  const weights: Partial<Record<StreamName, number>> = {};
  const priors: StreamName[] = [];
  const p0 = 0.5 + params.priorWeight / params.weightPerEdge;
  for (const stream of ALL_STREAMS) {
    const fit = inSample[stream];
    if (fit === undefined || fit.fired < params.minFired) {
      weights[stream] = params.priorWeight;
      priors.push(stream);
      continue;
    }
    const shrunk = (fit.hits + params.shrinkage * p0) / (fit.fired + params.shrinkage);
    weights[stream] = clamp((shrunk - 0.5) * params.weightPerEdge, 0, params.maxWeight);
  }
  return {
    version: weightSetVersion(monthStart, params.horizonHours),
    monthStart,
    windowStart: monthStart - params.windowDays * DAY_MS,
    windowEnd: monthStart,
    horizonHours: params.horizonHours,
    weights,
    inSample,
    priors,
    samples: window.length,
  };
}
