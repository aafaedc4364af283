import type { BookLevel } from "./market-data";

/**
 * Paper fills: a market order walks the recorded book (so size moves the price as it would), then
 * pays slippage and the taker fee. With no book it fills at the reference price plus slippage.
 * Pure: the caller supplies the book it last recorded.
 */
export interface PaperFill {
  readonly price: number;
  readonly quantity: number;
  readonly fee: number;
}

export function paperMarketFill(input: {
  readonly side: "buy" | "sell";
  readonly quantity: number;
  readonly book: { readonly bids: readonly BookLevel[]; readonly asks: readonly BookLevel[] } | null;
  readonly referencePrice: number;
  readonly takerFeeBps: number;
  readonly slippageBps: number;
}): PaperFill {
  if (!(input.quantity > 0)) throw new RangeError(`paper order quantity must be positive, got ${input.quantity}`);
  const levels = input.book === null ? [] : input.side === "buy" ? input.book.asks : input.book.bids;
  let remaining = input.quantity;
  let cost = 0;
  for (const [price, size] of levels) {
    if (remaining <= 0) break;
    const take = Math.min(remaining, size);
    cost += take * price;
    remaining -= take;
  }
  // Beyond the recorded depth (or with no book), the rest fills at the worst price seen.
  const lastPrice = levels.length > 0 ? (levels[levels.length - 1]?.[0] ?? input.referencePrice) : input.referencePrice;
  cost += remaining * lastPrice;
  const averagePrice = cost / input.quantity;
  const slip = (input.side === "buy" ? 1 : -1) * averagePrice * input.slippageBps / 10_000;
  const price = averagePrice + slip;
  return { price, quantity: input.quantity, fee: price * input.quantity * input.takerFeeBps / 10_000 };
}
