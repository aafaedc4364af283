import { vote, type EnsembleParams } from "../signals/ensemble";
import { sampleStd } from "../stats";
import { addMonths, calibrate, horizonKey, isHit, monthStartOf, windowSamples, type CalibrationParams, type CalibrationSample, type HorizonKey, type WeightSet } from "./calibrate";
import { firstAtOrAfter } from "../time-order";
import { hitRate, Z95, type HitRate, type Interval } from "./hit-rate";

/**
 * Walk-forward evaluation: for each month, fit the weights on the 90 days before it, then trade
 * that month with them. The month's results are out of sample by construction; the same weights
 * are also scored on the window they were fitted on, so a report can put in-sample beside
 * out-of-sample and show how much of the in-sample figure was fitting noise. Pure.
 */
export interface WalkForwardSample extends CalibrationSample {
  /** Funding settled over the holding period per unit notional, positive = longs pay. Absent: funding not costed. */
  readonly fundingOverHorizon?: Readonly<Record<HorizonKey, number>>;
}

/** Per side, in basis points of notional. */
export interface TradingCosts {
  readonly takerFeeBps: number;
  readonly slippageBps: number;
}

/** Taker on both legs (a signal bot crosses the spread) plus a little slippage on each. */
export const DEFAULT_TRADING_COSTS: TradingCosts = { takerFeeBps: 5.5, slippageBps: 2 };

export interface WalkForwardParams {
  readonly calibration: CalibrationParams;
  /** Profile and threshold; weights, horizon and model version come from each month's weight set. */
  readonly ensemble: EnsembleParams;
  readonly costs: TradingCosts;
}

export interface Trade {
  readonly ts: number;
  readonly direction: "long" | "short";
  readonly grossReturn: number;
  /** Funding paid (positive) or received (negative) over the hold, per unit notional. */
  readonly funding: number;
  readonly netReturn: number;
  readonly hit: boolean;
}

export interface Evaluation {
  /** Labelled decision times looked at. */
  readonly decisions: number;
  readonly trades: readonly Trade[];
  /** Direction right, before costs. */
  readonly hitRate: HitRate;
  /** Net return > 0 after fees, slippage and funding. */
  readonly netWinRate: number;
  readonly averageGross: number;
  readonly averageNet: number;
  /**
   * 95% interval of the mean net return (normal approximation, mean ± 1.96·sd/√n). Returns are
   * fat-tailed: one crash day can carry a sample, so a positive average whose interval spans 0 is no edge.
   */
  readonly averageNetCi: Interval;
  readonly totalNet: number;
}

export interface WalkForwardMonth {
  readonly monthStart: number;
  readonly weightSet: WeightSet;
  readonly inSample: Evaluation;
  readonly outOfSample: Evaluation;
}

export interface WalkForwardResult {
  readonly months: readonly WalkForwardMonth[];
  /** All out-of-sample months pooled: the honest figure. */
  readonly outOfSample: Evaluation;
  /** All in-sample windows pooled (windows overlap, so a sample counts up to three times). */
  readonly inSample: Evaluation;
}

/** What one trade earns per unit notional: the move its way, minus two legs of fee and slippage, minus funding paid. */
export function netTradeReturn(direction: "long" | "short", grossReturn: number, fundingPaidByLongs: number, costs: TradingCosts): number {
  const sign = direction === "long" ? 1 : -1;
  return sign * grossReturn - (2 * (costs.takerFeeBps + costs.slippageBps)) / 10_000 - sign * fundingPaidByLongs;
}

export function summarizeTrades(decisions: number, trades: readonly Trade[]): Evaluation {
  const n = trades.length;
  const totalNet = trades.reduce((s, t) => s + t.netReturn, 0);
  const mean = n > 0 ? totalNet / n : Number.NaN;
  const sd = sampleStd(trades.map((t) => t.netReturn));
  const half = n > 1 ? (Z95 * sd) / Math.sqrt(n) : Number.NaN;
  return {
    decisions,
    trades,
    hitRate: hitRate(trades.filter((t) => t.hit).length, n),
    netWinRate: n > 0 ? trades.filter((t) => t.netReturn > 0).length / n : Number.NaN,
    averageGross: n > 0 ? trades.reduce((s, t) => s + (t.direction === "long" ? t.grossReturn : -t.grossReturn), 0) / n : Number.NaN,
    averageNet: mean,
    averageNetCi: { low: mean - half, high: mean + half },
    totalNet,
  };
}

/** The ensemble with one weight set over labelled samples: every fired decision is one trade held for the horizon. */
export function evaluateWeights(samples: readonly WalkForwardSample[], weightSet: WeightSet, ensemble: EnsembleParams, costs: TradingCosts): Evaluation {
  const key = horizonKey(weightSet.horizonHours);
  const params: EnsembleParams = { ...ensemble, weights: weightSet.weights, horizonHours: weightSet.horizonHours, modelVersion: weightSet.version };
  const trades: Trade[] = [];
  let decisions = 0;
  for (const sample of samples) {
    const gross = sample.forwardReturns[key];
    if (gross === null || !Number.isFinite(gross)) continue;
    decisions++;
    // The vote alone: `decide` would also write an explanation nobody reads here.
    const decision = vote(sample.streams, params);
    if (!decision.fired || decision.direction === "neutral") continue;
    const funding = sample.fundingOverHorizon?.[key] ?? 0;
    const direction = decision.direction;
    trades.push({ ts: sample.ts, direction, grossReturn: gross, funding: direction === "long" ? funding : -funding, netReturn: netTradeReturn(direction, gross, funding, costs), hit: isHit(direction, gross) });
  }
  return summarizeTrades(decisions, trades);
}

function isTimeOrdered(samples: readonly { readonly ts: number }[]): boolean {
  for (let i = 1; i < samples.length; i++) if ((samples[i] as { ts: number }).ts < (samples[i - 1] as { ts: number }).ts) return false;
  return true;
}

/**
 * Months from the first whose whole 90-day window lies inside the data to the month of the last
 * sample. Samples need not be sorted.
 */
export function walkForward(samples: readonly WalkForwardSample[], params: WalkForwardParams): WalkForwardResult {
  if (samples.length === 0) return { months: [], outOfSample: summarizeTrades(0, []), inSample: summarizeTrades(0, []) };
  let first = Infinity;
  let last = -Infinity;
  for (const s of samples) {
    first = Math.min(first, s.ts);
    last = Math.max(last, s.ts);
  }
  const earliest = first + params.calibration.windowDays * 86_400_000;
  let month = monthStartOf(earliest) === earliest ? earliest : addMonths(monthStartOf(earliest), 1);
  const months: WalkForwardMonth[] = [];
  const oosDecisions: number[] = [];
  const isDecisions: number[] = [];
  // Time-ordered samples (the backtest's rows) are cut to each month's span by bisection rather
  // than filtered whole per month; the filters below then see only samples they could keep, so
  // the result is the same list. Unordered samples are filtered whole, as before.
  const ordered = isTimeOrdered(samples);
  const span = (from: number, to: number): readonly WalkForwardSample[] =>
    ordered ? samples.slice(firstAtOrAfter(samples, from), firstAtOrAfter(samples, to)) : samples;
  while (month <= last) {
    const next = addMonths(month, 1);
    const windowed = span(month - params.calibration.windowDays * 86_400_000, month);
    const weightSet = calibrate(windowed, month, params.calibration);
    const inSample = evaluateWeights(windowSamples(windowed, month, params.calibration), weightSet, params.ensemble, params.costs);
    const outOfSample = evaluateWeights(span(month, next).filter((s) => s.ts >= month && s.ts < next), weightSet, params.ensemble, params.costs);
    months.push({ monthStart: month, weightSet, inSample, outOfSample });
    oosDecisions.push(outOfSample.decisions);
    isDecisions.push(inSample.decisions);
    month = next;
  }
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  return {
    months,
    outOfSample: summarizeTrades(sum(oosDecisions), months.flatMap((m) => m.outOfSample.trades)),
    inSample: summarizeTrades(sum(isDecisions), months.flatMap((m) => m.inSample.trades)),
  };
}
