import { checkApproval, type ApprovalQuote } from "../core/trading/approval-check";
import type { TradeState } from "../core/trading/types";
import type { Actor } from "../chat/transport";
import type { Tx } from "../store/outbox";
import { readCommitted } from "../store/guard-rows";
import { loadTrades } from "../store/trade-repo";
import { UserError, type App } from "./context";
import { latestSnapshot } from "./market-view";
import { applyTradeEvent } from "./trade-flow";
import { tradingGate } from "./trading-state";

const who = (actor: Actor): string => `${actor.displayName} (${actor.platform})`;

/**
 * The journal's "who, which app" of a decision, beside `decidedBy` (the name shown): the app it
 * came through and the user's id there, written in the decision's own transaction so a decided
 * proposal never lacks them. Auto-execute has no user: "auto".
 */
const recordDecider = (proposalId: string, actor: Actor | { auto: string }) => async (tx: Tx): Promise<void> => {
  const data = "auto" in actor ? { decidedVia: "auto", decidedByUserId: null } : { decidedVia: actor.platform, decidedByUserId: actor.userId };
  await tx.proposal.update({ where: { id: proposalId }, data });
};

/** The trading venue's latest quote, for the re-check at approval. */
export async function approvalQuote(app: App, venue: string, symbol: string, tx: Tx = app.db): Promise<ApprovalQuote> {
  const snapshot = await latestSnapshot(app, venue, symbol, app.clock(), tx);
  if (snapshot === null) return { price: null, bid: null, ask: null, ts: null };
  return { price: snapshot.markPrice ?? snapshot.lastPrice, bid: snapshot.bid, ask: snapshot.ask, ts: snapshot.ts.getTime() };
}

export const approvalParams = (app: App): { maxPriceDriftFraction: number; maxSpreadFraction: number; maxQuoteAgeMs: number } => ({
  maxPriceDriftFraction: app.settings.maxPriceDriftFraction,
  maxSpreadFraction: app.settings.maxSpreadFraction,
  // MAX_DATA_AGE_MINUTES (default two poll intervals): the same age rule as the signals'.
  maxQuoteAgeMs: app.settings.marketData.maxDataAgeMs,
});

/**
 * Approves a pending proposal: the pause gate, price drift, spread and the stop are re-checked
 * against the market now; then pending → approved is written with the execute and card intents
 * in one transaction, conditional on the version read, so a double click (or one on each
 * platform) approves once and the loser is told who won. `auto` is the opt-in auto-execute path.
 */
export async function approveProposal(app: App, proposalId: string, actor: Actor | { auto: string }): Promise<TradeState> {
  const by = "auto" in actor ? actor.auto : who(actor);
  const outcome = await applyTradeEvent(app, proposalId, async (state, tx) => {
    if (state.status !== "pending") return { kind: "approve", by, auto: "auto" in actor, check: { ok: true } };
    const [gate, quote] = await Promise.all([tradingGate(app, tx), approvalQuote(app, state.terms.venue, state.terms.symbol, tx)]);
    const check = checkApproval(state.terms, quote, gate, app.clock(), approvalParams(app));
    return { kind: "approve", by, auto: "auto" in actor, check };
  }, { crashAfterCommit: "after-approval-commit", afterSave: recordDecider(proposalId, actor) });
  if (!outcome.ok) {
    await expireIfDue(app, outcome.state);
    throw new UserError(outcome.reason.startsWith("Nothing done") || outcome.reason.includes("expired") ? outcome.reason : `Not approved. ${outcome.reason}`);
  }
  return outcome.state;
}

export async function rejectProposal(app: App, proposalId: string, actor: Actor): Promise<TradeState> {
  const outcome = await applyTradeEvent(app, proposalId, () => ({ kind: "reject", by: who(actor) }), { afterSave: recordDecider(proposalId, actor) });
  if (!outcome.ok) {
    await expireIfDue(app, outcome.state);
    throw new UserError(outcome.reason);
  }
  return outcome.state;
}

/** A press on an expired card also marks it expired, so every copy stops offering buttons. */
async function expireIfDue(app: App, state: TradeState): Promise<void> {
  if (state.status === "pending" && app.clock() >= state.terms.expiresAt) await expireProposal(app, state.terms.id);
}

/** Marks a pending proposal expired (no-op if it was decided meanwhile); true when it did. */
export async function expireProposal(app: App, proposalId: string): Promise<boolean> {
  const outcome = await applyTradeEvent(app, proposalId, (state) => (state.status === "pending" && app.clock() >= state.terms.expiresAt ? { kind: "expire" } : null));
  return outcome.ok && outcome.changed;
}

/** Expires every pending proposal past its deadline. */
export async function expireStaleProposals(app: App): Promise<number> {
  const now = app.clock();
  const pending = await readCommitted(app.db, (tx) => loadTrades(tx, ["pending"]));
  let count = 0;
  for (const { state } of pending) if (now >= state.terms.expiresAt && (await expireProposal(app, state.terms.id))) count += 1;
  return count;
}
