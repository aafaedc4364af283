import Decimal from "decimal.js";
import { crashPoint } from "../crash-points";
import type { Closing, OrderState, TradeEvent } from "../core/trading/types";
import { isLive, OrderOutcomeUnknownError, type BrokerOrder } from "../exchange/broker";
import { stopClientOrderId, takeProfitClientOrderId } from "../core/trading/orders";
import { closeFromVenue } from "./live-positions";
import { ExchangeError } from "../exchange/errors";
import type { App } from "./context";
import { isFresh, latestSnapshot, parseBook } from "./market-view";
import { applyTradeEvent } from "./trade-flow";
import { tradingGate } from "./trading-state";

import { RetryableExecutionError, type ExecutionResult } from "./execution-errors";

export { RetryableExecutionError, type ExecutionResult };

/**
 * What the order we sent did, as the lifecycle's fill event. The order's own record tells what is
 * already booked, so a fill reported again (a re-run after a crash) adds only what is new.
 */
function fillEvent(kind: "entry-filled" | "exit-filled", recorded: OrderState, found: BrokerOrder): TradeEvent | null {
  const qty = found.filledQty.minus(recorded.filledQty);
  const final = found.status !== "open" && found.status !== "partially-filled";
  if (qty.lte(0) && !final) return null;
  if (qty.lte(0) && found.filledQty.isZero() && (found.status === "rejected" || found.status === "cancelled") && kind === "entry-filled") {
    return { kind: "entry-rejected", reason: `The exchange refused the entry order: ${found.reason ?? found.status}` };
  }
  // Value and fee of the new part only: totals minus what the record already holds.
  const value = (found.avgPrice ?? new Decimal(0)).times(found.filledQty).minus((recorded.avgPrice ?? new Decimal(0)).times(recorded.filledQty));
  const price = qty.gt(0) ? value.div(qty) : found.avgPrice ?? new Decimal(0);
  const exchangeOrderId = found.exchangeOrderId ?? undefined;
  return { kind, qty: Decimal.max(qty, 0), price, fee: found.fee.minus(recorded.fee), final, ...(exchangeOrderId === undefined ? {} : { exchangeOrderId }) };
}

async function marketFor(app: App, venue: string, symbol: string): Promise<{ referencePrice: number; book: ReturnType<typeof parseBook> }> {
  const now = app.clock();
  const snapshot = await latestSnapshot(app, venue, symbol, now);
  const price = snapshot?.markPrice ?? snapshot?.lastPrice ?? null;
  if (snapshot === null || price === null || !isFresh(app, snapshot.ts.getTime(), now)) {
    throw new RetryableExecutionError(`no fresh ${symbol} price from ${venue} yet`);
  }
  return { referencePrice: price, book: parseBook(snapshot.bookJson) };
}

/**
 * Sends (or finds) the entry order of an approved trade. Lookup first, always: the order's client
 * id is deterministic, so after a crash or a lost job the broker is asked whether it exists before
 * anything is sent, and an order whose placement outcome is unknown is only ever looked up.
 * A pause that arrived after approval wins as long as nothing was sent.
 */
export async function executeProposal(app: App, proposalId: string): Promise<ExecutionResult> {
  // approved → submitting (or failed, when the gate closed since the approval).
  let outcome = await applyTradeEvent(app, proposalId, async (state, tx) => {
    if (state.status !== "approved") return null;
    const gate = await tradingGate(app, tx);
    return gate.open ? { kind: "submit" } : { kind: "fail", reason: `Not executed: ${gate.reason}` };
  });
  const state = outcome.state;
  if (state.status !== "submitting" && state.status !== "unknown") return { kind: "nothing-to-do", status: state.status };

  const { terms, entry } = state;
  const found = await app.broker.findOrder(terms.venue, terms.symbol, entry.clientOrderId);
  let report = found;
  if (report === null) {
    // Where a lookup may lag, an order that may have been sent is only ever looked up again.
    if (!app.broker.lookupIsAuthoritative && (state.status === "unknown" || entry.sentAt !== null)) {
      return await lookupAgain(app, proposalId, state.status === "unknown" ? state.since : entry.sentAt ?? app.clock(), entry.clientOrderId);
    }
    const gate = await tradingGate(app);
    if (!gate.open) {
      outcome = await applyTradeEvent(app, proposalId, (s) => (s.status === "submitting" || s.status === "unknown" ? { kind: "entry-rejected", reason: `Not executed: ${gate.reason}` } : null));
      return { kind: "done", status: outcome.state.status };
    }
    const market = await marketFor(app, terms.venue, terms.symbol);
    // The send time is committed before the request leaves: a crash after this never re-sends.
    if (!app.broker.lookupIsAuthoritative) {
      await applyTradeEvent(app, proposalId, (s) => (s.status === "submitting" ? { kind: "order-sent", at: app.clock() } : null));
      crashPoint("after-send-recorded");
    }
    try {
      report = await app.broker.placeOrder({
        clientOrderId: entry.clientOrderId, venue: terms.venue, symbol: terms.symbol, side: entry.side, quantity: entry.requestedQty, reduceOnly: false, market,
      });
    } catch (error) {
      if (error instanceof ExchangeError && (error.kind === "rate-limited" || error.kind === "banned")) {
        // Refused at the door: nothing reached the book, so the next attempt may send again.
        await applyTradeEvent(app, proposalId, (s) => (s.status === "submitting" ? { kind: "order-sent", at: null } : null));
        throw new RetryableExecutionError(error.message);
      }
      if (!(error instanceof OrderOutcomeUnknownError)) throw error;
      await applyTradeEvent(app, proposalId, (s) => (s.status === "submitting" || s.status === "unknown" ? { kind: "entry-unknown", error: error.message } : null));
      throw new RetryableExecutionError(`the ${terms.venue} order ${entry.clientOrderId} may or may not exist: ${error.message}`);
    }
    crashPoint("after-order-submit");
  }
  // A live entry still working after the placement settled: the rest is cancelled, the position is
  // what filled, and its stop goes on at once. (Left working it would be a position without a stop.)
  if (isLive(app.broker) && (report.status === "open" || report.status === "partially-filled")) {
    report = (await app.broker.cancelOrder(terms.venue, terms.symbol, entry.clientOrderId)) ?? report;
    app.logger.info({ proposalId, filled: report.filledQty.toString(), status: report.status }, "cancelled the rest of a live entry still working");
  }
  const placed = report;
  outcome = await applyTradeEvent(app, proposalId, (s) => (s.status === "submitting" || s.status === "unknown" ? fillEvent("entry-filled", s.entry, placed) : null), {
    crashAfterCommit: "after-fill-commit",
  });
  if (outcome.ok && outcome.changed && outcome.state.status === "open") {
    app.logger.info({ proposalId, price: outcome.state.position.entryPrice.toString(), quantity: outcome.state.position.quantity.toString() }, `${app.broker.mode} entry filled`);
  }
  return { kind: "done", status: outcome.state.status };
}

/**
 * An entry that may exist but is not visible: look again later (the job retries with backoff).
 * After UNKNOWN_ORDER_GIVE_UP_MINUTES of look-ups that never find it — order endpoint, open
 * orders, history, trades — it was never placed: the trade fails, and nothing is ever re-sent.
 * (Should the venue show it after all, the position reconciler finds the position.)
 */
async function lookupAgain(app: App, proposalId: string, since: number, clientOrderId: string): Promise<ExecutionResult> {
  const waited = app.clock() - since;
  if (waited < app.settings.live.unknownOrderGiveUpMs) {
    await applyTradeEvent(app, proposalId, (s) => (s.status === "submitting" ? { kind: "entry-unknown", error: "sent, but the venue does not show it yet" } : null));
    throw new RetryableExecutionError(`order ${clientOrderId} is not visible yet; looking again`);
  }
  const minutes = Math.round(waited / 60_000);
  const outcome = await applyTradeEvent(app, proposalId, (s) => (s.status === "submitting" || s.status === "unknown"
    ? { kind: "entry-rejected", reason: `The entry order ${clientOrderId} was not found on the exchange after ${minutes} min of look-ups, so it was never placed. Nothing was traded; it will not be sent again.` }
    : null));
  return { kind: "done", status: outcome.state.status };
}

const EXIT_RESEND_AFTER_MS = 60_000;

/** The price a paper exit starts from: a stop triggers at its price and fills beyond it, as a stop-market would. */
function exitReference(state: Closing, mark: number): number {
  switch (state.reason) {
    case "stop-loss": return state.position.stopPrice;
    case "take-profit": return state.position.takeProfitPrice;
    case "liquidation": return state.position.liquidationPrice;
    default: return mark;
  }
}

/** Sends (or finds) the reduce-only exit order of a closing trade, then books it. Never paused: exits always go. */
export async function closeTrade(app: App, proposalId: string): Promise<ExecutionResult> {
  const loaded = await applyTradeEvent(app, proposalId, () => null);
  const state = loaded.state;
  if (state.status !== "closing") return { kind: "nothing-to-do", status: state.status };
  const { terms, exit } = state;
  const broker = app.broker;
  let report = await broker.findOrder(terms.venue, terms.symbol, exit.clientOrderId);
  if (report === null && isLive(broker)) {
    // The venue may have closed the position already (its stop, a liquidation, a hand on the exchange UI).
    const held = (await broker.positions(terms.venue)).find((p) => p.symbol === terms.symbol);
    if (held === undefined) {
      if (!(await closeFromVenue(app, broker, state))) throw new RetryableExecutionError(`the ${terms.symbol} position is gone from ${terms.venue}; waiting for its closing fills`);
      return { kind: "done", status: "closed" };
    }
    // An exit sent a moment ago may not show yet; it is reduce-only, so a later re-send can never open a position.
    if (exit.sentAt !== null && app.clock() - exit.sentAt < EXIT_RESEND_AFTER_MS) throw new RetryableExecutionError(`exit ${exit.clientOrderId} is not visible yet; looking again`);
  }
  if (report === null) {
    const market = await marketFor(app, terms.venue, terms.symbol);
    if (!broker.lookupIsAuthoritative) await applyTradeEvent(app, proposalId, (s) => (s.status === "closing" ? { kind: "order-sent", at: app.clock() } : null));
    const stopLike = state.reason === "stop-loss" || state.reason === "liquidation";
    report = await app.broker.placeOrder({
      clientOrderId: exit.clientOrderId, venue: terms.venue, symbol: terms.symbol, side: exit.side, quantity: exit.requestedQty.minus(exit.filledQty),
      reduceOnly: true, market: { referencePrice: exitReference(state, market.referencePrice), book: stopLike ? null : market.book },
    });
    crashPoint("after-exit-submit");
  }
  const found = report;
  const outcome = await applyTradeEvent(app, proposalId, (s) => (s.status === "closing" ? fillEvent("exit-filled", s.exit, found) : null), {
    crashAfterCommit: "after-close-commit",
  });
  if (outcome.ok && outcome.changed && outcome.state.status === "closed") {
    app.logger.info({ proposalId, reason: outcome.state.reason, pnl: outcome.state.realizedPnl.toString() }, `${app.broker.mode} position closed`);
    // The venue-held stop and take-profit have nothing left to protect.
    if (isLive(broker)) await broker.cancelProtection(terms.venue, terms.symbol, [stopClientOrderId(proposalId), takeProfitClientOrderId(proposalId)]);
  }
  return { kind: "done", status: outcome.state.status };
}

/** The last word on an order job that gives up: the trade fails with the reason, visibly. */
export async function giveUpExecution(app: App, proposalId: string, note: string): Promise<void> {
  const current = await applyTradeEvent(app, proposalId, () => null);
  const state = current.state;
  // An order the venue has is not given up on: it is recorded, whatever went wrong after sending it.
  const found = state.status === "submitting" || state.status === "unknown"
    ? await app.broker.findOrder(state.terms.venue, state.terms.symbol, state.entry.clientOrderId)
    : null;
  await applyTradeEvent(app, proposalId, (s) => {
    if (s.status === "approved") return { kind: "fail", reason: note };
    if (s.status !== "submitting" && s.status !== "unknown") return null;
    if (found !== null) return fillEvent("entry-filled", s.entry, found);
    // An unknown outcome on a venue whose lookup may lag is left to the reconciler, never guessed.
    if (s.status === "unknown" && !app.broker.lookupIsAuthoritative) return null;
    return { kind: "entry-rejected", reason: note };
  });
}
