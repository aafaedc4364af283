import type { Candle, VolumeBaselineStats } from "../core/signals/types";
import { baselineStats, type VolumeDivergenceParams } from "../core/signals/volume-divergence";

/**
 * The volume divergence's baseline at every decision time of a replay, kept instead of recomputed:
 * each window's ln(Σ perp volume / Σ spot volume) is computed once per history (`ratioAt`), not
 * ~165 logarithms per decision time. The stream reads it from the view (`volumeBaseline`) and
 * scores exactly as if it had computed it: the same ratios — the same sums of the same bars,
 * oldest hour first — averaged and squared in the same order (`baselineStats`).
 *
 * That holds when every bar sits on its own hour (stamps on the hour, strictly increasing, so the
 * stream's by-hour table holds exactly the history's bar of each hour) and the view holds all the
 * windows' bars. Otherwise no baseline is kept and the stream computes its own.
 */
const HOUR_MS = 3_600_000;

export class ReplayVolumeBaseline {
  private readonly origin: number;
  /** Per hour since `origin`: the ratio of the window starting then, NaN where it has a hole. */
  private readonly ratioAt: Float64Array;
  private readonly scratch: Float64Array;

  constructor(perp: readonly Candle[], spot: readonly Candle[], private readonly params: VolumeDivergenceParams) {
    const usable = onTheHour(perp) && onTheHour(spot) && perp.length > 0 && spot.length > 0;
    this.origin = usable ? Math.min((perp[0] as Candle).ts, (spot[0] as Candle).ts) : 0;
    const hours = usable ? (Math.max((perp.at(-1) as Candle).ts, (spot.at(-1) as Candle).ts) - this.origin) / HOUR_MS + 1 : 0;
    const perpVolume = this.byHour(perp, hours);
    const spotVolume = this.byHour(spot, hours);
    this.ratioAt = new Float64Array(hours).fill(Number.NaN);
    const width = params.recentHours;
    for (let h = 0; h + width <= hours; h++) {
      // logRatioFrom's sums: from the oldest hour, NaN on a hole.
      let p = 0;
      let s = 0;
      let hole = false;
      for (let k = 0; k < width && !hole; k++) {
        const pv = perpVolume[h + k] as number;
        const sv = spotVolume[h + k] as number;
        hole = Number.isNaN(pv) || Number.isNaN(sv);
        p += pv;
        s += sv;
      }
      if (!hole && p > 0 && s > 0) this.ratioAt[h] = Math.log(p / s);
    }
    this.scratch = new Float64Array(params.baselineHours + 1);
    if (!usable) this.ratioAt = new Float64Array(0);
  }

  /**
   * The baseline for the windows of a decision at `decisionTs`, whose view holds the bars stamped
   * from `viewFrom` on; undefined when this history cannot keep it (the stream then computes it).
   */
  at(decisionTs: number, viewFrom: number): VolumeBaselineStats | undefined {
    const { recentHours, baselineHours } = this.params;
    const endTs = Math.floor(decisionTs / HOUR_MS) * HOUR_MS;
    const fromTs = endTs - (baselineHours + recentHours) * HOUR_MS;
    const recentStart = endTs - recentHours * HOUR_MS;
    if (this.ratioAt.length === 0 || viewFrom > fromTs) return undefined;
    // The stream's windows, oldest first: start from fromTs, each ending by the recent window's start.
    let windows = 0;
    for (let start = fromTs; start + recentHours * HOUR_MS <= recentStart; start += HOUR_MS) {
      const h = (start - this.origin) / HOUR_MS;
      const ratio = h >= 0 && h < this.ratioAt.length ? (this.ratioAt[h] as number) : Number.NaN;
      if (!Number.isNaN(ratio)) this.scratch[windows++] = ratio;
    }
    const { mean, squares } = baselineStats(this.scratch, windows);
    return { endTs, recentHours, baselineHours, windows, mean, squares };
  }

  private byHour(candles: readonly Candle[], hours: number): Float64Array {
    const volumes = new Float64Array(hours).fill(Number.NaN);
    for (const c of candles) if (hours > 0) volumes[(c.ts - this.origin) / HOUR_MS] = c.volume;
    return volumes;
  }
}

/** Every stamp a whole hour, strictly increasing: one bar per hour, each at its own slot. */
function onTheHour(candles: readonly Candle[]): boolean {
  for (let k = 0; k < candles.length; k++) {
    const ts = (candles[k] as Candle).ts;
    if (ts % HOUR_MS !== 0 || (k > 0 && ts <= (candles[k - 1] as Candle).ts)) return false;
  }
  return true;
}
