import Decimal from "decimal.js";
import type { Db } from "../store/database";
import type { PaperOrder } from "../store/generated/client";
import type { Broker, BrokerOrder, OrderRequest } from "./broker";
import { paperOrderFill } from "../core/trading/paper-fill";

/**
 * The fill itself is pure and lives in the core (`paperOrderFill`), shared with the backtest's
 * lifecycle replay, so a backtest fills an order exactly as this venue would. Re-exported here
 * for the callers that know the paper venue by this module.
 */
export { paperMarketFill, type PaperFill } from "../core/trading/paper-fill";

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
      // Money leaves the float world in the core: the price rounded to 1e-12, the fee on it, decimals.
      const { price, fee } = paperOrderFill({
        side: request.side, quantity: request.quantity, book: request.market.book, referencePrice: request.market.referencePrice,
        takerFeeBps: deps.takerFeeBps, slippageBps: deps.slippageBps,
      });
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
