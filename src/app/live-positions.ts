import Decimal from "decimal.js";
import { snapSettlement } from "../core/trading/funding";
import type { ExitReason } from "../core/trading/intents";
import { exitSide, heldQuantity, stopClientOrderId, takeProfitClientOrderId } from "../core/trading/orders";
import type { Closing, Open } from "../core/trading/types";
import { adoptionTerms } from "../core/trading/adoption";
import { isLive, type LiveBroker, type ProtectionState, type VenueFill, type VenuePosition } from "../exchange/broker";
import { transact } from "../store/database";
import { insertProposal } from "../store/trade-repo";
import { retryOnConflict } from "../store/guard-rows";
import { claimSymbol, readSymbolClaims } from "../store/symbol-claims";
import { newProposalId } from "./compute-signals";
import { recordProtection } from "../store/protection-repo";
import type { App } from "./context";
import { RetryableExecutionError, type ExecutionResult } from "./execution-errors";
import { sendText } from "./send-text";
import { applyTradeEvent } from "./trade-flow";

/**
 * Live positions against the venue: the stop-loss and take-profit the venue holds for each open
 * trade (placed right after the fill, verified, re-placed when missing), a position the venue
 * closed by itself (its stop, a liquidation, a close in the exchange's UI) closed in the journal
 * with the venue's own fills, and funding as the venue paid it.
 */

function protectionRequest(trade: Open | Closing) {
  const { terms, position } = trade;
  return {
    venue: terms.venue, symbol: terms.symbol, side: exitSide(terms.side), quantity: heldQuantity(trade),
    orders: [
      { kind: "stop-loss" as const, clientOrderId: stopClientOrderId(terms.id), triggerPrice: position.stopPrice },
      { kind: "take-profit" as const, clientOrderId: takeProfitClientOrderId(terms.id), triggerPrice: position.takeProfitPrice },
    ],
  };
}

const words = (kind: ProtectionState["kind"]): string => (kind === "stop-loss" ? "stop-loss" : "take-profit");

/** Places and verifies an open trade's protective orders; a missing one is retried and reported once. */
export async function protectPosition(app: App, proposalId: string): Promise<ExecutionResult> {
  const broker = app.broker;
  const loaded = await applyTradeEvent(app, proposalId, () => null);
  const trade = loaded.state;
  if (!isLive(broker) || trade.status !== "open") return { kind: "nothing-to-do", status: trade.status };
  const states = await broker.protect(protectionRequest(trade));
  await recordProtection(app.db, trade, states, app.clock());
  const missing = states.filter((s) => s.outcome === "missing");
  for (const s of states.filter((x) => x.outcome === "placed")) {
    app.logger.info({ proposalId, kind: s.kind, exchangeOrderId: s.exchangeOrderId }, "protective order placed and verified on the venue");
  }
  if (missing.length > 0) {
    const list = missing.map((s) => `${words(s.kind)} (${s.error ?? "not shown"})`).join("; ");
    await sendText(app, `protect-missing-${proposalId}`, `⚠️ LIVE ${trade.terms.symbol} ${trade.terms.side} (${proposalId}): the ${list} is not on ${trade.terms.venue} yet. perpbot keeps trying and watches the mark meanwhile; check the position on the exchange.`, "data");
    throw new RetryableExecutionError(`protective order(s) missing for ${proposalId}: ${list}`);
  }
  return { kind: "done", status: trade.status };
}

/** The closing fills of a trade: fills on the exit side since entry, newest first, up to what was held. */
function closingFills(fills: readonly VenueFill[], side: "buy" | "sell", since: number, held: Decimal): VenueFill[] {
  const picked: VenueFill[] = [];
  let total = new Decimal(0);
  for (const fill of [...fills].filter((f) => f.side === side && f.ts >= since).sort((a, b) => b.ts - a.ts)) {
    if (total.gte(held)) break;
    picked.push(fill);
    total = total.plus(fill.quantity);
  }
  return picked;
}

/**
 * The venue no longer holds the position: book its close from the venue's fills. The reason is
 * the protective order that filled, or "exchange" (closed by hand on the exchange, or by the venue).
 */
export async function closeFromVenue(app: App, broker: LiveBroker, trade: Open | Closing): Promise<boolean> {
  const { terms, position } = trade;
  const held = heldQuantity(trade);
  const fills = closingFills(await broker.fills(terms.venue, terms.symbol, position.entryTs - 1_000), exitSide(terms.side), position.entryTs - 1_000, held);
  const qty = fills.reduce((sum, f) => sum.plus(f.quantity), new Decimal(0));
  if (qty.lt(held)) {
    app.logger.warn({ proposalId: terms.id, found: qty.toString(), held: held.toString() }, "the venue shows no position but not all of its closing fills yet; looking again next pass");
    return false;
  }
  const price = fills.reduce((sum, f) => sum.plus(f.price.times(f.quantity)), new Decimal(0)).div(qty);
  const fee = fills.reduce((sum, f) => sum.plus(f.fee), new Decimal(0));
  const reason = await closeReason(broker, trade);
  const outcome = await applyTradeEvent(app, terms.id, (s) => (s.status === "open" || s.status === "closing" ? { kind: "venue-closed", price, fee, reason } : null));
  if (outcome.ok && outcome.changed && outcome.state.status === "closed") {
    await broker.cancelProtection(terms.venue, terms.symbol, [stopClientOrderId(terms.id), takeProfitClientOrderId(terms.id)]).catch(() => undefined);
    const how = reason === "stop-loss" ? "its stop-loss filled" : reason === "take-profit" ? "its take-profit filled" : "it was closed on the exchange (by hand or by the venue)";
    await sendText(app, `venue-closed-${terms.id}`, `LIVE ${terms.symbol} ${terms.side} (${terms.id}) is closed: ${how}, at ${price.toSignificantDigits(8).toString()} on average. Realized PnL ${outcome.state.realizedPnl.toFixed(2)} USDT after fees and funding.`, "exit");
  }
  return outcome.ok && outcome.changed;
}

/** Which of the position's own venue orders closed it, if one did. */
async function closeReason(broker: LiveBroker, trade: Open | Closing): Promise<ExitReason> {
  const { terms } = trade;
  for (const [clientOrderId, reason] of [[stopClientOrderId(terms.id), "stop-loss"], [takeProfitClientOrderId(terms.id), "take-profit"]] as const) {
    const order = await broker.findProtectiveOrder(terms.venue, terms.symbol, clientOrderId).catch(() => null);
    if (order !== null && order.filledQty.gt(0)) return reason;
  }
  return trade.status === "closing" ? trade.reason : "exchange";
}

/** Funding the venue paid or charged on the position since entry, booked once per settlement at the venue's amount. */
async function bookVenueFunding(app: App, broker: LiveBroker, trade: Open | Closing): Promise<number> {
  const { terms, position } = trade;
  let booked = 0;
  for (const payment of await broker.fundingPayments(terms.venue, terms.symbol, position.entryTs)) {
    if (payment.ts <= position.entryTs || position.fundingSettlements.includes(snapSettlement(payment.ts))) continue;
    const outcome = await applyTradeEvent(app, terms.id, (s) => (s.status === "open" || s.status === "closing"
      ? { kind: "funding", settlementTs: payment.ts, rate: 0, markPrice: position.entryPrice.toNumber(), amount: payment.amount }
      : null));
    if (outcome.ok && outcome.changed) booked += 1;
  }
  return booked;
}

export interface LiveReconcileReport {
  readonly closedOnVenue: number;
  readonly stopsReplaced: number;
  readonly fundingBooked: number;
  readonly unknownPositions: number;
}

/** One pass: every live open trade against the venue's positions, orders and funding. */
export async function reconcileLivePositions(app: App, openTrades: readonly (Open | Closing)[]): Promise<LiveReconcileReport> {
  const broker = app.broker;
  const report = { closedOnVenue: 0, stopsReplaced: 0, fundingBooked: 0, unknownPositions: 0 };
  if (!isLive(broker)) return report;
  const venue = app.settings.tradingVenue;
  const positions = await broker.positions(venue);
  const known = new Set<string>();
  for (const trade of openTrades.filter((t) => t.terms.venue === venue)) {
    known.add(trade.terms.symbol);
    report.fundingBooked += await bookVenueFunding(app, broker, trade);
    const held = positions.find((p) => p.symbol === trade.terms.symbol);
    if (held === undefined) {
      if (await closeFromVenue(app, broker, trade)) report.closedOnVenue += 1;
      continue;
    }
    if (trade.status !== "open") continue;
    const states = await broker.protect(protectionRequest(trade));
    await recordProtection(app.db, trade, states, app.clock());
    const replaced = states.filter((s) => s.outcome === "placed");
    if (replaced.length > 0) {
      report.stopsReplaced += replaced.length;
      const list = replaced.map((s) => words(s.kind)).join(" and ");
      await sendText(app, `protect-replaced-${trade.terms.id}-${app.clock()}`, `⚠️ LIVE ${trade.terms.symbol} ${trade.terms.side} (${trade.terms.id}): the ${list} was missing on ${venue}; perpbot placed it again and checked it is there.`, "data");
    }
  }
  for (const position of positions.filter((p) => !known.has(p.symbol))) {
    report.unknownPositions += 1;
    const what = `${venue} holds a ${position.side} ${position.symbol} position of ${position.quantity.toString()} at ${position.entryPrice.toString()} that perpbot's journal did not know`;
    if (app.settings.live.unknownPositions === "adopt") {
      const adopted = await adoptPosition(app, venue, position);
      await sendText(app, `adopted-${adopted.terms.id}`, `⚠️ ${what}. Adopted as ${adopted.terms.id} (LIVE_UNKNOWN_POSITIONS=adopt): perpbot now manages it with a stop at ${adopted.position.stopPrice}, a take-profit at ${adopted.position.takeProfitPrice} and an exit due ${new Date(adopted.position.exitDueTs).toISOString()}.`, "data");
      continue;
    }
    await sendText(app, `unknown-position-${venue}-${position.symbol}-${position.side}-${position.quantity.toString()}`,
      `⚠️ ${what}. perpbot leaves it alone: manage it on the exchange, or close it there.`, "data");
  }
  return report;
}

/** Takes a venue position over as a new trade: terms from the bot's rules at its entry, then open (its stops follow). */
async function adoptPosition(app: App, venue: string, position: VenuePosition): Promise<Open> {
  const now = app.clock();
  const terms = adoptionTerms({
    id: newProposalId(), symbol: position.symbol, venue, side: position.side, quantity: position.quantity, entryPrice: position.entryPrice.toNumber(),
    risk: app.settings.risk, rewardToRisk: app.settings.rewardToRisk, maintenanceMarginRate: app.settings.market.maintenanceMarginRate,
    horizonHours: app.settings.engine.ensemble.horizonHours, now,
  });
  // The adopted trade takes the symbol's claim like any proposal (src/store/symbol-claims.ts), so a
  // proposal another process is writing for the same symbol is refused, not made beside it.
  await retryOnConflict(`the claim on ${position.symbol}`, async () => {
    const claim = (await readSymbolClaims(app.db, [position.symbol], [])).get(position.symbol);
    if (claim === undefined) throw new Error(`no claim row for ${position.symbol}`);
    await transact(app.db, async (tx) => {
      await claimSymbol(tx, claim, terms.id);
      await insertProposal(tx, terms, [], now);
    });
  });
  const outcome = await applyTradeEvent(app, terms.id, (s) => (s.status === "pending" ? { kind: "adopt", by: "reconciler (adopted from the venue)" } : null));
  if (!outcome.ok || outcome.state.status !== "open") throw new Error(`could not adopt the ${position.symbol} position: ${outcome.ok ? outcome.state.status : outcome.reason}`);
  app.logger.warn({ venue, symbol: position.symbol, proposalId: terms.id }, "adopted a venue position the journal did not know");
  return outcome.state;
}
