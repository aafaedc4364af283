import { round } from "../src/core/stats";
import { periodPnl } from "../src/app/period-pnl";
import { isPeriod, PERIOD_TEXT, PERIODS } from "../src/app/periods";
import { portfolio } from "../src/app/portfolio";
import { formatPrice, formatQuantity, formatUsd } from "../src/chat/render/proposal-card";
import type { Command } from "./command";
import { UsageError } from "./command";

export const pnlCommand: Command = {
  name: "pnl",
  description: "Profit and loss after fees and funding: equity, open positions, and the trades closed in a period",
  args: [{ name: "period", description: "day, week, month or all (default)", required: false }],
  usage: `/pnl [${PERIODS.join("|")}] — trades closed in the last 24 h, 7 days, 30 days or all time (default)`,
  role: "viewer",
  async run(app, args) {
    const period = (args[0] ?? "").trim().toLowerCase() || "all";
    if (!isPeriod(period)) throw new UsageError(`unknown period ${period.slice(0, 20)}`);
    const now = app.clock();
    const [book, closed] = await Promise.all([portfolio(app, now), periodPnl(app, period, now)]);
    const s = closed.summary;
    const funding = book.fundingReceived;
    const lines = [
      `PnL (${app.broker.mode}): ${formatUsd(book.equity.minus(book.startingEquity))} on ${formatUsd(book.startingEquity)} → equity ${formatUsd(book.equity)}`,
      `Closed trades ${formatUsd(book.realizedPnl)}, open positions ${formatUsd(book.unrealizedPnl)} (both net of fees and funding).`,
      `Included above: fees paid ${formatUsd(book.feesPaid)}, funding ${funding.gte(0) ? "received" : "paid"} ${formatUsd(funding.abs())}.`,
    ];
    const when = period === "all" ? "" : ` in ${PERIOD_TEXT[period]}`;
    if (s.trades === 0) lines.push(period === "all" ? "Closed trades: none yet." : `Closed trades${when}: none.`);
    else {
      if (period !== "all") {
        const paid = closed.funding.gte(0) ? "received" : "paid";
        lines.push(`Closed${when}: ${formatUsd(closed.realized)} net (fees ${formatUsd(closed.fees)} and funding ${paid} ${formatUsd(closed.funding.abs())} included).`);
      }
      lines.push(`Closed trades${when}: ${s.trades}, win rate ${round(s.winRate * 100, 1)}%, avg win ${formatUsd(s.averageWin)}, avg loss ${formatUsd(s.averageLoss)}, expectancy ${formatUsd(s.expectancy)} per trade`);
    }
    for (const v of book.open) {
      const t = v.trade;
      lines.push(`  open ${t.terms.side} ${formatQuantity(t.position.quantity, t.terms.symbol)} @ ${formatPrice(t.position.entryPrice)}, mark ${formatPrice(v.markPrice)}: ${formatUsd(v.unrealizedPnl)}`);
    }
    return { text: lines.join("\n") };
  },
};
