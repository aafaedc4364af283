import { MIN_TRADES_TO_COMPARE, monthReport } from "../src/app/monthly-report";
import { round } from "../src/core/stats";
import { percent } from "../src/chat/render/desk-format";
import { formatUsd } from "../src/chat/render/proposal-card";
import type { Command } from "./command";

export const reportCommand: Command = {
  name: "report",
  description: "This month so far against the backtest baseline: trades, win rate, average win/loss, expectancy",
  args: [],
  usage: "/report (no arguments)",
  role: "viewer",
  async run(app) {
    const r = await monthReport(app, app.clock());
    const s = r.summary;
    const b = r.baseline;
    const month = new Date(r.monthStart).toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
    const lines = [`${month} so far (${app.broker.mode}, trades closed since the 1st, UTC; results after fees, funding and slippage):`];
    const base = `Baseline (${b.source}, ${b.trades} trades): win rate ${percent(b.winRate, 1)}, reward-to-risk ${b.rewardToRisk}, expectancy ${round(r.baselineExpectancyR, 2)}R per trade (R = the average loss).`;
    if (s.trades === 0) return { text: [...lines, "No trades closed this month yet: nothing to compare.", base].join("\n") };
    const ci = `95% interval ${percent(r.winRate.ci.low, 1)}–${percent(r.winRate.ci.high, 1)}`;
    lines.push(
      `Trades ${s.trades} (${s.wins} won, ${s.losses} lost or flat), net ${formatUsd(s.totalPnl)}`,
      `Win rate ${percent(s.winRate, 1)} (${ci})`,
      `Average win ${formatUsd(s.averageWin)}, average loss ${formatUsd(s.averageLoss)}${s.averageLoss > 0 ? `, reward-to-risk ${round(s.rewardToRisk, 2)}` : ""}`,
      `Expectancy ${formatUsd(s.expectancy)} per trade${r.expectancyR === null ? " (no loss yet, so no R figure)" : ` = ${round(r.expectancyR, 2)}R`}`,
      base,
    );
    if (!r.enoughTrades) {
      lines.push(`Too few trades to compare: ${s.trades} closed this month; at least ${MIN_TRADES_TO_COMPARE} are needed before a month's win rate says anything against the baseline.`);
    } else {
      const drift = (s.winRate - b.winRate) / b.winRate;
      const inside = b.winRate >= r.winRate.ci.low && b.winRate <= r.winRate.ci.high;
      lines.push(
        `Win rate ${drift >= 0 ? "above" : "below"} the baseline by ${percent(Math.abs(drift), 1)} of it (${inside ? "the baseline's rate is inside this month's interval: not a significant difference" : "the baseline's rate is outside this month's interval"}).`,
        drift < -0.1 ? "More than 10% below the baseline: two such months in a row call for recalibration." : "Not more than 10% below the baseline.",
      );
    }
    lines.push("No backtest baseline is stored in the database yet; the published one above is the comparison.");
    return { text: lines.join("\n") };
  },
};
