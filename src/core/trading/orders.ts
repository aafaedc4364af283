import Decimal from "decimal.js";
import { sideSign } from "../trades/pnl";
import type { Closing, Fill, Open, OrderState, PositionState, ProposalTerms, Side } from "./types";

/** Proposal ids are `p` + 12 hex; anything within 30 safe characters keeps the order ids legal. */
const PROPOSAL_ID = /^[A-Za-z0-9-]{1,30}$/;

function orderId(proposalId: string, suffix: string): string {
  if (!PROPOSAL_ID.test(proposalId)) {
    throw new RangeError(`proposal id ${JSON.stringify(proposalId)} cannot make a client order id (≤ 30 of [A-Za-z0-9-])`);
  }
  return `${proposalId}-${suffix}`;
}

/** The entry order's client id: the same on every retry, so the venue rejects a second send. */
export const entryClientOrderId = (proposalId: string): string => orderId(proposalId, "e");
export const exitClientOrderId = (proposalId: string): string => orderId(proposalId, "x");
/** Names the venue's forced close in the record; we never send an order with it. */
export const liquidationOrderId = (proposalId: string): string => orderId(proposalId, "l");
/** The reduce-only stop-loss and take-profit a live venue holds for the position. */
export const stopClientOrderId = (proposalId: string): string => orderId(proposalId, "s");
export const takeProfitClientOrderId = (proposalId: string): string => orderId(proposalId, "t");
/** Names, in the record, a close the venue made (its stop, the exchange UI); we never send an order with it. */
export const venueCloseOrderId = (proposalId: string): string => orderId(proposalId, "c");
/** Names, in the record, the entry of an adopted position (opened outside perpbot). */
export const adoptedOrderId = (proposalId: string): string => orderId(proposalId, "a");

export const ZERO = new Decimal(0);

export function newOrder(clientOrderId: string, side: "buy" | "sell", qty: Decimal): OrderState {
  return { clientOrderId, side, requestedQty: qty, filledQty: ZERO, avgPrice: null, fee: ZERO, status: "submitting", lastError: null, exchangeOrderId: null, sentAt: null };
}

export const entrySide = (side: Side): "buy" | "sell" => (side === "long" ? "buy" : "sell");
export const exitSide = (side: Side): "buy" | "sell" => (side === "long" ? "sell" : "buy");

/** Why a fill cannot be applied to `order`, or null. */
export function fillProblem(order: OrderState, fill: Fill): string | null {
  if (!fill.qty.isFinite() || fill.qty.isNegative()) return `a fill quantity must be zero or more, got ${fill.qty.toString()}`;
  if (fill.qty.gt(0) && !(fill.price.isFinite() && fill.price.gt(0))) return `a fill price must be positive, got ${fill.price.toString()}`;
  if (!fill.fee.isFinite()) return `a fill fee must be a number, got ${fill.fee.toString()}`;
  const total = order.filledQty.plus(fill.qty);
  if (total.gt(order.requestedQty)) {
    return `a fill of ${fill.qty.toString()} would take order ${order.clientOrderId} to ${total.toString()}, more than the ${order.requestedQty.toString()} requested (was this fill applied twice?)`;
  }
  return null;
}

/** Adds one incremental fill (checked with `fillProblem` first). */
export function addFill(order: OrderState, fill: Fill): OrderState {
  const filledQty = order.filledQty.plus(fill.qty);
  const value = (order.avgPrice ?? ZERO).times(order.filledQty).plus(fill.price.times(fill.qty));
  const avgPrice = filledQty.gt(0) ? value.div(filledQty) : null;
  const complete = filledQty.eq(order.requestedQty);
  const status = complete ? "filled" : fill.final ? "cancelled" : filledQty.gt(0) ? "partially-filled" : order.status === "unknown" ? "submitting" : order.status;
  return { ...order, filledQty, avgPrice, fee: order.fee.plus(fill.fee), status, exchangeOrderId: fill.exchangeOrderId ?? order.exchangeOrderId };
}

function roundTowards(price: number, anchor: number, tick: number | undefined): number {
  if (tick === undefined || !(tick > 0)) return price;
  const steps = new Decimal(price).div(tick);
  const rounded = (price < anchor ? steps.ceil() : steps.floor()).times(tick);
  return rounded.toNumber();
}

/**
 * The position a filled entry opens. Stop, take-profit and liquidation keep the terms' fractional
 * distance from the price, measured from the real average fill instead of the reference.
 */
export function openPosition(terms: ProposalTerms, entry: OrderState, now: number, tickSize: number | undefined): PositionState {
  const entryPrice = entry.avgPrice ?? new Decimal(terms.refPrice);
  const fill = entryPrice.toNumber();
  const anchor = (price: number): number => roundTowards(fill * (price / terms.refPrice), fill, tickSize);
  return {
    quantity: entry.filledQty,
    entryPrice,
    entryTs: now,
    stopPrice: anchor(terms.stopPrice),
    takeProfitPrice: anchor(terms.takeProfitPrice),
    liquidationPrice: anchor(terms.liquidationPrice),
    exitDueTs: now + terms.horizonHours * 3_600_000,
    fees: entry.fee,
    funding: ZERO,
    fundingSettlements: [],
  };
}

/** The quantity still held: all of it while open, less what the exit has filled while closing. */
export function heldQuantity(trade: Open | Closing): Decimal {
  return trade.status === "closing" ? trade.position.quantity.minus(trade.exit.filledQty) : trade.position.quantity;
}

/**
 * Net result in quote currency: side-signed price move on what was exited (at `exitValue`, the
 * sum of exit price × qty) and on what is still held (at `mark`), minus every fee, plus funding.
 * The same sum gives realized PnL of a closed trade and the mark-to-market of an open one.
 */
export function tradePnl(side: Side, position: PositionState, exit: OrderState | null, mark: Decimal | null): Decimal {
  const exited = exit?.filledQty ?? ZERO;
  const exitValue = exit?.avgPrice ? exit.avgPrice.times(exited) : ZERO;
  const held = position.quantity.minus(exited);
  const heldValue = held.gt(0) ? (mark ?? position.entryPrice).times(held) : ZERO;
  const move = exitValue.plus(heldValue).minus(position.entryPrice.times(position.quantity));
  return move.times(sideSign(side)).minus(position.fees).plus(position.funding);
}
