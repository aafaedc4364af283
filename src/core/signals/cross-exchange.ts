import { round } from "../stats";
import type { Direction, SymbolMarketView } from "./types";

/**
 * Cross-exchange confirmation (DESIGN §1): each venue's live funding on one footing (the 8-hour
 * equivalent), their volume-weighted average, and the largest gap between any two venues. A gap
 * above 0.05% means one venue's traders are paying far more than another's for the same exposure:
 * positioning is lopsided somewhere, which the seed found made its trades win more often.
 */
export interface CrossExchangeParams {
  /** Flag when the largest pairwise 8 h-equivalent spread is above this. Seed: 0.0005 (0.05%). */
  readonly spreadThreshold: number;
  /**
   * The "resting" 8 h rate. Most venues add a 0.01% interest component per 8 h, so funding there
   * means a balanced market; the direction is judged against it, not against zero, or calm BTC
   * (pinned at 0.01% for weeks) would always read "crowded longs".
   */
  readonly neutralRate8h: number;
  /** Readings older than this (hours before the decision) are stale and left out. 8 h: one settlement period. */
  readonly maxAgeHours: number;
}

export const DEFAULT_CROSS_EXCHANGE_PARAMS: CrossExchangeParams = {
  spreadThreshold: 0.0005,
  neutralRate8h: 0.0001,
  maxAgeHours: 8,
};

export interface CrossExchangeResult {
  /** False with fewer than two venues holding a fresh funding reading. */
  readonly available: boolean;
  readonly flagged: boolean;
  /** Largest minus smallest 8 h-equivalent rate (decimal). */
  readonly spread: number;
  /** Weighted average of the 8 h-equivalent rates (decimal). */
  readonly volumeWeightedFunding: number;
  /** "volume" when every venue reported its 24 h perp volume; otherwise all venues count equally. */
  readonly weighting: "volume" | "equal";
  /**
   * Confirmation direction. Only when flagged: contrarian to the weighted funding's side of the
   * neutral rate (above it longs are paying up across venues → short; below → long). Neutral when
   * not flagged or exactly at the neutral rate.
   */
  readonly direction: Direction;
  /** Weights are normalised to sum to 1. */
  readonly perVenue: readonly { readonly venue: string; readonly rate8h: number; readonly weight: number }[];
  readonly summary: string;
}

const HOUR_MS = 3_600_000;

export function crossExchange(view: SymbolMarketView, params: CrossExchangeParams = DEFAULT_CROSS_EXCHANGE_PARAMS): CrossExchangeResult {
  const readings = view.venues.flatMap((v) => {
    const funding = v.funding;
    // Nothing stamped after the decision time, nothing stale, no interval we cannot normalise by.
    if (funding === null || funding.current.ts > view.ts || view.ts - funding.current.ts > params.maxAgeHours * HOUR_MS) return [];
    if (!(funding.intervalHours > 0) || !Number.isFinite(funding.current.rate)) return [];
    return [{ venue: v.venue, rate8h: (funding.current.rate * 8) / funding.intervalHours, volume: v.perpVolume24h }];
  });
  if (readings.length < 2) {
    return {
      available: false, flagged: false, spread: 0, volumeWeightedFunding: readings[0]?.rate8h ?? 0, weighting: "equal", direction: "neutral",
      perVenue: readings.map((r) => ({ venue: r.venue, rate8h: r.rate8h, weight: 1 })),
      summary: `Cross-exchange funding for ${view.symbol}: ${readings.length} venue${readings.length === 1 ? "" : "s"} with a fresh rate, need 2.`,
    };
  }

  // Mixing known and unknown volumes would give the unknown ones an arbitrary weight: all equal instead.
  const byVolume = readings.every((r) => r.volume !== null && Number.isFinite(r.volume) && r.volume > 0);
  const raw = readings.map((r) => (byVolume ? (r.volume ?? 0) : 1));
  const total = raw.reduce((sum, w) => sum + w, 0);
  const perVenue = readings.map((r, i) => ({ venue: r.venue, rate8h: r.rate8h, weight: (raw[i] ?? 0) / total }));
  const volumeWeightedFunding = perVenue.reduce((sum, r) => sum + r.weight * r.rate8h, 0);

  // Non-empty here (≥ 2 readings), so reduce without a seed is safe.
  const lowest = perVenue.reduce((a, b) => (b.rate8h < a.rate8h ? b : a));
  const highest = perVenue.reduce((a, b) => (b.rate8h > a.rate8h ? b : a));
  const spread = highest.rate8h - lowest.rate8h;
  // "Above 0.05%": a spread of exactly 0.05% in decimal must not flag through float noise either way.
  const flagged = spread > params.spreadThreshold + 1e-12;
  const excess = volumeWeightedFunding - params.neutralRate8h;
  const direction: Direction = !flagged || Math.abs(excess) < 1e-12 ? "neutral" : excess > 0 ? "short" : "long";

  const pct = (x: number): string => `${round(x * 100, 4)}%`;
  const weighting = byVolume ? "volume" : "equal";
  const average = `${weighting === "volume" ? "volume-weighted" : "equal-weighted (volumes unknown)"} 8h funding ${pct(volumeWeightedFunding)}`;
  const gap = `${highest.venue} ${pct(highest.rate8h)} vs ${lowest.venue} ${pct(lowest.rate8h)}`;
  const summary = flagged
    ? `Cross-exchange anomaly on ${view.symbol}: ${gap}, a ${pct(spread)} spread; ${average}` +
      (direction === "neutral" ? "." : `, ${direction === "short" ? "longs paying up, leaning short" : "shorts paying up, leaning long"}.`)
    : `Funding on ${view.symbol} agrees across ${readings.length} venues (largest spread ${pct(spread)}); ${average}.`;
  return { available: true, flagged, spread, volumeWeightedFunding, weighting, direction, perVenue, summary };
}
