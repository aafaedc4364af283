import type { Exchange, Order, Trade } from "ccxt";
import { MarginModeAlreadySet } from "../ccxt-error-classes";
import { bybit } from "./ccxt-classes";
import type { ProtectionKind, VenueDialect } from "./venue-dialect";

/**
 * Bybit v5 through ccxt, USDT perps (category=linear) on a unified trading account.
 *
 * - Client ids travel as `orderLinkId` (ccxt's `clientOrderId` param): at most 36 letters, digits,
 *   '-' and '_'. Ours ("p" + 12 hex + "-" + a letter) already are, so the mapping is the identity;
 *   anything else is refused rather than silently changed.
 * - A stop-loss / take-profit is a conditional reduce-only market order: ccxt's `stopLossPrice` /
 *   `takeProfitPrice` become `triggerPrice` + `triggerDirection` (1 rise, 2 fall) + `reduceOnly`.
 *   It triggers on the last price; `closeOnTrigger` lets it close even when margin is short.
 * - /v5/order/realtime answers by orderLinkId whatever the order's status (it is also the open-orders
 *   endpoint), /v5/order/history has the closed ones once the real-time cache lost them (after a
 *   Bybit restart), /v5/execution/list the fills. `orderFilter=StopOrder` narrows to conditional orders.
 */

const ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;

/** Bybit's "Set leverage not modified": the leverage already is what was asked, which is what we wanted. */
const LEVERAGE_NOT_MODIFIED = 110043;
/** "OrderLinkedID is duplicate", which ccxt raises as a plain InvalidOrder. */
const DUPLICATE_ORDER_LINK_ID = 110072;

/** ccxt puts the venue's raw body in the error message; the retCode is the reliable part of it. */
function hasRetCode(error: unknown, code: number): boolean {
  return error instanceof Error && new RegExp(`"retCode"\\s*:\\s*"?${code}\\b`).test(error.message);
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

const trigger = (conditional: boolean): Record<string, unknown> => (conditional ? { trigger: true } : {});

/**
 * The order as its fills show it, when no order endpoint does any more. A market order is
 * immediate-or-cancel: whatever did not fill was cancelled.
 */
function orderFromFills(exchange: Exchange, symbol: string, clientOrderId: string, fills: readonly Trade[]): Order | null {
  const first = fills[0];
  if (first === undefined) return null;
  const info = record(first.info);
  const filled = fills.reduce((sum, t) => sum + (t.amount ?? 0), 0);
  const cost = fills.reduce((sum, t) => sum + (t.cost ?? (t.amount ?? 0) * (t.price ?? 0)), 0);
  const fee = fills.reduce((sum, t) => sum + (t.fee?.cost ?? 0), 0);
  const amount = Number(info["orderQty"] ?? filled);
  return exchange.safeOrder({
    info: { executions: fills.map((t) => record(t.info)) }, id: first.order, clientOrderId, symbol, type: "market", side: first.side,
    amount, filled, remaining: 0, cost, average: filled > 0 ? cost / filled : undefined, status: filled >= amount ? "closed" : "canceled",
    timestamp: first.timestamp, reduceOnly: undefined, fee: { cost: fee, currency: "USDT" }, trades: [...fills],
  }, exchange.market(symbol));
}

export const bybitDialect: VenueDialect = {
  venue: "bybit",

  clientOrderId(ours: string): string {
    if (!ORDER_LINK_ID.test(ours)) throw new RangeError(`bybit: client order id "${ours}" is not a legal orderLinkId (at most 36 of A-Z a-z 0-9 - _)`);
    return ours;
  },

  isDuplicateClientOrderId(error: unknown): boolean {
    return hasRetCode(error, DUPLICATE_ORDER_LINK_ID);
  },

  /** ccxt hands Bybit's funding execFee through as the amount: positive means paid. */
  fundingSign: -1,

  marketOrderParams(clientOrderId: string, reduceOnly: boolean): Record<string, unknown> {
    return { clientOrderId, reduceOnly };
  },

  protectiveOrder(kind: ProtectionKind, clientOrderId: string, triggerPrice: number) {
    const price = kind === "stop-loss" ? { stopLossPrice: triggerPrice } : { takeProfitPrice: triggerPrice };
    return { type: "market" as const, params: { clientOrderId, ...price, triggerBy: "LastPrice", closeOnTrigger: true } };
  },

  async findOrder(exchange: Exchange, symbol: string, clientOrderId: string, conditional: boolean): Promise<Order | null> {
    const mine = (orders: readonly Order[]) => orders.find((o) => o.clientOrderId === clientOrderId) ?? null;
    const byLink = { orderLinkId: clientOrderId, ...trigger(conditional) };
    const live = mine(await exchange.fetchOpenOrders(symbol, undefined, undefined, byLink));
    if (live !== null) return live;
    const past = mine(await exchange.fetchCanceledAndClosedOrders(symbol, undefined, undefined, byLink));
    if (past !== null) return past;
    const fills = await exchange.fetchMyTrades(symbol, undefined, undefined, { orderLinkId: clientOrderId });
    return orderFromFills(exchange, symbol, clientOrderId, fills.filter((t) => record(t.info)["orderLinkId"] === clientOrderId));
  },

  async openProtectiveOrders(exchange: Exchange, symbol: string): Promise<Order[]> {
    const open = await exchange.fetchOpenOrders(symbol, undefined, undefined, { trigger: true });
    return open.filter((o) => o.reduceOnly === true && o.triggerPrice !== undefined && o.status === "open");
  },

  async cancelProtectiveOrder(exchange: Exchange, symbol: string, order: Order): Promise<void> {
    if (order.id === undefined) throw new TypeError("bybitDialect.cancelProtectiveOrder: the order has no id");
    await exchange.cancelOrder(order.id, symbol);
  },

  /** On a unified account the margin mode is account-wide (set-margin-mode); leverage is per symbol. */
  async prepareSymbol(exchange: Exchange, symbol: string, leverage: number, marginMode: "isolated" | "cross"): Promise<void> {
    await exchange.loadMarkets();
    try {
      await exchange.setMarginMode(marginMode, symbol);
    } catch (error) {
      // A classic account answers 110026 "not modified" (ccxt's MarginModeAlreadySet); a UTA accepts a repeat.
      if (!(error instanceof MarginModeAlreadySet)) throw error;
    }
    try {
      await exchange.setLeverage(leverage, symbol);
    } catch (error) {
      if (!hasRetCode(error, LEVERAGE_NOT_MODIFIED)) throw error;
    }
  },

  /** /v5/user/query-api lists the key's permissions; "Withdraw" under Wallet is the right to withdraw. */
  async canWithdraw(exchange: Exchange): Promise<boolean | null> {
    if (!(exchange instanceof bybit)) throw new TypeError("bybitDialect.canWithdraw needs a ccxt bybit client");
    const response: unknown = await exchange.privateGetV5UserQueryApi();
    const wallet = record(record(record(response)["result"])["permissions"])["Wallet"];
    return Array.isArray(wallet) && wallet.includes("Withdraw");
  },
};
