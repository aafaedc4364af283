import type { Actor } from "../chat/transport";
import type { App } from "./context";
import { applyAccount, tradingGate } from "./trading-state";

const who = (actor: Actor): string => `${actor.displayName} (${actor.platform})`;

/** Stops new proposals, approvals and executions until /resume. Open positions keep their stops. */
export async function pauseTrading(app: App, actor: Actor, reason: string): Promise<string> {
  await applyAccount(app, { kind: "pause", by: who(actor), reason: reason || "no reason given" });
  return "Trading is paused. No new proposals will be made or executed; open positions keep their stop losses. Send /resume to continue.";
}

/**
 * Lifts a manual pause. A drawdown pause (or the fail-safe pause after unreadable risk state)
 * lifts on its own after its 24 hours; lifting it early is an explicit act: `/resume override`.
 */
export async function resumeTrading(app: App, actor: Actor, options: { override: boolean } = { override: false }): Promise<string> {
  await applyAccount(app, { kind: "resume", by: who(actor), admin: options.override });
  const gate = await tradingGate(app);
  return gate.open ? "Trading resumed." : `Manual pause lifted, but: ${gate.reason}`;
}
