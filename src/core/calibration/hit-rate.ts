/**
 * Hit rates with honest uncertainty. Signal samples are small (tens to a few hundred fires), where
 * the textbook normal interval misbehaves near 0 and 1 and can leave [0, 1]; the Wilson score
 * interval does not, so every hit rate this project reports carries one. Pure.
 */

/** Two-sided 95% normal quantile. */
export const Z95 = 1.959963984540054;

export interface Interval {
  readonly low: number;
  readonly high: number;
}

export interface HitRate {
  readonly hits: number;
  readonly total: number;
  /** hits / total; NaN when total is 0 (no evidence either way, not 0%). */
  readonly rate: number;
  readonly ci: Interval;
}

/** Wilson score interval for hits out of total. [0, 1] when there is no sample at all. */
export function wilsonInterval(hits: number, total: number, z = Z95): Interval {
  if (total <= 0) return { low: 0, high: 1 };
  const p = hits / total;
  const z2 = z * z;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export function hitRate(hits: number, total: number, z = Z95): HitRate {
  return { hits, total, rate: total > 0 ? hits / total : Number.NaN, ci: wilsonInterval(hits, total, z) };
}

/** Whether the interval excludes `chance` (0.5 for a coin flip): the only honest "it has an edge". */
export function beatsChance(rate: HitRate, chance = 0.5): "above" | "below" | "not significant" {
  if (rate.total === 0) return "not significant";
  if (rate.ci.low > chance) return "above";
  if (rate.ci.high < chance) return "below";
  return "not significant";
}

export interface RateDifference {
  /** a.rate − b.rate. */
  readonly difference: number;
  /** Newcombe's hybrid score interval (method 10) for the difference, built from the two Wilson intervals. */
  readonly ci: Interval;
  /** a.rate / b.rate − 1: "won x% more often" in the seed's sense. */
  readonly relativeLift: number;
  /** Two-sided p-value of the pooled two-proportion z-test. */
  readonly pValue: number;
}

/** a vs b; the interval's level is that of the two Wilson intervals passed in. */
export function rateDifference(a: HitRate, b: HitRate): RateDifference {
  const difference = a.rate - b.rate;
  const { low: l1, high: u1 } = a.ci;
  const { low: l2, high: u2 } = b.ci;
  const p1 = a.rate;
  const p2 = b.rate;
  const ci = {
    low: difference - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
    high: difference + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
  };
  const pooled = (a.hits + b.hits) / (a.total + b.total);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.total + 1 / b.total));
  const pValue = se > 0 ? 2 * (1 - normalCdf(Math.abs(difference) / se)) : Number.NaN;
  return { difference, ci, relativeLift: p2 > 0 ? p1 / p2 - 1 : Number.NaN, pValue };
}

/** Standard normal CDF via the Abramowitz–Stegun 7.1.26 erf approximation (error < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
