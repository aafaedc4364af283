import { hitRate, type HitRate } from "../core/calibration/hit-rate";
import { summarize, type PerformanceSummary } from "../core/metrics";
import type { Closed } from "../core/trading/types";
import { loadTrades } from "../store/trade-repo";
import type { App } from "./context";

/** What a report compares against: win rate and reward-to-risk of a backtest, and its sample. */
export interface Baseline {
  readonly source: string;
  readonly trades: number;
  readonly winRate: number;
  readonly rewardToRisk: number;
}

/** The seed's own published backtest (DESIGN.md §1). No backtest result is stored in the database yet. */
export const PUBLISHED_BASELINE: Baseline = { source: "the seed's published backtest", trades: 847, winRate: 0.58, rewardToRisk: 1.47 };

/** Below this many closed trades a month's win rate is too uncertain to hold against a baseline. */
export const MIN_TRADES_TO_COMPARE = 30;

/** Expected result per trade in units of the average loss: win rate × reward-to-risk − loss rate. */
export const expectancyInR = (winRate: number, rewardToRisk: number): number => winRate * rewardToRisk - (1 - winRate);

export interface MonthReport {
  readonly monthStart: number;
  readonly now: number;
  /** Closed trades of this month, net of fees, funding and slippage (their realized PnL). */
  readonly summary: PerformanceSummary;
  readonly winRate: HitRate;
  /** null without a loss to measure against. */
  readonly expectancyR: number | null;
  readonly baseline: Baseline;
  readonly baselineExpectancyR: number;
  readonly enoughTrades: boolean;
}

/** The first instant of `now`'s calendar month, UTC. */
export function monthStartOf(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The journal's closed trades whose exit falls in [from, until] (ms, UTC), each once, oldest proposal first. */
export async function closedTradesBetween(app: App, from: number, until: number): Promise<Closed[]> {
  return (await loadTrades(app.db, ["closed"]))
    .map((t) => t.state as Closed)
    .filter((t) => t.closedAt >= from && t.closedAt <= until);
}

/**
 * This month so far from the journal: the trades closed since the month began (UTC), each counted
 * once with its realized PnL, against the published backtest baseline.
 */
export async function monthReport(app: App, now: number): Promise<MonthReport> {
  const monthStart = monthStartOf(now);
  const closed = await closedTradesBetween(app, monthStart, now);
  const summary = summarize(closed.map((t) => ({ pnl: t.realizedPnl.toNumber() })));
  return {
    monthStart, now, summary,
    winRate: hitRate(summary.wins, summary.trades),
    expectancyR: summary.averageLoss > 0 ? expectancyInR(summary.winRate, summary.rewardToRisk) : null,
    baseline: PUBLISHED_BASELINE,
    baselineExpectancyR: expectancyInR(PUBLISHED_BASELINE.winRate, PUBLISHED_BASELINE.rewardToRisk),
    enoughTrades: summary.trades >= MIN_TRADES_TO_COMPARE,
  };
}
