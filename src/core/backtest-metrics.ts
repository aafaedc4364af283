import { summarize, type PerformanceSummary } from "./metrics";
import { seededRandom } from "./random";
import { mean, sampleStd } from "./stats";

/**
 * The backtest's figures from a list of closed trades and an equity curve. Pure, plain numbers
 * (the lifecycle keeps money in decimals; a report's statistics do not need them).
 */
export interface BacktestTrade {
  /** When the entry filled and when the exit did (ms). */
  readonly entryTs: number;
  readonly exitTs: number;
  /** Realized PnL after fees, slippage and funding (quote currency). */
  readonly pnl: number;
  /** PnL in R: 1 R = the planned loss at the stop, before costs. */
  readonly r: number;
  readonly fees: number;
  /** Funding received (positive) or paid (negative) over the trade, net of its settlements. */
  readonly funding: number;
}

export interface TradeMetrics extends PerformanceSummary {
  /** Mean PnL in R. NaN without trades. */
  readonly expectancyR: number;
  /** Gross profit over gross loss; Infinity with wins and no loss, NaN with neither. */
  readonly profitFactor: number;
  readonly fees: number;
  /** Sum of the trades whose net funding was received, and of those whose net funding was paid (as a positive number). */
  readonly fundingReceived: number;
  readonly fundingPaid: number;
}

export function tradeMetrics(trades: readonly BacktestTrade[]): TradeMetrics {
  const base = summarize(trades);
  let grossWin = 0;
  let grossLoss = 0;
  let fees = 0;
  let received = 0;
  let paid = 0;
  for (const t of trades) {
    if (t.pnl > 0) grossWin += t.pnl;
    else grossLoss -= t.pnl;
    fees += t.fees;
    if (t.funding > 0) received += t.funding;
    else paid -= t.funding;
  }
  return {
    ...base,
    expectancyR: mean(trades.map((t) => t.r)),
    profitFactor: grossLoss > 0 ? grossWin / grossLoss : grossWin > 0 ? Infinity : Number.NaN,
    fees,
    fundingReceived: received,
    fundingPaid: paid,
  };
}

export const DAY_MS = 86_400_000;

/**
 * Returns per period (default one UTC day) of an equity curve: each period's last equity over the
 * previous period's (the first over `startingEquity`). A point stamped exactly on a boundary
 * closes the period that ends there (the curve is stamped at candle closes). Periods with no
 * point (a data gap) are skipped, not filled.
 */
export function periodReturns(curve: readonly { readonly ts: number; readonly equity: number }[], startingEquity: number, periodMs = DAY_MS): number[] {
  const closes: number[] = [];
  let key = Number.NaN;
  for (const p of curve) {
    const k = Math.ceil(p.ts / periodMs);
    if (k === key) closes[closes.length - 1] = p.equity;
    else closes.push(p.equity);
    key = k;
  }
  const returns: number[] = [];
  let prev = startingEquity;
  for (const c of closes) {
    returns.push(c / prev - 1);
    prev = c;
  }
  return returns;
}

export interface RiskAdjusted {
  /** mean / sample standard deviation × √periodsPerYear; risk-free rate 0. NaN with < 2 returns or no variation. */
  readonly sharpe: number;
  /** mean / downside deviation × √periodsPerYear, downside deviation = √(mean of min(r, 0)²) over all periods (target 0). */
  readonly sortino: number;
  readonly periods: number;
  readonly periodsPerYear: number;
}

/** Crypto trades every day of the year: daily figures annualise with √365. */
export function riskAdjusted(returns: readonly number[], periodsPerYear = 365): RiskAdjusted {
  const m = mean(returns);
  const sd = sampleStd(returns);
  const downside = returns.length > 0 ? Math.sqrt(returns.reduce((s, r) => s + Math.min(r, 0) ** 2, 0) / returns.length) : Number.NaN;
  const scale = Math.sqrt(periodsPerYear);
  return {
    sharpe: sd > 0 ? (m / sd) * scale : Number.NaN,
    sortino: downside > 0 ? (m / downside) * scale : Number.NaN,
    periods: returns.length,
    periodsPerYear,
  };
}

/** Share of [from, to) with a position open (trades never overlap: one at a time). */
export function exposure(trades: readonly Pick<BacktestTrade, "entryTs" | "exitTs">[], from: number, to: number): number {
  if (!(to > from)) return 0;
  let held = 0;
  for (const t of trades) held += Math.max(0, Math.min(t.exitTs, to) - Math.max(t.entryTs, from));
  return held / (to - from);
}

/** The q-quantile (0..1) of sorted values, linear between neighbours; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[Math.min(sorted.length - 1, lo + 1)] ?? a;
  return a + (b - a) * (at - lo);
}

export interface BootstrapInterval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  readonly resamples: number;
  readonly seed: number;
}

/**
 * Percentile bootstrap interval (default 95%) of `statistic` over `values`: `resamples` draws of
 * n values with replacement from a seeded generator, so the same inputs and seed give the same
 * interval. NaN bounds for an empty list.
 */
export function bootstrapInterval(
  values: readonly number[], statistic: (sample: readonly number[]) => number, options: { readonly seed: number; readonly resamples?: number; readonly level?: number },
): BootstrapInterval {
  const resamples = options.resamples ?? 2_000;
  const level = options.level ?? 0.95;
  const estimate = values.length > 0 ? statistic(values) : Number.NaN;
  if (values.length === 0) return { estimate, low: Number.NaN, high: Number.NaN, resamples, seed: options.seed };
  const random = seededRandom(options.seed);
  const stats: number[] = [];
  const sample = new Array<number>(values.length);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)] ?? Number.NaN;
    stats.push(statistic(sample));
  }
  stats.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return { estimate, low: quantile(stats, tail), high: quantile(stats, 1 - tail), resamples, seed: options.seed };
}

/**
 * A 32-bit seed from names (FNV-1a over the parts joined by "|"): a random baseline seeded by its
 * asset, stream and run number gets the same draws whichever other assets or streams ran.
 */
export function seedFrom(...parts: readonly (string | number)[]): number {
  let hash = 0x811c9dc5;
  const text = parts.join("|");
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
