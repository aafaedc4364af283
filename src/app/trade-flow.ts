import { transact } from "../store/database";
import { isLive } from "../exchange/broker";
import { crashPoint, type CrashPoint } from "../crash-points";
import { step } from "../core/trading/lifecycle";
import type { Intent } from "../core/trading/intents";
import type { LifecycleParams, TradeEvent, TradeState } from "../core/trading/types";
import type { Tx } from "../store/outbox";
import { loadTrade, saveTrade, type StoredTrade } from "../store/trade-repo";
import { UserError, type App } from "./context";

export type TradeStepOutcome =
  | { readonly ok: true; readonly state: TradeState; readonly changed: boolean; readonly intents: readonly Intent[] }
  | { readonly ok: false; readonly reason: string; readonly state: TradeState };

/** What to do with the trade as read inside the transaction: an event, or nothing. */
export type Decide = (state: TradeState, tx: Tx) => Promise<TradeEvent | null> | TradeEvent | null;

const MAX_CONFLICTS = 5;

/**
 * Paper: the configured tick. Live: the venue's tick for the trade's symbol (known to the broker
 * once its market list is loaded, which every order call does first); none when it is not at hand,
 * never the configured guess — the venue rounds the protective triggers to its tick anyway.
 */
export function lifecycleParams(app: App, trade?: { readonly venue: string; readonly symbol: string }): LifecycleParams {
  if (isLive(app.broker)) {
    const tick = trade === undefined ? undefined : app.broker.tickSize(trade.venue, trade.symbol);
    return tick !== undefined && tick > 0 ? { tickSize: tick, venueStops: true } : { venueStops: true };
  }
  return app.settings.market.tickSize > 0 ? { tickSize: app.settings.market.tickSize } : {};
}

/**
 * Drives the pure lifecycle for one trade: read it, decide the event, step, and write the new
 * state with its intents in ONE transaction, conditional on the version read (a concurrent writer
 * makes us read again and decide anew). Then — and only then — the intents are dispatched: a
 * crash in between loses nothing, the reconciler finds them in the outbox. `afterSave` writes
 * more rows in the same transaction, only when the transition was saved.
 */
export async function applyTradeEvent(
  app: App, proposalId: string, decide: Decide, options: { crashAfterCommit?: CrashPoint; afterSave?: (tx: Tx, state: TradeState) => Promise<void> } = {},
): Promise<TradeStepOutcome> {
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt += 1) {
    const now = app.clock();
    const outcome = await transact(app.db, async (tx) => {
      const stored = await loadTrade(tx, proposalId);
      if (stored === null) throw new UserError(`There is no proposal ${proposalId}. It may belong to another perpbot database.`);
      const event = await decide(stored.state, tx);
      if (event === null) return { kind: "done" as const, result: unchanged(stored) };
      const result = step(stored.state, event, now, lifecycleParams(app, stored.state.terms));
      if (!result.ok) return { kind: "done" as const, result: { ok: false as const, reason: result.reason, state: stored.state } };
      if (result.state === stored.state && result.intents.length === 0) return { kind: "done" as const, result: unchanged(stored) };
      const saved = await saveTrade(tx, stored, result.state, event, result.intents, now, app.broker.mode);
      if (saved === null) return { kind: "conflict" as const };
      if (options.afterSave) await options.afterSave(tx, result.state);
      return { kind: "saved" as const, ids: saved.intentIds, result: { ok: true as const, state: result.state, changed: true, intents: result.intents } };
    });
    if (outcome.kind === "conflict") continue;
    if (outcome.kind === "saved") {
      if (options.crashAfterCommit) crashPoint(options.crashAfterCommit);
      await app.dispatch(outcome.ids);
    }
    return outcome.result;
  }
  throw new Error(`trade ${proposalId} kept changing under us (${MAX_CONFLICTS} tries); try again`);
}

function unchanged(stored: StoredTrade): TradeStepOutcome {
  return { ok: true, state: stored.state, changed: false, intents: [] };
}
