import type { App } from "../app/context";
import { isDrawdownPaused } from "../core/risk/drawdown";
import { readAccount } from "../app/trading-state";
import { gauge, type MetricsSource } from "./metrics-source";

/**
 * Equity and drawdown as the position monitor last marked them (the newest EquitySnapshot row),
 * and the account rules' state (src/app/trading-state.ts): paused and why, size halved, the peak.
 * Read as /health reads it, so an unreadable risk state fails safe here too (paused, told once).
 */
export function accountMetrics(app: App): MetricsSource {
  return {
    name: "account",
    read: async (now) => {
      const [account, snapshot] = await Promise.all([
        readAccount(app),
        app.db.equitySnapshot.findFirst({ orderBy: { ts: "desc" } }),
      ]);
      return (registry) => {
        const paused = gauge(registry, "perpbot_trading_paused", "1 while new trades are refused, by cause: manual (/pause, or a fail-safe pause) or drawdown (the 10% rule).", ["cause"]);
        paused.set({ cause: "manual" }, account.manualPause === null ? 0 : 1);
        paused.set({ cause: "drawdown" }, isDrawdownPaused(account, now) ? 1 : 0);
        gauge(registry, "perpbot_trading_size_halved", "1 while position size is halved by the drawdown rule.").set(account.sizeHalved ? 1 : 0);
        gauge(registry, "perpbot_equity_peak_usd", "The equity peak the drawdown rules measure from, in USD.").set(account.peakEquity);
        if (snapshot === null) return; // no mark yet: no equity series rather than a made-up 0
        gauge(registry, "perpbot_equity_usd", "Equity at the latest mark (starting equity + realized + unrealized PnL), in USD.").set(Number(snapshot.equity));
        gauge(registry, "perpbot_drawdown_ratio", "Drawdown from the equity peak at the latest mark, 0..1 (0.05 halves size, 0.10 pauses).").set(snapshot.drawdown);
        gauge(registry, "perpbot_equity_mark_age_seconds", "Seconds since the latest equity mark (the position monitor marks every minute).").set(Math.max(0, (now - snapshot.ts.getTime()) / 1000));
      };
    },
  };
}
