import type Decimal from "decimal.js";
import type { BookLevel } from "./market-data";

/**
 * The broker seam: where orders go. The lifecycle never knows whether it talks to the paper venue
 * or to a live exchange; both keep orders under the client order id we choose, so a lookup by
 * that id tells whether an order we may or may not have sent exists — the only safe way to
 * recover from a crash or a timeout. Nothing here ever sends an order twice on its own.
 */
export interface BrokerOrder {
  readonly clientOrderId: string;
  /** open: resting or working; the rest are final. */
  readonly status: "open" | "partially-filled" | "filled" | "cancelled" | "rejected";
  readonly filledQty: Decimal;
  readonly avgPrice: Decimal | null;
  readonly fee: Decimal;
  /** The venue's words when it rejected or cancelled. */
  readonly reason: string | null;
}

export interface OrderRequest {
  readonly clientOrderId: string;
  readonly venue: string;
  readonly symbol: string;
  readonly side: "buy" | "sell";
  readonly quantity: Decimal;
  /** Exit orders only reduce a position, never open one the other way. */
  readonly reduceOnly: boolean;
  /** What the paper venue fills against; a live venue ignores it. */
  readonly market: {
    readonly referencePrice: number;
    readonly book: { readonly bids: readonly BookLevel[]; readonly asks: readonly BookLevel[] } | null;
  };
}

export interface Broker {
  readonly mode: "paper" | "live";
  /**
   * True when a lookup that finds nothing proves the order was never placed (the paper venue,
   * which is our own database). A live venue may not show an order for a moment after accepting it.
   */
  readonly lookupIsAuthoritative: boolean;
  findOrder(venue: string, symbol: string, clientOrderId: string): Promise<BrokerOrder | null>;
  /** Places a market order. A client id the venue already holds returns that order, unfilled twice never. */
  placeOrder(request: OrderRequest): Promise<BrokerOrder>;
}

/** The placement's outcome is not known (timeout, network error, 5xx): look it up, never re-send. */
export class OrderOutcomeUnknownError extends Error {
  override readonly name = "OrderOutcomeUnknownError";
}
