import { round } from "../src/core/stats";
import { engineParamsAt } from "../src/app/active-weights";
import { portfolio } from "../src/app/portfolio";
import { readAccount } from "../src/app/trading-state";
import { tradingGate } from "../src/core/trading/account";
import { formatUsd } from "../src/chat/render/proposal-card";
import { crossVenueLines, marketHealthLines } from "../src/app/market-status";
import { takeUndelivered } from "../src/app/undelivered-notices";
import { utcTime } from "../src/chat/render/desk-format";
import type { Command } from "./command";

export const statusCommand: Command = {
  name: "status",
  description: "Trading state, equity, drawdown, open positions and the latest market data",
  args: [],
  usage: "/status (no arguments)",
  role: "viewer",
  async run(app) {
    const now = app.clock();
    const [drawdown, book, pending, engine, health, crossVenue, undelivered] = await Promise.all([
      readAccount(app), portfolio(app, now),
      app.db.proposal.count({ where: { status: "pending", expiresAt: { gt: new Date(now) } } }),
      engineParamsAt(app, now),
      marketHealthLines(app, now),
      crossVenueLines(app, now),
      takeUndelivered(app), // shown once, then cleared (src/app/undelivered-notices.ts)
    ]);
    const gate = tradingGate(drawdown, now);
    const ddPct = drawdown.peakEquity > 0 ? round(((drawdown.peakEquity - book.equity.toNumber()) / drawdown.peakEquity) * 100, 2) : 0;
    const lines = [
      `perpbot — ${app.broker.mode.toUpperCase()} trading ${gate.open ? "ACTIVE" : "PAUSED"}`,
      gate.open ? "New signals become proposals." : gate.reason,
      ...undelivered.map((u) => `⚠️ ${u.count === 1 ? "1 alert" : `${u.count} alerts`} could not be delivered to ${u.platform} since ${utcTime(u.since, now)} (gave up after every retry; details in the log).`),
      `Equity ${formatUsd(book.equity)} (peak ${formatUsd(drawdown.peakEquity)}, drawdown ${Math.max(0, ddPct)}%${drawdown.sizeHalved ? ", size halved" : ""})`,
      `Open positions: ${book.open.length}; proposals waiting: ${pending}`,
      `Signals: ${engine.ensemble.profile} profile, stream weights ${engine.ensemble.modelVersion === "prior-v1" ? "at their priors (no calibration yet)" : `from ${engine.ensemble.modelVersion}`}.`,
      `Watching ${app.settings.symbols.join(", ")} on ${app.settings.venues.join(", ")} every ${app.settings.pollIntervalMinutes} min (orders on ${app.settings.tradingVenue}).`,
      `Market data per venue (latest poll; data older than ${Math.round(app.settings.marketData.maxDataAgeMs / 60_000)} min is not used):`,
      ...health,
      "Across venues:",
      ...crossVenue,
    ];
    return { text: lines.join("\n") };
  },
};
