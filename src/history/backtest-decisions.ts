import { DEFAULT_CALIBRATION_PARAMS, type CalibrationParams } from "../core/calibration/calibrate";
import { DEFAULT_TRADING_COSTS, walkForward, type WalkForwardResult, type WalkForwardSample } from "../core/calibration/walk-forward";
import { volatilityRegime } from "../core/risk/volatility-regime";
import { DEFAULT_ENGINE_PARAMS, streamsFor, type EngineParams } from "../core/signals/engine";
import type { RiskProfile } from "../core/signals/ensemble";
import type { StreamName, StreamResult } from "../core/signals/types";
import type { ReplayDecision } from "../core/trading/replay";
import { replay, TRADING_VENUE, type AssetHistory, type ReplayOptions, type ReplayStep } from "./replay";

/**
 * From history to the decisions a backtest trades: every decision time of the replay through the
 * engine's streams (`streamsFor`, the live engine's code), then the walk-forward — weights refitted
 * each month on the 90 days before it with the live monthly job's `calibrate`, used on that month
 * only. A decision is out of sample by construction; nothing fitted on a month is traded in it.
 */
export interface DecisionRow extends WalkForwardSample {
  readonly streams: readonly StreamResult[];
  /** The volatility regime at the decision time (high → the 5x leverage cap). */
  readonly regime: "normal" | "high" | "unknown";
}

/** One row per decision time of `replay`, in time order; `onStep` sees each replay step (progress). */
export function collectDecisionRows(
  history: AssetHistory<string>, options: ReplayOptions = {}, engine: EngineParams = DEFAULT_ENGINE_PARAMS, onStep?: (step: ReplayStep) => void,
): DecisionRow[] {
  const rows: DecisionRow[] = [];
  for (const step of replay(history, options)) {
    const trading = step.view.venues.find((v) => v.venue === TRADING_VENUE);
    const regime = trading === undefined ? null : volatilityRegime(trading.perpCandles, step.ts);
    rows.push({
      ts: step.ts, streams: streamsFor(step.view, engine), forwardReturns: step.forwardReturns, fundingOverHorizon: step.fundingOverHorizon,
      regime: regime === null || !regime.available ? "unknown" : regime.regime,
    });
    onStep?.(step);
  }
  return rows;
}

export interface WalkForwardDecisions {
  readonly walkForward: WalkForwardResult;
  /** The out-of-sample fired decisions, ready for `replayTrades`. */
  readonly decisions: readonly ReplayDecision[];
}

export interface WalkForwardDecisionOptions {
  readonly profile: RiskProfile;
  /** Only these streams vote (the funding-stream-alone baseline); default all. */
  readonly streams?: readonly StreamName[];
  readonly calibration?: CalibrationParams;
  readonly engine?: EngineParams;
}

export function walkForwardDecisions(rows: readonly DecisionRow[], options: WalkForwardDecisionOptions): WalkForwardDecisions {
  const engine = options.engine ?? DEFAULT_ENGINE_PARAMS;
  const keep = options.streams;
  const samples: WalkForwardSample[] = rows.map((r) => ({
    ts: r.ts, streams: keep === undefined ? r.streams : r.streams.filter((s) => keep.includes(s.stream)), forwardReturns: r.forwardReturns,
    ...(r.fundingOverHorizon === undefined ? {} : { fundingOverHorizon: r.fundingOverHorizon }),
  }));
  const wf = walkForward(samples, { calibration: options.calibration ?? DEFAULT_CALIBRATION_PARAMS, ensemble: { ...engine.ensemble, profile: options.profile }, costs: DEFAULT_TRADING_COSTS });
  const regimeAt = new Map(rows.map((r) => [r.ts, r.regime]));
  const decisions = wf.months.flatMap((m) => m.outOfSample.trades.map((t): ReplayDecision => ({
    ts: t.ts, side: t.direction, horizonHours: m.weightSet.horizonHours, regime: regimeAt.get(t.ts) === "high" ? "high" : "normal",
  })));
  return { walkForward: wf, decisions };
}
