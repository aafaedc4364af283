import { round } from "../src/core/stats";
import { portfolio } from "../src/app/portfolio";
import { formatPrice, formatUsd } from "../src/chat/render/proposal-card";
import type { Command } from "./command";

export const pnlCommand: Command = {
  name: "pnl",
  description: "Profit and loss after fees and funding, open positions and closed-trade statistics",
  args: [],
  mutates: false,
  async run(app) {
    const book = await portfolio(app, app.clock());
    const s = book.closed;
    const lines = [
      `PnL (paper): ${formatUsd(book.equity - book.startingEquity)} on ${formatUsd(book.startingEquity)} → equity ${formatUsd(book.equity)}`,
      `Realized ${formatUsd(book.realizedPnl)}, unrealized ${formatUsd(book.unrealizedPnl)}; fees paid ${formatUsd(book.feesPaid)}, funding ${book.fundingReceived >= 0 ? "received" : "paid"} ${formatUsd(Math.abs(book.fundingReceived))}`,
      s.trades === 0
        ? "Closed trades: none yet."
        : `Closed trades: ${s.trades}, win rate ${round(s.winRate * 100, 1)}%, avg win ${formatUsd(s.averageWin)}, avg loss ${formatUsd(s.averageLoss)}, expectancy ${formatUsd(s.expectancy)} per trade`,
    ];
    for (const v of book.open) {
      const p = v.position;
      lines.push(`  open ${p.side} ${round(p.quantity, 4)} ${p.symbol} @ ${formatPrice(p.entryPrice)}, mark ${formatPrice(v.markPrice)}: ${formatUsd(v.unrealizedPnl)}`);
    }
    return { text: lines.join("\n") };
  },
};
