/** Trading performance figures from closed trades. Pure. */
export interface TradeOutcome {
  readonly pnl: number;
}

export interface PerformanceSummary {
  readonly trades: number;
  readonly wins: number;
  readonly losses: number;
  readonly winRate: number;
  readonly averageWin: number;
  readonly averageLoss: number;
  /** Average win over average loss (reward-to-risk actually achieved). */
  readonly rewardToRisk: number;
  /** Expected PnL per trade. */
  readonly expectancy: number;
  readonly totalPnl: number;
}

export function summarize(outcomes: readonly TradeOutcome[]): PerformanceSummary {
  const wins = outcomes.filter((o) => o.pnl > 0);
  const losses = outcomes.filter((o) => o.pnl <= 0);
  const total = outcomes.reduce((s, o) => s + o.pnl, 0);
  const averageWin = wins.length ? wins.reduce((s, o) => s + o.pnl, 0) / wins.length : 0;
  const averageLoss = losses.length ? Math.abs(losses.reduce((s, o) => s + o.pnl, 0) / losses.length) : 0;
  return {
    trades: outcomes.length,
    wins: wins.length,
    losses: losses.length,
    winRate: outcomes.length ? wins.length / outcomes.length : 0,
    averageWin,
    averageLoss,
    rewardToRisk: averageLoss > 0 ? averageWin / averageLoss : 0,
    expectancy: outcomes.length ? total / outcomes.length : 0,
    totalPnl: total,
  };
}

/** Largest fall from a running peak, as a fraction of that peak. */
export function maxDrawdown(equityCurve: readonly number[]): number {
  let peak = Number.NEGATIVE_INFINITY;
  let worst = 0;
  for (const equity of equityCurve) {
    peak = Math.max(peak, equity);
    if (peak > 0) worst = Math.max(worst, (peak - equity) / peak);
  }
  return worst;
}
