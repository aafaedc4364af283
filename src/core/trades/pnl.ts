/** Profit and loss of perp positions, in quote currency (USDT). Pure. */
export type Side = "long" | "short";

export const sideSign = (side: Side): 1 | -1 => (side === "long" ? 1 : -1);

/** Price PnL before fees and funding. */
export function pricePnl(side: Side, quantity: number, entryPrice: number, exitPrice: number): number {
  return sideSign(side) * quantity * (exitPrice - entryPrice);
}

/**
 * Funding cash flow for one settlement: positive rate → longs pay shorts. Returns what the
 * position receives (negative when it pays), on the position's notional at the mark price.
 */
export function fundingCashFlow(side: Side, quantity: number, markPrice: number, rate: number): number {
  return -sideSign(side) * quantity * markPrice * rate;
}

/** Taker fee plus slippage on a fill of `notional`, in bps. */
export function tradingCost(notional: number, feeBps: number): number {
  return Math.abs(notional) * feeBps / 10_000;
}

/** Net result of a closed position: price move, minus fees, plus funding received. */
export function netPnl(input: { side: Side; quantity: number; entryPrice: number; exitPrice: number; fees: number; funding: number }): number {
  return pricePnl(input.side, input.quantity, input.entryPrice, input.exitPrice) - input.fees + input.funding;
}

/** Whether the mark has reached the stop. */
export function stopHit(side: Side, stopPrice: number, price: number): boolean {
  return side === "long" ? price <= stopPrice : price >= stopPrice;
}
