import { transact } from "../store/database";
import { readCommitted } from "../store/guard-rows";
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

/**
 * What to do with the trade as read: an event, or nothing. It runs in the read transaction, before
 * the write transaction; `tx` is for any further reads it needs (the gate, a quote).
 */
export type Decide = (state: TradeState, tx: Tx) => Promise<TradeEvent | null> | TradeEvent | null;

/** Several workers and bots may step one trade at once; each lost race costs one re-read. */
const MAX_CONFLICTS = 8;

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
 * state with its intents in ONE transaction that begins with the save conditional on the version
 * read (`saveTrade`). The read and the decision happen before it (in a read-only transaction), so the version
 * check is the one guard against a concurrent writer on every database (SQLite and PostgreSQL
 * alike, whatever their isolation): a writer that moved the trade first makes the save match
 * nothing, and we read again and decide anew. The conditional update also holds the trade's row
 * until commit, so the rows and intents written after it cannot interleave with another writer's.
 * Then — and only then — the intents are dispatched: a crash in between loses nothing, the
 * reconciler finds them in the outbox. `afterSave` writes more rows in the same transaction, only
 * when the transition was saved.
 */
export async function applyTradeEvent(
  app: App, proposalId: string, decide: Decide, options: { crashAfterCommit?: CrashPoint; afterSave?: (tx: Tx, state: TradeState) => Promise<void> } = {},
): Promise<TradeStepOutcome> {
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt += 1) {
    const now = app.clock();
    // A read-only transaction: committed rows only (see readCommitted), never another writer's half.
    const { stored, event } = await readCommitted(app.db, async (tx) => {
      const found = await loadTrade(tx, proposalId);
      if (found === null) throw new UserError(`There is no proposal ${proposalId}. It may belong to another perpbot database.`);
      return { stored: found, event: await decide(found.state, tx) };
    });
    if (event === null) return unchanged(stored);
    const result = step(stored.state, event, now, lifecycleParams(app, stored.state.terms));
    if (!result.ok) return { ok: false, reason: result.reason, state: stored.state };
    if (result.state === stored.state && result.intents.length === 0) return unchanged(stored);
    const saved = await transact(app.db, async (tx) => {
      const written = await saveTrade(tx, stored, result.state, event, result.intents, now, app.broker.mode);
      if (written !== null && options.afterSave) await options.afterSave(tx, result.state);
      return written;
    });
    if (saved === null) continue;
    if (options.crashAfterCommit) crashPoint(options.crashAfterCommit);
    await app.dispatch(saved.intentIds);
    return { ok: true, state: result.state, changed: true, intents: result.intents };
  }
  throw new Error(`trade ${proposalId} kept changing under us (${MAX_CONFLICTS} tries); try again`);
}

function unchanged(stored: StoredTrade): TradeStepOutcome {
  return { ok: true, state: stored.state, changed: false, intents: [] };
}
