import { fundingCashFlow, type Side } from "../core/trades/pnl";
import { round } from "../core/stats";
import type { App } from "./context";
import { latestSnapshot } from "./market-view";
import { sendText } from "./send-text";

/**
 * Before each funding settlement: one alert per symbol and settlement time, with the rate on every
 * venue and what each open position will pay or receive. Sent once (a stored marker), however
 * many polls fall inside the warning window.
 */
export async function sendFundingAlerts(app: App): Promise<number> {
  const now = app.clock();
  const windowMs = app.settings.fundingAlertMinutes * 60_000;
  let sent = 0;
  for (const symbol of app.settings.symbols) {
    const rows: { venue: string; rate: number; next: number; interval: number }[] = [];
    for (const venue of app.settings.venues) {
      const s = await latestSnapshot(app, venue, symbol, now);
      if (s?.fundingRate == null || s.nextFundingTs === null) continue;
      rows.push({ venue, rate: s.fundingRate, next: s.nextFundingTs.getTime(), interval: s.fundingIntervalHours ?? 8 });
    }
    const upcoming = rows.filter((r) => r.next > now && r.next - now <= windowMs);
    const first = upcoming.sort((a, b) => a.next - b.next)[0];
    if (first === undefined) continue;
    const key = `funding-alert-${symbol.replace(/[^A-Za-z0-9]/g, "")}-${first.next}`;
    if (await app.db.intent.findUnique({ where: { id: `text-${key}` }, select: { id: true } })) continue;
    const minutes = Math.round((first.next - now) / 60_000);
    const lines = rows.map((r) => `  ${r.venue}: ${round(r.rate * 100, 4)}% per ${r.interval}h${r.rate > 0 ? " (longs pay)" : r.rate < 0 ? " (shorts pay)" : ""}`);
    const positions = await app.db.position.findMany({ where: { status: { in: ["open", "closing"] }, symbol } });
    const flows = positions.map((p) => {
      const venueRow = rows.find((r) => r.venue === p.venue);
      const flow = venueRow ? fundingCashFlow(p.side as Side, Number(p.quantity), Number(p.entryPrice), venueRow.rate) : 0;
      return `  your ${p.side} ${round(Number(p.quantity), 4)} on ${p.venue}: ${flow >= 0 ? "receives" : "pays"} about ${round(Math.abs(flow), 2)} USDT`;
    });
    await sendText(app, key, [`⏰ ${symbol} funding in ${minutes} min (${new Date(first.next).toISOString()}):`, ...lines, ...(flows.length ? flows : ["  no open positions"])].join("\n"), "funding");
    sent += 1;
  }
  return sent;
}
