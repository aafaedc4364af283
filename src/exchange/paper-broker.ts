import Decimal from "decimal.js";
import type { Db } from "../store/database";
import type { PaperOrder } from "../store/generated/client";
import type { Broker, BrokerOrder, OrderRequest } from "./broker";
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

function toBrokerOrder(row: PaperOrder): BrokerOrder {
  return {
    clientOrderId: row.clientOrderId, status: row.status === "filled" ? "filled" : "rejected", filledQty: new Decimal(row.quantity),
    avgPrice: new Decimal(row.price), fee: new Decimal(row.fee), reason: null,
  };
}

/**
 * The paper venue. It keeps its own order book of record (PaperOrder), separate from the journal,
 * as a real exchange does: a market order fills at once against the last recorded book, and a
 * client order id it already holds returns the existing order instead of a second fill. So a
 * worker that dies after placing an order and before recording it finds the order on restart.
 */
export function createPaperBroker(deps: { db: Db; takerFeeBps: number; slippageBps: number; clock: () => number }): Broker {
  return {
    mode: "paper",
    lookupIsAuthoritative: true,
    async findOrder(_venue, _symbol, clientOrderId) {
      const row = await deps.db.paperOrder.findUnique({ where: { clientOrderId } });
      return row === null ? null : toBrokerOrder(row);
    },
    async placeOrder(request: OrderRequest) {
      const existing = await deps.db.paperOrder.findUnique({ where: { clientOrderId: request.clientOrderId } });
      if (existing) return toBrokerOrder(existing);
      const fill = paperMarketFill({
        side: request.side, quantity: request.quantity.toNumber(), book: request.market.book, referencePrice: request.market.referencePrice,
        takerFeeBps: deps.takerFeeBps, slippageBps: deps.slippageBps,
      });
      // Money leaves the float world here: the fill is rounded to 1e-12 and kept as a decimal string.
      const price = new Decimal(fill.price).toDecimalPlaces(12);
      const fee = price.times(request.quantity).times(deps.takerFeeBps).div(10_000).toDecimalPlaces(12);
      // Unique client id: of two racing placements exactly one row is created; the other reads it.
      const row = await deps.db.paperOrder.upsert({
        where: { clientOrderId: request.clientOrderId },
        create: {
          clientOrderId: request.clientOrderId, venue: request.venue, symbol: request.symbol, side: request.side, quantity: request.quantity.toString(),
          price: price.toString(), fee: fee.toString(), status: "filled", reduceOnly: request.reduceOnly, ts: new Date(deps.clock()),
        },
        update: {},
      });
      return toBrokerOrder(row);
    },
  };
}
