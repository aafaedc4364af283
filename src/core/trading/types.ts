import type Decimal from "decimal.js";
import type { ExitReason, Intent } from "./intents";
import type { ApprovalCheck } from "./approval-check";

/**
 * The trade lifecycle as tagged unions. Every state carries everything a card or a reconciler
 * needs, so the shell stores it whole (money as decimal strings) and never recomputes it.
 *
 *   pending → approved | rejected | expired | failed
 *   approved → submitting | failed
 *   submitting → submitting (partial) | unknown | open | failed
 *   unknown → submitting | open | failed            (resolved by lookup, never re-sent)
 *   open → closing | closed (liquidated)
 *   closing → closing (partial) | closed
 */
export type Side = "long" | "short";

export interface ProposalTerms {
  readonly id: string;
  readonly symbol: string;
  readonly venue: string;
  readonly side: Side;
  readonly signalId: number | null;
  /** The reference (mark) price the terms were computed at. */
  readonly refPrice: number;
  /** Rounded down to the venue's lot size. */
  readonly quantity: Decimal;
  /** quantity × refPrice: what the rounded quantity really is worth. */
  readonly notionalUsd: Decimal;
  /** notionalUsd / leverage: the margin the rounded quantity really commits. */
  readonly marginUsd: Decimal;
  readonly leverage: number;
  readonly stopPrice: number;
  readonly takeProfitPrice: number;
  /** Isolated-margin estimate; the venue's own figure may differ a little. */
  readonly liquidationPrice: number;
  /** Entry and exit: taker fee plus slippage, both ways. */
  readonly expectedFeesUsd: Decimal;
  /** Over the horizon at the current rate; positive = received. */
  readonly expectedFundingUsd: Decimal;
  readonly horizonHours: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly autoExecute: boolean;
}

export interface Decision {
  readonly by: string;
  readonly at: number;
  /** True when the opt-in auto-execute path approved it, not a person. */
  readonly auto: boolean;
}

export type OrderStatus = "submitting" | "partially-filled" | "filled" | "cancelled" | "rejected" | "unknown";

export interface OrderState {
  /** Deterministic: `${proposalId}-e` / `${proposalId}-x`, so a retried send is the same order. */
  readonly clientOrderId: string;
  readonly side: "buy" | "sell";
  readonly requestedQty: Decimal;
  readonly filledQty: Decimal;
  readonly avgPrice: Decimal | null;
  readonly fee: Decimal;
  readonly status: OrderStatus;
  readonly lastError: string | null;
  /** The venue's own id, once known. */
  readonly exchangeOrderId: string | null;
  /**
   * When a send of this order was first attempted (committed BEFORE the request leaves). On a venue
   * whose lookup may lag, an order with a send time that a lookup does not find is only ever looked
   * up again: it may exist. Without one, nothing was sent.
   */
  readonly sentAt: number | null;
}

export interface PositionState {
  /** What the entry filled. */
  readonly quantity: Decimal;
  /** Average entry fill. */
  readonly entryPrice: Decimal;
  readonly entryTs: number;
  /** Re-anchored to the real fill at the terms' fractional distance. */
  readonly stopPrice: number;
  readonly takeProfitPrice: number;
  readonly liquidationPrice: number;
  readonly exitDueTs: number;
  /** Every fee paid so far: entry fills, then exit fills. */
  readonly fees: Decimal;
  /** Funding received (negative when paid). */
  readonly funding: Decimal;
  /** Settlements already booked (snapped), so booking one twice is a no-op. */
  readonly fundingSettlements: readonly number[];
}

export interface Pending { readonly status: "pending"; readonly terms: ProposalTerms }
export interface Approved { readonly status: "approved"; readonly terms: ProposalTerms; readonly decision: Decision }
export interface Rejected { readonly status: "rejected"; readonly terms: ProposalTerms; readonly decision: Decision }
export interface Expired { readonly status: "expired"; readonly terms: ProposalTerms; readonly at: number }
export interface Submitting {
  readonly status: "submitting"; readonly terms: ProposalTerms; readonly decision: Decision; readonly entry: OrderState;
}
export interface Unknown {
  readonly status: "unknown"; readonly terms: ProposalTerms; readonly decision: Decision; readonly entry: OrderState;
  readonly since: number; readonly lastError: string;
}
export interface Failed {
  readonly status: "failed"; readonly terms: ProposalTerms; readonly decision: Decision | null;
  readonly reason: string; readonly at: number; readonly entry: OrderState | null;
}
export interface Open {
  readonly status: "open"; readonly terms: ProposalTerms; readonly decision: Decision; readonly entry: OrderState;
  readonly position: PositionState;
}
export interface Closing {
  readonly status: "closing"; readonly terms: ProposalTerms; readonly decision: Decision; readonly entry: OrderState;
  readonly position: PositionState; readonly exit: OrderState; readonly reason: ExitReason;
}
export interface Closed {
  readonly status: "closed"; readonly terms: ProposalTerms; readonly decision: Decision; readonly entry: OrderState;
  readonly position: PositionState; readonly exit: OrderState; readonly reason: ExitReason;
  readonly realizedPnl: Decimal; readonly closedAt: number;
}

export type TradeState = Pending | Approved | Rejected | Expired | Submitting | Unknown | Failed | Open | Closing | Closed;
export type TradeStatus = TradeState["status"];

/** One fill of an order: INCREMENTAL (each event adds to what is filled). */
export interface Fill {
  /** The venue's order id, when the report carries it. */
  readonly exchangeOrderId?: string;
  readonly qty: Decimal;
  readonly price: Decimal;
  readonly fee: Decimal;
  /** The order is done: nothing more will fill (the rest, if any, is cancelled). */
  readonly final: boolean;
}

export type TradeEvent =
  | { readonly kind: "approve"; readonly by: string; readonly auto: boolean; readonly check: ApprovalCheck }
  | { readonly kind: "reject"; readonly by: string }
  | { readonly kind: "expire" }
  /** A venue position the journal did not know is taken over as this trade (filled at the terms' reference price). */
  | { readonly kind: "adopt"; readonly by: string }
  /** Nothing was (or will be) sent: e.g. the gate closed before the entry order. */
  | { readonly kind: "fail"; readonly reason: string }
  | { readonly kind: "submit" }
  /**
   * The order is about to be sent (entry while submitting, exit while closing): its send time is
   * recorded first. `at: null` withdraws it: the venue refused the request before it reached the
   * order book (a 429, a ban), so nothing can exist.
   */
  | { readonly kind: "order-sent"; readonly at: number | null }
  | ({ readonly kind: "entry-filled" } & Fill)
  | { readonly kind: "entry-unknown"; readonly error: string }
  | { readonly kind: "entry-rejected"; readonly reason: string }
  | { readonly kind: "mark"; readonly price: number; readonly ts: number }
  /** `amount`: the venue's own figure for this position (live); without it the amount is computed from rate and mark. */
  | { readonly kind: "funding"; readonly settlementTs: number; readonly rate: number; readonly markPrice: number; readonly amount?: Decimal }
  | { readonly kind: "close-request"; readonly by: string }
  | ({ readonly kind: "exit-filled" } & Fill)
  | { readonly kind: "liquidated"; readonly price: Decimal; readonly fee: Decimal }
  /** The venue closed what is still held (its stop or take-profit order, the exchange UI, a liquidation), at `price` on average. */
  | { readonly kind: "venue-closed"; readonly price: Decimal; readonly fee: Decimal; readonly reason: ExitReason };

export type TradeEventKind = TradeEvent["kind"];

/** A transition's outcome: the new state and the work it causes, or a refusal in plain words. */
export type Result<S extends TradeState> =
  | { readonly ok: true; readonly state: S; readonly intents: readonly Intent[] }
  | { readonly ok: false; readonly reason: string };

export type StepResult = Result<TradeState>;

/** A transition that cannot be refused. */
export interface Transition<S extends TradeState> { readonly state: S; readonly intents: readonly Intent[] }

export interface LifecycleParams {
  /**
   * When set, prices re-anchored to the real entry fill are rounded to this tick, towards the
   * entry (the stop never moves further away than the terms' distance).
   */
  readonly tickSize?: number;
  /** The venue holds the position's stop-loss and take-profit (live): opening a position asks for them (a `protect` intent). */
  readonly venueStops?: boolean;
}
