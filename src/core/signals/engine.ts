import { DEFAULT_BOOK_IMBALANCE_PARAMS, bookImbalance, type BookImbalanceParams } from "./book-imbalance";
import { DEFAULT_CROSS_EXCHANGE_PARAMS, crossExchange, type CrossExchangeParams, type CrossExchangeResult } from "./cross-exchange";
import { combineVenues, decide, type Decision, type EnsembleParams } from "./ensemble";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, fundingAnomaly, type FundingAnomalyParams } from "./funding-anomaly";
import { DEFAULT_LIQUIDATION_WALLS_PARAMS, liquidationWalls, type LiquidationWallsParams } from "./liquidation-walls";
import type { StreamName, StreamResult, SymbolMarketView, VenueView } from "./types";
import { DEFAULT_VOLUME_DIVERGENCE_PARAMS, volumeDivergence, type VolumeDivergenceParams } from "./volume-divergence";

export interface EngineParams {
  readonly ensemble: EnsembleParams;
  readonly fundingAnomaly: FundingAnomalyParams;
  readonly liquidationWalls: LiquidationWallsParams;
  readonly volumeDivergence: VolumeDivergenceParams;
  readonly bookImbalance: BookImbalanceParams;
  readonly crossExchange: CrossExchangeParams;
}

export const DEFAULT_ENGINE_PARAMS: EngineParams = {
  // Until a calibrated weight set exists every stream weighs 1 (the prior), version "prior-v1".
  ensemble: { profile: "conservative", weights: {}, scoreThreshold: 0.3, horizonHours: 8, modelVersion: "prior-v1" },
  fundingAnomaly: DEFAULT_FUNDING_ANOMALY_PARAMS,
  liquidationWalls: DEFAULT_LIQUIDATION_WALLS_PARAMS,
  volumeDivergence: DEFAULT_VOLUME_DIVERGENCE_PARAMS,
  bookImbalance: DEFAULT_BOOK_IMBALANCE_PARAMS,
  crossExchange: DEFAULT_CROSS_EXCHANGE_PARAMS,
};

/**
 * Hours of closed candles before a decision time that the streams read at most: the volume
 * divergence's baseline and recent windows, the liquidation look-back, a day of volume; one more
 * for a decision time off the hour (the windows end at the hour before it). A view holding these
 * decides exactly as one holding more.
 */
export function candleReachHours(params: EngineParams): number {
  return Math.max(params.volumeDivergence.baselineHours + params.volumeDivergence.recentHours, params.liquidationWalls.lookbackHours, 24) + 1;
}

type VenueStream = (venue: VenueView, decisionTs: number, params: EngineParams) => StreamResult | null;

/** The four streams of the method, each run per venue and folded across venues. */
const STREAMS: readonly { readonly name: StreamName; readonly run: VenueStream }[] = [
  {
    name: "funding-anomaly",
    // A reading stamped after the decision time would be lookahead: such a venue is left out.
    run: (v, ts, p) => (v.funding === null || v.funding.current.ts > ts ? null : fundingAnomaly(v.venue, v.funding, p.fundingAnomaly)),
  },
  { name: "liquidation-walls", run: (v, ts, p) => liquidationWalls(v, ts, p.liquidationWalls) },
  { name: "volume-divergence", run: (v, ts, p) => volumeDivergence(v, ts, p.volumeDivergence) },
  { name: "book-imbalance", run: (v, ts, p) => bookImbalance(v, ts, p.bookImbalance) },
];

const unavailable = (stream: StreamName, reason: string): StreamResult => ({
  stream, venue: "none", available: false, score: 0, confirms: "neutral", numbers: {}, summary: reason,
});

/** Module scratch, one call at a time (the core is synchronous). */
const perVenueScratch: StreamResult[] = [];

/**
 * Every stream for one symbol at one moment, from the aligned cross-venue view: always one
 * result per stream (unavailable ones say why). Live jobs, the report and backtests call this.
 */
export function streamsFor(view: SymbolMarketView, params: EngineParams): StreamResult[] {
  // Plain loops (a backtest calls this at every decision time, for every venue and stream); the
  // per-venue list is module scratch, since combineVenues keeps no reference to it.
  const results: StreamResult[] = [];
  const perVenue = perVenueScratch;
  for (const { name, run } of STREAMS) {
    perVenue.length = 0;
    for (const v of view.venues) {
      const result = run(v, view.ts, params);
      if (result !== null) perVenue.push(result);
    }
    results.push(combineVenues(perVenue) ?? unavailable(name, `${name}: no venue has the data it needs.`));
  }
  perVenue.length = 0;
  return results;
}

export interface Signal extends Decision {
  /** The cross-exchange funding layer; it confirms a signal, it never fires one. */
  readonly crossExchange: CrossExchangeResult;
  /** True when the cross-exchange spread is flagged and points the same way as the signal. */
  readonly confirmedAcrossExchanges: boolean;
}

export function computeSignal(view: SymbolMarketView, params: EngineParams = DEFAULT_ENGINE_PARAMS): Signal {
  const decision = decide(streamsFor(view, params), params.ensemble);
  const cross = crossExchange(view, params.crossExchange);
  const confirmed = decision.fired && cross.flagged && cross.direction === decision.direction;
  const layer = !cross.available ? cross.summary
    : confirmed ? `Confirmed across exchanges: ${cross.summary}`
    : cross.summary;
  return { ...decision, crossExchange: cross, confirmedAcrossExchanges: confirmed, explanation: `${decision.explanation}\n${layer}` };
}
