import type Decimal from "decimal.js";
import type { MarketSpec } from "../core/trading/proposal-terms";
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
  /** The venue's own order id, when it has one. */
  readonly exchangeOrderId?: string | null;
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

/** A position as the venue reports it, in base units. */
export interface VenuePosition {
  readonly symbol: string;
  readonly side: "long" | "short";
  readonly quantity: Decimal;
  readonly entryPrice: Decimal;
}

/** One execution on the venue. */
export interface VenueFill {
  readonly id: string;
  readonly orderId: string | null;
  readonly side: "buy" | "sell";
  readonly quantity: Decimal;
  readonly price: Decimal;
  readonly fee: Decimal;
  readonly ts: number;
}

export interface VenueFundingPayment { readonly ts: number; readonly amount: Decimal }

export type ProtectionKind = "stop-loss" | "take-profit";

export interface ProtectionRequest {
  readonly venue: string;
  readonly symbol: string;
  /** The exit side: sell for a long. */
  readonly side: "buy" | "sell";
  readonly quantity: Decimal;
  readonly orders: readonly { readonly kind: ProtectionKind; readonly clientOrderId: string; readonly triggerPrice: number }[];
}

/** What the venue holds for one protective order after `protect`: placed now, already there, or missing with the reason. */
export interface ProtectionState {
  readonly kind: ProtectionKind;
  readonly clientOrderId: string;
  readonly outcome: "placed" | "present" | "filled" | "missing";
  readonly exchangeOrderId: string | null;
  readonly error: string | null;
}

/**
 * A live venue: beyond orders, it holds the position's stops, and the reconciler compares its
 * positions, fills and funding with the journal.
 */
export interface LiveBroker extends Broker {
  readonly mode: "live";
  /** Places the missing reduce-only stop-loss / take-profit (looked up first by client id), then verifies each is there. */
  protect(request: ProtectionRequest): Promise<ProtectionState[]>;
  /** Cancels whichever of these protective orders are still open. */
  cancelProtection(venue: string, symbol: string, clientOrderIds: readonly string[]): Promise<void>;
  /** Cancels what is left of a working order and returns it as it ended (null when the venue does not show it). */
  cancelOrder(venue: string, symbol: string, clientOrderId: string): Promise<BrokerOrder | null>;
  /** A stop-loss or take-profit by our client id (filled once it fired), or null. */
  findProtectiveOrder(venue: string, symbol: string, clientOrderId: string): Promise<BrokerOrder | null>;
  positions(venue: string): Promise<VenuePosition[]>;
  /** Executions of `symbol` since `since` (ms), oldest first. */
  fills(venue: string, symbol: string, since: number): Promise<VenueFill[]>;
  /** Funding paid or received on `symbol` since `since` (positive = received). */
  fundingPayments(venue: string, symbol: string, since: number): Promise<VenueFundingPayment[]>;
  /** A harmless authenticated call (the balance) and what the key may do. */
  checkAccess(venue: string): Promise<{ readonly equityUsd: Decimal; readonly canWithdraw: boolean | null }>;
  /**
   * What the venue allows for `symbol`, in base units: its amount step (lot), minimum amount and
   * minimum order value, and its price tick, from the venue's market listing (cached per symbol).
   * What the venue does not state comes from `configured`: the minimum order value when the
   * listing has none, and always the maintenance margin rate. Throws ExchangeError when the venue
   * cannot be asked or does not list the market.
   */
  marketSpec(venue: string, symbol: string, configured: Pick<MarketSpec, "minNotional" | "maintenanceMarginRate">): Promise<MarketSpec>;
  /**
   * The venue's price tick for `symbol`, read without a request: from a spec already fetched or
   * the market list already loaded (every order call loads it); undefined when neither is at hand.
   */
  tickSize(venue: string, symbol: string): number | undefined;
}

export const isLive = (broker: Broker): broker is LiveBroker => broker.mode === "live";

/** The placement's outcome is not known (timeout, network error, 5xx): look it up, never re-send. */
export class OrderOutcomeUnknownError extends Error {
  override readonly name = "OrderOutcomeUnknownError";
}
