import { round } from "../src/core/stats";
import { engineParamsAt } from "../src/app/active-weights";
import { portfolio } from "../src/app/portfolio";
import { readAccount } from "../src/app/trading-state";
import { tradingGate } from "../src/core/trading/account";
import { formatUsd } from "../src/chat/render/proposal-card";
import type { Command } from "./command";

export const statusCommand: Command = {
  name: "status",
  description: "Trading state, equity, drawdown, open positions and the latest market data",
  args: [],
  mutates: false,
  async run(app) {
    const now = app.clock();
    const [drawdown, book, pending, engine] = await Promise.all([
      readAccount(app), portfolio(app, now),
      app.db.proposal.count({ where: { status: "pending", expiresAt: { gt: new Date(now) } } }),
      engineParamsAt(app, now),
    ]);
    const gate = tradingGate(drawdown, now);
    const ddPct = drawdown.peakEquity > 0 ? round(((drawdown.peakEquity - book.equity.toNumber()) / drawdown.peakEquity) * 100, 2) : 0;
    const lines = [
      `perpbot — ${app.broker.mode.toUpperCase()} trading ${gate.open ? "ACTIVE" : "PAUSED"}`,
      gate.open ? "New signals become proposals." : gate.reason,
      `Equity ${formatUsd(book.equity)} (peak ${formatUsd(drawdown.peakEquity)}, drawdown ${Math.max(0, ddPct)}%${drawdown.sizeHalved ? ", size halved" : ""})`,
      `Open positions: ${book.open.length}; proposals waiting: ${pending}`,
      `Signals: ${engine.ensemble.profile} profile, stream weights ${engine.ensemble.modelVersion === "prior-v1" ? "at their priors (no calibration yet)" : `from ${engine.ensemble.modelVersion}`}.`,
      `Watching ${app.settings.symbols.join(", ")} on ${app.settings.venues.join(", ")} every ${app.settings.pollIntervalMinutes} min (orders on ${app.settings.tradingVenue}).`,
    ];
    for (const venue of app.settings.venues) {
      const last = await app.db.marketSnapshot.findFirst({ where: { venue }, orderBy: { ts: "desc" }, select: { ts: true } });
      lines.push(`  ${venue}: ${last ? `last data ${Math.round((now - last.ts.getTime()) / 60_000)} min ago` : "no data yet"}`);
    }
    return { text: lines.join("\n") };
  },
};
