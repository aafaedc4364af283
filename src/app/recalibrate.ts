import {
  addMonths, calibrate, DEFAULT_CALIBRATION_PARAMS, isHit, monthStartOf, type CalibrationHorizon, type CalibrationSample, type WeightSet,
} from "../core/calibration/calibrate";
import { hitRate } from "../core/calibration/hit-rate";
import { round } from "../core/stats";
import type { StreamResult } from "../core/signals/types";
import type { App } from "./context";

const HOUR_MS = 3_600_000;
const HORIZONS: readonly CalibrationHorizon[] = [4, 8, 12];

/** The calibration horizon closest to the configured signal horizon. */
export function calibrationHorizon(hours: number): CalibrationHorizon {
  return HORIZONS.reduce((best, h) => (Math.abs(h - hours) < Math.abs(best - hours) ? h : best), 8);
}

export interface JournalSample extends CalibrationSample {
  readonly fired: boolean;
  readonly direction: string;
}

/**
 * Builds labelled samples from the signal journal: each journaled decision with the streams it
 * saw, and the trading venue's price move after it. Prices are read only up to `until`, so a
 * calibration for a month never sees that month (and a review never sees anything at or after its
 * `now`): signals with ts < until, prices with ts < until, so a label whose exit lies at or after
 * `until` is null. One query for the signals, one for the prices.
 */
export async function journalSamples(app: App, from: number, until: number): Promise<JournalSample[]> {
  const signals = await app.db.signal.findMany({ where: { ts: { gte: new Date(from), lt: new Date(until) } }, orderBy: { ts: "asc" } });
  const rows = await app.db.marketSnapshot.findMany({
    where: { venue: app.settings.tradingVenue, ts: { gte: new Date(from), lt: new Date(until) } },
    orderBy: { ts: "asc" }, select: { symbol: true, ts: true, markPrice: true, lastPrice: true },
  });
  const prices = new Map<string, { ts: number; price: number | null }[]>();
  for (const row of rows) {
    const series = prices.get(row.symbol) ?? [];
    series.push({ ts: row.ts.getTime(), price: row.markPrice ?? row.lastPrice });
    prices.set(row.symbol, series);
  }
  const freshMs = app.settings.marketData.maxDataAgeMs;
  /**
   * The first snapshot at or after `t`, if it came within the data-age limit. Nothing at or after
   * `until` was read (the query's bound, the one guard: test/integration/recalibration checks it).
   */
  const priceAt = (symbol: string, t: number): number | null => {
    const series = prices.get(symbol) ?? [];
    let lo = 0;
    let hi = series.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((series[mid]?.ts ?? Infinity) < t) lo = mid + 1;
      else hi = mid;
    }
    const found = series[lo];
    return found !== undefined && found.ts < t + freshMs ? found.price : null;
  };
  return signals.map((signal) => {
    const ts = signal.ts.getTime();
    const entry = priceAt(signal.symbol, ts);
    const forward = (h: number): number | null => {
      const exit = priceAt(signal.symbol, ts + h * HOUR_MS);
      return entry === null || exit === null ? null : exit / entry - 1;
    };
    return {
      ts, fired: signal.fired, direction: signal.direction, streams: JSON.parse(signal.streamsJson) as StreamResult[],
      forwardReturns: { h4: forward(4), h8: forward(8), h12: forward(12) },
    };
  });
}

export interface RecalibrationOutcome {
  readonly weightSet: WeightSet;
  /** How last month's fired signals did, judged on that month only (out of sample). */
  readonly previousMonth: { readonly version: string | null; readonly fired: number; readonly hits: number; readonly hitRate: number } | null;
}

/**
 * The monthly recalibration: fits the weights for the month containing `now` on the 90 days
 * before it (from the journal), stores them with their window and in-sample figures, and writes
 * the out-of-sample record of the month that just ended onto the weight set that was used in it.
 * Idempotent: the same month gives the same version, stored once.
 */
export async function recalibrate(app: App, now: number): Promise<RecalibrationOutcome> {
  const monthStart = monthStartOf(now);
  const params = { ...DEFAULT_CALIBRATION_PARAMS, horizonHours: calibrationHorizon(app.settings.engine.ensemble.horizonHours) };
  const samples = await journalSamples(app, monthStart - params.windowDays * 24 * HOUR_MS, monthStart);
  const weightSet = calibrate(samples, monthStart, params);
  await app.db.weightSet.upsert({
    where: { version: weightSet.version },
    create: {
      version: weightSet.version, monthStart: new Date(weightSet.monthStart), windowStart: new Date(weightSet.windowStart),
      windowEnd: new Date(weightSet.windowEnd), horizonHours: weightSet.horizonHours, weightsJson: JSON.stringify(weightSet.weights),
      inSampleJson: JSON.stringify({ samples: weightSet.samples, streams: weightSet.inSample }), priorsJson: JSON.stringify(weightSet.priors),
      createdAt: new Date(now),
    },
    update: {},
  });

  // Out of sample: last month's fired decisions (inside the same journal window), labelled with prices up to this month's start.
  const previousStart = addMonths(monthStart, -1);
  const key = `h${params.horizonHours}` as const;
  let hits = 0;
  let labelled = 0;
  for (const sample of samples) {
    const ret = sample.forwardReturns[key];
    if (sample.ts < previousStart || !sample.fired || ret === null || (sample.direction !== "long" && sample.direction !== "short")) continue;
    labelled += 1;
    if (isHit(sample.direction, ret)) hits += 1;
  }
  const previous = await app.db.weightSet.findFirst({ where: { monthStart: new Date(previousStart) } });
  const oos = { fired: labelled, hits, hitRate: hitRate(hits, labelled).rate, horizonHours: params.horizonHours };
  if (previous) await app.db.weightSet.update({ where: { version: previous.version }, data: { outOfSampleJson: JSON.stringify(oos) } });
  const weights = Object.entries(weightSet.weights).map(([s, w]) => `${s} ${round(w ?? 0, 2)}`).join(", ");
  await app.notify({
    kind: "text",
    event: "system",
    text: `🔧 Model weights for ${new Date(monthStart).toISOString().slice(0, 7)} (${weightSet.version}), fitted on the 90 days before: ${weights}.` +
      (weightSet.priors.length ? ` Too little history, prior weight: ${weightSet.priors.join(", ")}.` : "") +
      (labelled > 0 ? ` Last month out of sample: ${hits}/${labelled} fired signals right (${round(oos.hitRate * 100, 1)}%).` : " Last month had no labelled fired signals."),
  });
  return { weightSet, previousMonth: labelled > 0 || previous ? { version: previous?.version ?? null, fired: labelled, hits, hitRate: oos.hitRate } : null };
}
