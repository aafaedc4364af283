import { TimeWindowStats } from "../src/core/rolling";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, fundingAnomaly, fundingBaseline } from "../src/core/signals/funding-anomaly";
import { FundingAnomalyTracker } from "../src/core/signals/funding-anomaly-tracker";
import type { TimedRate } from "../src/core/signals/types";
import { mean, sampleStd } from "../src/core/stats";

/**
 * A backtest's funding stream over the real Binance BTC funding history: the incremental tracker
 * against calling fundingAnomaly per print with the week of history a market view carries (which
 * is already the cheap way to call it; with the whole history it would be O(n²)). The file is
 * replayed `repeats` times end to end, shifted in time, so that the run lasts long enough to time.
 * The baseline statistics alone (TimeWindowStats against fundingBaseline + mean + sampleStd) are
 * timed too: building the result (its sentence) costs more than the statistics themselves.
 */
export interface ReplayRates {
  readonly prints: number;
  readonly trackerPerSecond: number;
  readonly perPrintPerSecond: number;
  readonly rollingStatsPerSecond: number;
  readonly naiveStatsPerSecond: number;
  /** Prints where the two disagreed on availability or direction (must be 0). */
  readonly disagreements: number;
  /** The summed means and σ of both baseline computations agree (1e-9 relative). */
  readonly sameStats: boolean;
}

const HOUR_MS = 3_600_000;

function repeated(prints: readonly TimedRate[], repeats: number): TimedRate[] {
  const first = prints[0]?.ts ?? 0;
  const span = (prints.at(-1)?.ts ?? 0) - first + 8 * HOUR_MS;
  const out: TimedRate[] = [];
  for (let r = 0; r < repeats; r++) for (const p of prints) out.push({ ts: p.ts + r * span, rate: p.rate });
  return out;
}

export function replayFunding(prints: readonly TimedRate[], repeats: number): ReplayRates {
  const series = repeated(prints, repeats);
  const params = DEFAULT_FUNDING_ANOMALY_PARAMS;
  const lookbackMs = params.maxLookbackHours * HOUR_MS;

  const runTracker = (): { seconds: number; confirms: string[] } => {
    const tracker = new FundingAnomalyTracker("binanceusdm", params);
    const confirms: string[] = [];
    const start = process.hrtime.bigint();
    for (const p of series) confirms.push(tracker.next(p, 8).confirms);
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, confirms };
  };
  const runPerPrint = (): { seconds: number; confirms: string[] } => {
    const confirms: string[] = [];
    let from = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < series.length; i++) {
      const current = series[i]!;
      while (series[from]!.ts < current.ts - lookbackMs) from++;
      confirms.push(fundingAnomaly("binanceusdm", { current, intervalHours: 8, history: series.slice(from, i) }, params).confirms);
    }
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, confirms };
  };

  // Both fold mean + σ into a checksum that is compared below, so neither can be optimised away.
  const runRollingStats = (): { seconds: number; checksum: number } => {
    const window = new TimeWindowStats(params);
    let checksum = 0;
    const start = process.hrtime.bigint();
    for (const p of series) {
      const s = window.stats(p.ts);
      if (s.count >= 2) checksum += s.mean + s.std;
      window.add(p.ts, p.rate);
    }
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, checksum };
  };
  const runNaiveStats = (): { seconds: number; checksum: number } => {
    let checksum = 0;
    let from = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < series.length; i++) {
      const current = series[i]!;
      while (series[from]!.ts < current.ts - lookbackMs) from++;
      const rates = fundingBaseline(series.slice(from, i), current.ts, params).map((p) => p.rate);
      if (rates.length >= 2) checksum += mean(rates) + sampleStd(rates);
    }
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, checksum };
  };
  const medianSeconds = (run: () => { seconds: number }): number => [run(), run(), run()].map((r) => r.seconds).sort((a, b) => a - b)[1]!;

  runTracker();
  runPerPrint();
  const sameStats = Math.abs(runRollingStats().checksum - runNaiveStats().checksum) <= 1e-9 * Math.abs(runNaiveStats().checksum);
  const rollingStats = medianSeconds(runRollingStats);
  const naiveStats = medianSeconds(runNaiveStats);
  const tracker = [runTracker(), runTracker(), runTracker()].sort((a, b) => a.seconds - b.seconds)[1]!;
  const perPrint = [runPerPrint(), runPerPrint(), runPerPrint()].sort((a, b) => a.seconds - b.seconds)[1]!;
  const disagreements = tracker.confirms.filter((c, i) => c !== perPrint.confirms[i]).length;
  return {
    prints: series.length,
    trackerPerSecond: series.length / tracker.seconds,
    perPrintPerSecond: series.length / perPrint.seconds,
    disagreements,
    sameStats,
    rollingStatsPerSecond: series.length / rollingStats,
    naiveStatsPerSecond: series.length / naiveStats,
  };
}
