import type { Actor } from "../chat/transport";
import { UserError, type App } from "./context";
import { readManualPause, writeManualPause, tradingGate } from "./trading-state";

/** Stops new proposals and executions until /resume. Open positions keep their stops. */
export async function pauseTrading(app: App, actor: Actor, reason: string): Promise<string> {
  const existing = await readManualPause(app);
  if (existing) throw new UserError(`Trading is already paused by ${existing.by} since ${new Date(existing.at).toISOString()}.`);
  await writeManualPause(app, { paused: true, reason, by: `${actor.displayName} (${actor.platform})`, at: app.clock() });
  await app.notify({ kind: "text", text: `⏸ Trading paused by ${actor.displayName}${reason ? `: ${reason}` : ""}. Open positions keep their stops. /resume to continue.` });
  return "Trading is paused. No new proposals will be made or executed; open positions keep their stop losses. Send /resume to continue.";
}

export async function resumeTrading(app: App, actor: Actor): Promise<string> {
  const existing = await readManualPause(app);
  if (!existing) {
    const gate = await tradingGate(app);
    if (!gate.open) throw new UserError(`There is no manual pause to lift. ${gate.reason}`);
    throw new UserError("Trading is not paused.");
  }
  await writeManualPause(app, { paused: false, reason: "", by: `${actor.displayName} (${actor.platform})`, at: app.clock() });
  const gate = await tradingGate(app);
  await app.notify({ kind: "text", text: `▶️ Trading resumed by ${actor.displayName}.` });
  return gate.open ? "Trading resumed." : `Manual pause lifted, but: ${gate.reason}`;
}
