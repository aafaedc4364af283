import { round } from "../src/core/stats";
import { portfolio } from "../src/app/portfolio";
import { formatPrice, formatQuantity, formatUsd } from "../src/chat/render/proposal-card";
import type { Command } from "./command";

export const pnlCommand: Command = {
  name: "pnl",
  description: "Profit and loss after fees and funding, open positions and closed-trade statistics",
  args: [],
  usage: "/pnl (no arguments)",
  role: "viewer",
  async run(app) {
    const book = await portfolio(app, app.clock());
    const s = book.closed;
    const funding = book.fundingReceived;
    const lines = [
      `PnL (${app.broker.mode}): ${formatUsd(book.equity.minus(book.startingEquity))} on ${formatUsd(book.startingEquity)} → equity ${formatUsd(book.equity)}`,
      `Closed trades ${formatUsd(book.realizedPnl)}, open positions ${formatUsd(book.unrealizedPnl)} (both net of fees and funding).`,
      `Included above: fees paid ${formatUsd(book.feesPaid)}, funding ${funding.gte(0) ? "received" : "paid"} ${formatUsd(funding.abs())}.`,
      s.trades === 0
        ? "Closed trades: none yet."
        : `Closed trades: ${s.trades}, win rate ${round(s.winRate * 100, 1)}%, avg win ${formatUsd(s.averageWin)}, avg loss ${formatUsd(s.averageLoss)}, expectancy ${formatUsd(s.expectancy)} per trade`,
    ];
    for (const v of book.open) {
      const t = v.trade;
      lines.push(`  open ${t.terms.side} ${formatQuantity(t.position.quantity, t.terms.symbol)} @ ${formatPrice(t.position.entryPrice)}, mark ${formatPrice(v.markPrice)}: ${formatUsd(v.unrealizedPnl)}`);
    }
    return { text: lines.join("\n") };
  },
};
