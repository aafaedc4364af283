import Decimal from "decimal.js";

/**
 * The paper venue's fill, pure: the live paper broker (src/exchange/paper-broker.ts) and the
 * backtest's lifecycle replay (replay.ts) both fill every market order here, so a backtest pays
 * exactly what paper trading would have paid for the same order against the same book.
 *
 * A market order walks the book it is given (so size moves the price as it would), then pays a
 * fixed slippage and the taker fee. With no book — or beyond the book's recorded depth — it fills
 * at the reference price (the last traded or candle price the caller had) plus that slippage.
 */

/** [price, size in base units], best first. */
export type FillBookLevel = readonly [number, number];

export interface FillBook {
  readonly bids: readonly FillBookLevel[];
  readonly asks: readonly FillBookLevel[];
}

export interface PaperFill {
  readonly price: number;
  readonly quantity: number;
  readonly fee: number;
}

export interface PaperFillInput {
  readonly side: "buy" | "sell";
  readonly quantity: number;
  readonly book: FillBook | null;
  readonly referencePrice: number;
  readonly takerFeeBps: number;
  readonly slippageBps: number;
}

export function paperMarketFill(input: PaperFillInput): PaperFill {
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

/** A paper fill as money: the price and fee the paper venue books, exact decimals. */
export interface PaperOrderFill {
  readonly price: Decimal;
  readonly fee: Decimal;
}

/**
 * `paperMarketFill`, then out of the float world: the price rounded to 1e-12 and kept as a
 * decimal, the fee recomputed on that price in decimals (rounded to 1e-12), so what is booked is
 * exactly what the paper venue stores.
 */
export function paperOrderFill(input: Omit<PaperFillInput, "quantity"> & { readonly quantity: Decimal }): PaperOrderFill {
  const fill = paperMarketFill({ ...input, quantity: input.quantity.toNumber() });
  const price = new Decimal(fill.price).toDecimalPlaces(12);
  const fee = price.times(input.quantity).times(input.takerFeeBps).div(10_000).toDecimalPlaces(12);
  return { price, fee };
}
