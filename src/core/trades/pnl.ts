/** Profit and loss of perp positions, in quote currency (USDT). Pure. */
export type Side = "long" | "short";

export const sideSign = (side: Side): 1 | -1 => (side === "long" ? 1 : -1);

/**
 * Funding cash flow for one settlement: positive rate → longs pay shorts. Returns what the
 * position receives (negative when it pays), on the position's notional at the mark price.
 */
export function fundingCashFlow(side: Side, quantity: number, markPrice: number, rate: number): number {
  return -sideSign(side) * quantity * markPrice * rate;
}

/** Whether the mark has reached the stop. */
export function stopHit(side: Side, stopPrice: number, price: number): boolean {
  return side === "long" ? price <= stopPrice : price >= stopPrice;
}
