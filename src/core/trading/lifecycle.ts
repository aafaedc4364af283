import Decimal from "decimal.js";
import { sideSign, stopHit } from "../trades/pnl";
import { snapSettlement } from "./funding";
import type { ExitReason, Intent } from "./intents";
import {
  addFill, entryClientOrderId, entrySide, exitClientOrderId, exitSide, fillProblem, heldQuantity,
  adoptedOrderId, liquidationOrderId, newOrder, openPosition, tradePnl, venueCloseOrderId,
} from "./orders";
import type {
  Approved, Closed, Closing, Decision, Expired, Failed, Fill, LifecycleParams, Open, Pending, Rejected,
  Result, StepResult, Submitting, TradeEvent, TradeState, TradeStatus, Transition, Unknown,
} from "./types";
import type { ApprovalCheck } from "./approval-check";

/**
 * The trade lifecycle as pure transitions. Each function takes only the states it is legal from,
 * so an illegal transition does not compile; `step` is the one runtime dispatcher for the shell,
 * which applies a result as a conditional update from the state it read (so a double click, or a
 * click on two platforms, moves a trade once) and writes the intents in the same transaction.
 *
 * Fills are INCREMENTAL: each `entry-filled` / `exit-filled` adds one fill. The core refuses a
 * fill that would exceed the order, but cannot tell a repeated fill from a second one of the same
 * size: the shell must apply each venue fill once (keyed by the venue's trade id).
 */
const card = (state: TradeState): Intent => ({ kind: "card", proposalId: state.terms.id });
const iso = (ts: number): string => new Date(ts).toISOString();
const ok = <S extends TradeState>(state: S, intents: readonly Intent[]): { ok: true; state: S; intents: readonly Intent[] } => ({ ok: true, state, intents });
const no = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
/** A position just opened: its card, and on a venue that holds stops, the request to place them. */
const opened = (state: Open, params: LifecycleParams): Intent[] => (params.venueStops ? [{ kind: "protect", proposalId: state.terms.id }, card(state)] : [card(state)]);

export function approve(state: Pending, event: { by: string; auto: boolean; check: ApprovalCheck }, now: number): Result<Approved> {
  if (now >= state.terms.expiresAt) return no(`This proposal expired at ${iso(state.terms.expiresAt)} and can no longer be approved.`);
  if (event.auto && !state.terms.autoExecute) return no("Auto-execute is off for this proposal; it needs a person's approval.");
  if (!event.check.ok) return no(event.check.reason);
  const next: Approved = { status: "approved", terms: state.terms, decision: { by: event.by, at: now, auto: event.auto } };
  return ok(next, [{ kind: "execute", proposalId: state.terms.id }, card(next)]);
}

export function reject(state: Pending, event: { by: string }, now: number): Transition<Rejected> {
  const next: Rejected = { status: "rejected", terms: state.terms, decision: { by: event.by, at: now, auto: false } };
  return { state: next, intents: [card(next)] };
}

export function expire(state: Pending, now: number): Result<Expired> {
  if (now < state.terms.expiresAt) return no(`This proposal is valid until ${iso(state.terms.expiresAt)}; it has not expired.`);
  const next: Expired = { status: "expired", terms: state.terms, at: now };
  return ok(next, [card(next)]);
}

/**
 * A position already on the venue, opened outside perpbot, becomes this trade: its entry is what
 * the venue holds (no fee known), and from here it is managed like any other, stops included.
 */
export function adopt(state: Pending, event: { by: string }, now: number, params: LifecycleParams = {}): Transition<Open> {
  const { terms } = state;
  const entry = { ...newOrder(adoptedOrderId(terms.id), entrySide(terms.side), terms.quantity), filledQty: terms.quantity, avgPrice: new Decimal(terms.refPrice), status: "filled" as const };
  const next: Open = { status: "open", terms, decision: { by: event.by, at: now, auto: true }, entry, position: openPosition(terms, entry, now, params.tickSize) };
  return { state: next, intents: opened(next, params) };
}

/** Nothing was sent: e.g. the gate closed between approval and the entry order. */
export function fail(state: Pending | Approved, event: { reason: string }, now: number): Transition<Failed> {
  const decision = state.status === "approved" ? state.decision : null;
  const next: Failed = { status: "failed", terms: state.terms, decision, reason: event.reason, at: now, entry: null };
  return { state: next, intents: [card(next)] };
}

/** Records the entry order before it is sent; its client id makes a re-send the same order. */
export function submit(state: Approved, _now: number): Transition<Submitting> {
  const { terms } = state;
  const entry = newOrder(entryClientOrderId(terms.id), entrySide(terms.side), terms.quantity);
  const next: Submitting = { status: "submitting", terms, decision: state.decision, entry };
  return { state: next, intents: [card(next)] };
}

export function applyEntryFill(state: Submitting | Unknown, fill: Fill, now: number, params: LifecycleParams = {}): Result<Submitting | Open | Failed> {
  const problem = fillProblem(state.entry, fill);
  if (problem) return no(`Entry fill not recorded: ${problem}.`);
  const entry = addFill(state.entry, fill);
  const { terms, decision } = state;
  if (entry.status === "filled" || (fill.final && entry.filledQty.gt(0))) {
    const next: Open = { status: "open", terms, decision, entry, position: openPosition(terms, entry, now, params.tickSize) };
    return ok(next, opened(next, params));
  }
  if (fill.final) {
    const next: Failed = { status: "failed", terms, decision, reason: "The entry order ended with nothing filled.", at: now, entry };
    return ok(next, [card(next)]);
  }
  const next: Submitting = { status: "submitting", terms, decision, entry };
  return ok(next, [card(next)]);
}

/**
 * The entry (or exit) is about to be sent: its send time is recorded first, and kept from the
 * first attempt. No card: nothing a person needs to see has changed.
 */
export function markSent<S extends Submitting | Closing>(state: S, event: { at: number | null }): Transition<S> {
  const order = state.status === "submitting" ? state.entry : state.exit;
  // The first attempt's time is kept; only a refusal before the book clears it.
  if (event.at !== null ? order.sentAt !== null : order.sentAt === null) return { state, intents: [] };
  const marked = { ...order, sentAt: event.at };
  const next: S = state.status === "submitting" ? { ...state, entry: marked } : { ...state, exit: marked };
  return { state: next, intents: [] };
}

/** The placement timed out or the venue answered 5xx: the order may exist. Look it up, never re-send. */
export function markEntryUnknown(state: Submitting | Unknown, event: { error: string }, now: number): Transition<Unknown> {
  const entry = { ...state.entry, status: "unknown" as const, lastError: event.error };
  const since = state.status === "unknown" ? state.since : now;
  const next: Unknown = { status: "unknown", terms: state.terms, decision: state.decision, entry, since, lastError: event.error };
  return { state: next, intents: [{ kind: "resolve-order", proposalId: state.terms.id, clientOrderId: entry.clientOrderId }, card(next)] };
}

/**
 * The entry did not (fully) happen: the venue refused it, the lookup proved it was never placed,
 * or we gave up before sending it; `reason` says which, in words for the chat. With nothing filled the trade
 * failed; if part of it had already filled, that part is a real position and is opened.
 */
export function rejectEntry(state: Submitting | Unknown, event: { reason: string }, now: number, params: LifecycleParams = {}): Transition<Failed | Open> {
  const { terms, decision } = state;
  if (state.entry.filledQty.gt(0)) {
    const entry = { ...state.entry, status: "cancelled" as const, lastError: event.reason };
    const next: Open = { status: "open", terms, decision, entry, position: openPosition(terms, entry, now, params.tickSize) };
    return { state: next, intents: opened(next, params) };
  }
  const entry = { ...state.entry, status: "rejected" as const, lastError: event.reason };
  const next: Failed = { status: "failed", terms, decision, reason: event.reason, at: now, entry };
  return { state: next, intents: [card(next)] };
}

function startClosing(state: Open, reason: ExitReason): Transition<Closing> {
  const { terms, position } = state;
  const exit = newOrder(exitClientOrderId(terms.id), exitSide(terms.side), position.quantity);
  const next: Closing = { ...state, status: "closing", exit, reason };
  return { state: next, intents: [{ kind: "close", proposalId: terms.id, reason }, card(next)] };
}

/** The exit a mark calls for, by priority: liquidation > stop-loss > take-profit > horizon. */
export function exitReasonAt(state: Open, price: number, now: number): ExitReason | null {
  const { side } = state.terms;
  const p = state.position;
  if (side === "long" ? price <= p.liquidationPrice : price >= p.liquidationPrice) return "liquidation";
  if (stopHit(side, p.stopPrice, price)) return "stop-loss";
  if (side === "long" ? price >= p.takeProfitPrice : price <= p.takeProfitPrice) return "take-profit";
  if (now >= p.exitDueTs) return "horizon";
  return null;
}

export function markOpen(state: Open, event: { price: number; ts: number }, now: number): Result<Open | Closing> {
  if (!(Number.isFinite(event.price) && event.price > 0)) return no(`Mark not applied: the price must be positive, got ${event.price}.`);
  const reason = exitReasonAt(state, event.price, now);
  if (reason === null) return ok(state, []);
  return { ok: true, ...startClosing(state, reason) };
}

export function requestClose(state: Open, _event: { by: string }, _now: number): Transition<Closing> {
  return startClosing(state, "manual");
}

/** Books one settlement, once: a settlement already booked (after snapping) changes nothing. */
export function bookFunding(state: Open | Closing, event: { settlementTs: number; rate: number; markPrice: number; amount?: Decimal }, now: number): Result<Open | Closing> {
  const ts = snapSettlement(event.settlementTs);
  const p = state.position;
  if (p.fundingSettlements.includes(ts)) return ok(state, []);
  if (ts <= p.entryTs) return no(`Funding not booked: the settlement at ${iso(ts)} is not after the entry at ${iso(p.entryTs)}.`);
  if (ts > now) return no(`Funding not booked: the settlement at ${iso(ts)} has not happened yet.`);
  if (!Number.isFinite(event.rate) || !(event.markPrice > 0)) return no(`Funding not booked: rate ${event.rate} at mark ${event.markPrice} is not a settlement.`);
  const amount = event.amount ?? heldQuantity(state).times(event.markPrice).times(event.rate).times(-sideSign(state.terms.side));
  const position = { ...p, funding: p.funding.plus(amount), fundingSettlements: [...p.fundingSettlements, ts].sort((a, b) => a - b) };
  const next = { ...state, position };
  return ok(next, [card(next)]);
}

function close(state: Closing, exit: Closing["exit"], position: Closing["position"], reason: ExitReason, now: number): Closed {
  const realizedPnl = tradePnl(state.terms.side, position, exit, null);
  return { ...state, status: "closed", exit, position, reason, realizedPnl, closedAt: now };
}

export function applyExitFill(state: Closing, fill: Fill, now: number): Result<Closing | Closed> {
  const problem = fillProblem(state.exit, fill);
  if (problem) return no(`Exit fill not recorded: ${problem}.`);
  const exit = addFill(state.exit, fill);
  const position = { ...state.position, fees: state.position.fees.plus(fill.fee) };
  if (exit.status === "filled") {
    const next = close(state, exit, position, state.reason, now);
    return ok(next, [card(next)]);
  }
  if (fill.final) {
    // The exit ended short of the position (cancelled by the venue): the rest is still held and
    // needs a person; the trade stays closing so nothing treats the symbol as free.
    const remaining = position.quantity.minus(exit.filledQty);
    const next: Closing = { ...state, position, exit: { ...exit, lastError: `ended with ${remaining.toString()} still open` } };
    const text = `The exit order for ${state.terms.symbol} (${state.terms.id}) ended with ${remaining.toString()} of ${position.quantity.toString()} still open. Close the rest on ${state.terms.venue} by hand.`;
    return ok(next, [card(next), { kind: "text", key: `exit-short-${state.terms.id}-${exit.filledQty.toString()}`, text, event: "exit" }]);
  }
  const next: Closing = { ...state, position, exit };
  return ok(next, [card(next)]);
}

/** The venue liquidated the position: what is still held went at `price`. */
export function liquidate(state: Open | Closing, event: { price: Decimal; fee: Decimal }, now: number): Transition<Closed> {
  return closeByVenue(state, { ...event, reason: "liquidation" }, now);
}

/** The exit record of a close the venue made; its own orders (stop, take-profit) keep their own records. */
function venueOrderId(proposalId: string, reason: ExitReason): string {
  return reason === "liquidation" ? liquidationOrderId(proposalId) : venueCloseOrderId(proposalId);
}

/**
 * The venue closed what is still held, at `price` on average: its stop-loss or take-profit fired,
 * it liquidated, or someone closed the position in the exchange's UI. The journal takes the
 * venue's fill and fee as they are.
 */
export function closeByVenue(state: Open | Closing, event: { price: Decimal; fee: Decimal; reason: ExitReason }, now: number): Transition<Closed> {
  const held = heldQuantity(state);
  const prior = state.status === "closing" ? state.exit : newOrder(venueOrderId(state.terms.id, event.reason), exitSide(state.terms.side), state.position.quantity);
  const value = (prior.avgPrice ?? new Decimal(0)).times(prior.filledQty).plus(event.price.times(held));
  const exit = { ...prior, filledQty: state.position.quantity, avgPrice: value.div(state.position.quantity), fee: prior.fee.plus(event.fee), status: "filled" as const };
  const position = { ...state.position, fees: state.position.fees.plus(event.fee) };
  const closing: Closing = state.status === "closing" ? state : { ...state, status: "closing", exit: prior, reason: event.reason };
  const next = close(closing, exit, position, event.reason, now);
  return { state: next, intents: [card(next)] };
}

export function describeStatus(status: TradeStatus): string {
  switch (status) {
    case "pending": return "waiting for approval";
    case "approved": return "approved and being executed";
    case "rejected": return "rejected";
    case "expired": return "expired";
    case "submitting": return "placing its entry order";
    case "unknown": return "waiting to learn whether its entry order went through";
    case "failed": return "failed: nothing was traded";
    case "open": return "open";
    case "closing": return "being closed";
    case "closed": return "closed";
  }
}

/** While a trade is in one of these states its symbol is busy: no second proposal. */
export function isActive(status: TradeStatus): boolean {
  return status === "pending" || status === "approved" || status === "submitting" || status === "unknown" || status === "open" || status === "closing";
}

function decisionWords(decision: Decision): string {
  return decision.auto ? "automatically (auto-execute)" : `by ${decision.by}`;
}

function refusal(state: TradeState, event: TradeEvent): string {
  if ((event.kind === "approve" || event.kind === "reject") && state.status !== "pending") {
    if (state.status === "rejected") return `Nothing done: this proposal was already rejected by ${state.decision.by}.`;
    if (state.status === "expired") return `Nothing done: this proposal expired at ${iso(state.terms.expiresAt)}.`;
    if ("decision" in state && state.decision) return `Nothing done: this proposal was already approved ${decisionWords(state.decision)}.`;
  }
  return `Nothing done: a trade that is ${describeStatus(state.status)} cannot take "${event.kind}".`;
}

const wrap = <S extends TradeState>(t: Transition<S>): StepResult => ({ ok: true, ...t });

/** The shell's one entry point: any runtime state, any event. */
export function step(state: TradeState, event: TradeEvent, now: number, params: LifecycleParams = {}): StepResult {
  const s = state;
  switch (event.kind) {
    case "approve": if (s.status === "pending") return approve(s, event, now); break;
    case "reject": if (s.status === "pending") return wrap(reject(s, event, now)); break;
    case "adopt": if (s.status === "pending") return wrap(adopt(s, event, now, params)); break;
    case "expire": if (s.status === "pending") return expire(s, now); break;
    case "fail": if (s.status === "pending" || s.status === "approved") return wrap(fail(s, event, now)); break;
    case "submit": if (s.status === "approved") return wrap(submit(s, now)); break;
    case "order-sent": if (s.status === "submitting" || s.status === "closing") return wrap(markSent(s, event)); break;
    case "entry-filled": if (s.status === "submitting" || s.status === "unknown") return applyEntryFill(s, event, now, params); break;
    case "entry-unknown": if (s.status === "submitting" || s.status === "unknown") return wrap(markEntryUnknown(s, event, now)); break;
    case "entry-rejected": if (s.status === "submitting" || s.status === "unknown") return wrap(rejectEntry(s, event, now, params)); break;
    case "mark": if (s.status === "open") return markOpen(s, event, now); break;
    case "funding": if (s.status === "open" || s.status === "closing") return bookFunding(s, event, now); break;
    case "close-request": if (s.status === "open") return wrap(requestClose(s, event, now)); break;
    case "exit-filled": if (s.status === "closing") return applyExitFill(s, event, now); break;
    case "liquidated": if (s.status === "open" || s.status === "closing") return wrap(liquidate(s, event, now)); break;
    case "venue-closed": if (s.status === "open" || s.status === "closing") return wrap(closeByVenue(s, event, now)); break;
  }
  return no(refusal(state, event));
}
