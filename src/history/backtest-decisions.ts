import { addMonths, DEFAULT_CALIBRATION_PARAMS, type CalibrationParams } from "../core/calibration/calibrate";
import { DEFAULT_TRADING_COSTS, walkForward, type WalkForwardResult, type WalkForwardSample } from "../core/calibration/walk-forward";
import { hourlyLogReturns } from "../core/risk/volatility-regime";
import { candleReachHours, DEFAULT_ENGINE_PARAMS, streamsFor, type EngineParams } from "../core/signals/engine";
import { vote, voteConfidence, type EnsembleParams, type RiskProfile } from "../core/signals/ensemble";
import type { StreamName, StreamResult } from "../core/signals/types";
import type { ReplayDecision } from "../core/trading/replay";
import { replay, tradingVenueOf, type AssetHistory, type ReplayOptions, type ReplayStep } from "./replay";
import { ReplayRegime } from "./replay-regime";

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
  const tradingVenue = tradingVenueOf(history);
  // Every hourly return once, not ~700 logarithms per decision time; the regime carried forward
  // from one decision time to the next (replay-regime.ts): the same label as volatilityRegimeOver.
  const regime = new ReplayRegime(history.perp, hourlyLogReturns(history.perp));
  // The views hold the bars the streams read (about a week), not the month the regime's index
  // covers; funding prints as far back as the funding stream can widen its window (not two weeks);
  // and the volume baseline kept for the engine's windows.
  const viewed: ReplayOptions = {
    viewCandleHours: candleReachHours(engine), fundingLookbackHours: engine.fundingAnomaly.maxLookbackHours, volumeBaseline: engine.volumeDivergence, ...options,
  };
  for (const step of replay(history, viewed)) {
    const trading = step.view.venues.find((v) => v.venue === tradingVenue);
    // The trading venue's candles are history.perp[perpIndex.start, perpIndex.end).
    rows.push({
      ts: step.ts, streams: streamsFor(step.view, engine), forwardReturns: step.forwardReturns, fundingOverHorizon: step.fundingOverHorizon,
      regime: trading === undefined ? "unknown" : regime.at(step.perpIndex.start, step.perpIndex.end, step.ts),
    });
    onStep?.(step);
  }
  return rows;
}

export interface WalkForwardDecisions {
  readonly walkForward: WalkForwardResult;
  /** The out-of-sample fired decisions, ready for `replayTrades`. */
  readonly decisions: readonly ReplayDecision[];
  /** The same decisions as the ensemble made them: what a signal would journal. */
  readonly fired: readonly FiredDecision[];
}

export interface FiredDecision {
  readonly ts: number;
  readonly side: "long" | "short";
  readonly score: number;
  readonly confidence: number;
  /** The streams that confirmed it. */
  readonly confirming: readonly StreamName[];
  readonly modelVersion: string;
  readonly horizonHours: number;
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
  const ensemble: EnsembleParams = { ...engine.ensemble, profile: options.profile };
  const wf = walkForward(samples, { calibration: options.calibration ?? DEFAULT_CALIBRATION_PARAMS, ensemble, costs: DEFAULT_TRADING_COSTS });
  // Every decision time of each month, decided with that month's weights — as the live engine
  // decides with the active weight set. Not the walk-forward's own out-of-sample trades: those
  // skip the times whose horizon return is not known yet, so a run cut at a date would lose the
  // decisions of the last hours before it (a decision must never depend on what comes after it).
  const fired: FiredDecision[] = [];
  const decisions: ReplayDecision[] = [];
  let i = 0;
  for (const month of wf.months) {
    const { weightSet } = month;
    const params: EnsembleParams = { ...ensemble, weights: weightSet.weights, horizonHours: weightSet.horizonHours, modelVersion: weightSet.version };
    const next = addMonths(month.monthStart, 1);
    while (i < rows.length && (rows[i]?.ts ?? Infinity) < month.monthStart) i++;
    for (; i < rows.length && (rows[i]?.ts ?? Infinity) < next; i++) {
      const row = rows[i] as DecisionRow;
      const sample = samples[i] as WalkForwardSample;
      // `decide`'s vote without its explanation (not journaled here): the same score and confirmations.
      const decision = vote(sample.streams, params);
      if (!decision.fired || decision.direction === "neutral") continue;
      fired.push({
        ts: row.ts, side: decision.direction, score: decision.score, confidence: voteConfidence(decision.fired, decision.score), confirming: decision.confirming,
        modelVersion: params.modelVersion, horizonHours: weightSet.horizonHours,
      });
      decisions.push({ ts: row.ts, side: decision.direction, horizonHours: weightSet.horizonHours, regime: row.regime === "high" ? "high" : "normal" });
    }
  }
  return { walkForward: wf, decisions, fired };
}
