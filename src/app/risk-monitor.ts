import { updateDrawdown, type DrawdownEvent } from "../core/risk/drawdown";
import { round } from "../core/stats";
import { writeSetting } from "../store/settings";
import type { App } from "./context";
import { currentEquity } from "./portfolio";
import { readDrawdownState, writeDrawdownState } from "./trading-state";

export const MODEL_REVIEW_KEY = "model.review-requested";

/**
 * Marks equity to market, journals it, and applies the drawdown rules. Their state is stored, so
 * a restart neither forgets a pause nor restores full size early. A 10% drawdown pauses trading,
 * requests a model review (recalibration picks it up) and tells the users.
 */
export async function checkRisk(app: App): Promise<{ equity: number; drawdown: number; events: readonly DrawdownEvent[] }> {
  const now = app.clock();
  const equity = await currentEquity(app, now);
  const previous = await readDrawdownState(app);
  const update = updateDrawdown(previous, equity, now, app.settings.risk);
  await writeDrawdownState(app, update.state);
  await app.db.equitySnapshot.create({ data: { ts: new Date(now), equity, peak: update.state.peakEquity, drawdown: update.drawdown } });
  for (const event of update.events) {
    if (event.kind === "paused") {
      await writeSetting(app.db, MODEL_REVIEW_KEY, { requestedAt: now, drawdown: event.drawdown });
      await app.requestModelReview(`drawdown ${round(event.drawdown * 100, 2)}%`);
    }
    await app.notify({ kind: "text", text: describeDrawdownEvent(event) });
  }
  return { equity, drawdown: update.drawdown, events: update.events };
}

export function describeDrawdownEvent(event: DrawdownEvent): string {
  const pct = (x: number): string => `${round(x * 100, 2)}%`;
  switch (event.kind) {
    case "size-halved": return `⚠️ Drawdown ${pct(event.drawdown)} from the equity peak: position size is halved until it recovers.`;
    case "size-restored": return `✅ Drawdown back to ${pct(event.drawdown)}: full position size restored.`;
    case "paused": return `🛑 Drawdown ${pct(event.drawdown)} from the equity peak: trading is paused until ${new Date(event.until).toISOString()} and a model review is requested. Open positions keep their stops.`;
    case "pause-ended": return "▶️ The 24-hour drawdown pause is over; trading resumes at half size.";
  }
}
