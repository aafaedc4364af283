import { combineVenues, decide, type Decision, type EnsembleParams } from "./ensemble";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, fundingAnomaly, type FundingAnomalyParams } from "./funding-anomaly";
import type { StreamResult, SymbolMarketView } from "./types";

export interface EngineParams {
  readonly ensemble: EnsembleParams;
  readonly fundingAnomaly: FundingAnomalyParams;
}

export const DEFAULT_ENGINE_PARAMS: EngineParams = {
  ensemble: { profile: "conservative", weights: {}, scoreThreshold: 0.3, horizonHours: 8, modelVersion: "prior-v1" },
  fundingAnomaly: DEFAULT_FUNDING_ANOMALY_PARAMS,
};

/**
 * Every stream for one symbol at one moment, from the aligned cross-venue view. Live jobs and
 * backtests call this same function; only the source of the view differs. New streams are added
 * to `streamsFor` (one entry per stream, combined across venues).
 */
export function streamsFor(view: SymbolMarketView, params: EngineParams): StreamResult[] {
  // A reading stamped after the decision time would be lookahead: such a venue is left out.
  const funding = view.venues.flatMap((v) => (v.funding === null || v.funding.current.ts > view.ts ? [] : [fundingAnomaly(v.venue, v.funding, params.fundingAnomaly)]));
  return [combineVenues(funding)].filter((s): s is StreamResult => s !== null);
}

export function computeSignal(view: SymbolMarketView, params: EngineParams = DEFAULT_ENGINE_PARAMS): Decision {
  return decide(streamsFor(view, params), params.ensemble);
}
