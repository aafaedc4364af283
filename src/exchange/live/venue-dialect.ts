import type { Exchange, Order } from "ccxt";

/** Venues perpbot can trade on (USDT-margined linear perpetuals). */
export type LiveVenue = "bybit" | "binanceusdm" | "okx" | "bitget";

export type ProtectionKind = "stop-loss" | "take-profit";

/**
 * What differs per venue when trading through ccxt: how a client order id must look, which params
 * carry it, how a reduce-only trigger order is expressed, and where an order can be found again by
 * its client id. Everything else (positions, balance, fills, funding) goes through ccxt's unified
 * methods. One file per venue implements this; `ccxt-broker.ts` never branches on the venue.
 *
 * Amounts passed in and out are in ccxt's unified unit for the market: contracts where the market
 * has a contractSize other than 1 (OKX), base units elsewhere. The broker converts.
 */
export interface VenueDialect {
  readonly venue: LiveVenue;
  /**
   * Our client order id (e.g. "p0123456789ab-e", "p0123456789ab-s") in the venue's legal form:
   * deterministic and one-to-one, so the same order always carries the same id.
   */
  clientOrderId(ours: string): string;
  /** createOrder params for a market order carrying `clientOrderId` (already in venue form). */
  marketOrderParams(clientOrderId: string, reduceOnly: boolean): Record<string, unknown>;
  /** createOrder type and params for a reduce-only stop-loss or take-profit that closes the position at market when `triggerPrice` trades. */
  protectiveOrder(kind: ProtectionKind, clientOrderId: string, triggerPrice: number): { readonly type: "market"; readonly params: Record<string, unknown> };
  /**
   * Finds an order by client id wherever the venue keeps it: the order endpoint, open orders,
   * order history, recent trades. Null only when none of them shows it (it may still appear later:
   * venues are eventually consistent). `conditional` looks among trigger orders.
   */
  findOrder(exchange: Exchange, symbol: string, clientOrderId: string, conditional: boolean): Promise<Order | null>;
  /** The symbol's open reduce-only trigger orders (stop-losses, take-profits). */
  openProtectiveOrders(exchange: Exchange, symbol: string): Promise<Order[]>;
  /** Cancels one of those trigger orders. */
  cancelProtectiveOrder(exchange: Exchange, symbol: string, order: Order): Promise<void>;
  /**
   * Called once when the client is made, before any request: venue settings every order needs,
   * including exits and stops sent after a restart (OKX names the margin mode on each order).
   */
  adaptClient?(exchange: Exchange, marginMode: "isolated" | "cross"): void;
  /** The venue's "this client order id already exists" answer, where ccxt does not raise DuplicateOrderId for it. */
  isDuplicateClientOrderId?(error: unknown): boolean;
  /** Leverage and margin mode for a symbol, before its first order. Idempotent: "not modified" answers are success. */
  prepareSymbol(exchange: Exchange, symbol: string, leverage: number, marginMode: "isolated" | "cross"): Promise<void>;
  /**
   * ccxt's fetchFundingHistory `amount` is not signed alike everywhere: Bybit's is the execution
   * fee (positive = paid), others are the balance change (positive = received). -1 flips it to
   * "received"; 1 (the default) keeps it.
   */
  readonly fundingSign?: 1 | -1;
  /** Whether the key may withdraw funds; null when the venue gives no way to tell. */
  canWithdraw(exchange: Exchange): Promise<boolean | null>;
}
