import type { Quote, StandInOrder } from "./exchange-account";

/**
 * The money side of the stand-in account: how a fill moves a position, what it costs, what it
 * realizes, and how margin and unrealized PnL add up. Kept apart from the order book of record and
 * fault injection (exchange-account.ts), which decide whether and when something fills.
 *
 * One position per symbol, netted as a one-way venue nets it: a fill on the other side first
 * closes (realizing PnL), and only what is left over opens a position the other way.
 */

export interface StandInPosition {
  readonly symbol: string;
  side: "long" | "short";
  /** Base units, > 0. */
  qty: number;
  entryPrice: number;
  readonly openedAt: number;
  updatedAt: number;
}

export interface StandInTrade {
  readonly id: string;
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: "buy" | "sell";
  readonly qty: number;
  readonly price: number;
  readonly fee: number;
  /** Realized on the part that reduced a position (before fees). */
  readonly realizedPnl: number;
  readonly ts: number;
  readonly reduceOnly: boolean;
}

export interface FundingPayment { readonly id: string; readonly symbol: string; readonly amount: number; readonly rate: number; readonly ts: number }

export const TAKER_FEE = 0.00055;
/** The leverage a symbol trades at until the client sets one. */
export const DEFAULT_LEVERAGE = 10;
/** Sizes below this are float residue, not a position or an unfilled rest. */
const DUST = 1e-12;

/** Margin plus taker fee that opening `amount` at `price` ties up; placement refuses more than is available. */
export function openingCost(amount: number, price: number, leverage: number): number {
  const margin = (amount * price) / leverage;
  return margin + amount * price * TAKER_FEE;
}

/** Moves the symbol's position by a fill; returns the PnL realized by the part that reduced it. */
export function applyToPosition(positions: Map<string, StandInPosition>, symbol: string, side: "buy" | "sell", qty: number, price: number, now: number): number {
  const position = positions.get(symbol);
  const direction = side === "buy" ? "long" : "short";
  if (position === undefined) {
    positions.set(symbol, { symbol, side: direction, qty, entryPrice: price, openedAt: now, updatedAt: now });
    return 0;
  }
  if (position.side === direction) {
    position.entryPrice = (position.entryPrice * position.qty + price * qty) / (position.qty + qty);
    position.qty += qty;
    position.updatedAt = now;
    return 0;
  }
  const closed = Math.min(qty, position.qty);
  const realized = (price - position.entryPrice) * closed * (position.side === "long" ? 1 : -1);
  position.qty -= closed;
  position.updatedAt = now;
  if (position.qty <= DUST) positions.delete(symbol);
  const rest = qty - closed;
  if (rest > DUST) positions.set(symbol, { symbol, side: direction, qty: rest, entryPrice: price, openedAt: now, updatedAt: now });
  return realized;
}

/**
 * Fills `qty` (> 0) of `order` at `price`: the position moves, the order's average price, filled
 * amount and fee grow. Returns the trade; the caller books it and credits its realized PnL less fee.
 */
export function fillOrder(positions: Map<string, StandInPosition>, order: StandInOrder, qty: number, price: number, now: number, tradeId: () => string): StandInTrade {
  const fee = qty * price * TAKER_FEE;
  const realizedPnl = applyToPosition(positions, order.symbol, order.side, qty, price, now);
  order.avgPrice = ((order.avgPrice ?? 0) * order.filled + price * qty) / (order.filled + qty);
  order.filled += qty;
  order.fee += fee;
  order.updatedAt = now;
  if (order.filled >= order.amount - DUST) order.status = "filled";
  return {
    id: tradeId(), orderId: order.id, clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side,
    qty, price, fee, realizedPnl, ts: now, reduceOnly: order.reduceOnly,
  };
}

/** Open positions marked at the last price (at entry when the symbol has no quote). */
export function totalUnrealizedPnl(positions: Iterable<StandInPosition>, quoteOf: (symbol: string) => Quote | undefined): number {
  let total = 0;
  for (const p of positions) {
    const last = quoteOf(p.symbol)?.last ?? p.entryPrice;
    total += (last - p.entryPrice) * p.qty * (p.side === "long" ? 1 : -1);
  }
  return total;
}

/** Initial margin of the open positions, at entry price and each symbol's leverage. */
export function totalUsedMargin(positions: Iterable<StandInPosition>, leverage: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const p of positions) total += (p.qty * p.entryPrice) / (leverage.get(p.symbol) ?? DEFAULT_LEVERAGE);
  return total;
}

/** What one funding settlement pays the account (negative: it pays); longs pay a positive rate. */
export function fundingAmount(position: StandInPosition, rate: number, markPrice: number): number {
  return -rate * position.qty * markPrice * (position.side === "long" ? 1 : -1);
}
