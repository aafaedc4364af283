import { TimeWindowStats } from "../rolling";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, scoreFunding, type FundingAnomalyParams } from "./funding-anomaly";
import type { StreamResult, TimedRate } from "./types";

/**
 * The funding-anomaly stream for a replay: prints arrive in time order and each is scored against
 * every earlier one, as `fundingAnomaly(venue, { current, intervalHours, history: earlier })`
 * would, but the baseline is a rolling window (O(1) amortised per print) instead of a filter over
 * the whole history (O(history) per print, O(n²) for a backtest).
 * Both score through `scoreFunding`; the unit test replays the whole real Binance BTC funding
 * file through both and compares every print.
 */
export class FundingAnomalyTracker {
  private readonly baseline: TimeWindowStats;

  constructor(readonly venue: string, private readonly params: FundingAnomalyParams = DEFAULT_FUNDING_ANOMALY_PARAMS) {
    this.baseline = new TimeWindowStats(params);
  }

  /** Scores `current` against everything recorded before its timestamp, then records it. */
  next(current: TimedRate, intervalHours: number): StreamResult {
    const result = this.score(current, intervalHours);
    this.record(current);
    return result;
  }

  /** Adds an observation to the history without scoring it (settled prints, polled predictions). */
  record(observation: TimedRate): void {
    this.baseline.add(observation.ts, observation.rate);
  }

  /** Scores a live rate against the recorded history. Calls must come in time order. */
  score(current: TimedRate, intervalHours: number): StreamResult {
    return scoreFunding(this.venue, current, intervalHours, this.baseline.stats(current.ts), this.params);
  }
}
