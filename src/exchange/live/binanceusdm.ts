import type { Exchange, Fee, Order } from "ccxt";
import { MarginModeAlreadySet, OrderNotFound } from "../ccxt-error-classes";
import { binanceusdm } from "./ccxt-classes";
import type { ProtectionKind, VenueDialect } from "./venue-dialect";

/**
 * Binance USD-M futures (/fapi) through ccxt, one-way position mode.
 *
 * - Client ids travel as `newClientOrderId` (regular orders) and `clientAlgoId` (conditional
 *   orders); ccxt picks the right one from its `clientOrderId` param. Binance's rule for both is
 *   ^[.A-Z:/a-z0-9_-]{1,36}$. Ours ("p" + 12 hex + "-" + a letter) already obey it, so the mapping
 *   is the identity; anything else is refused rather than silently changed.
 * - Binance keeps a client id unique only among OPEN orders: once a market order has filled, the
 *   same id is accepted again and books a second order. The venue's dedupe therefore cannot stop a
 *   double entry; only looking the id up before sending does.
 * - Stop-loss and take-profit are reduce-only STOP_MARKET / TAKE_PROFIT_MARKET orders (ccxt's
 *   `stopLossPrice` / `takeProfitPrice`) on the last price (workingType CONTRACT_PRICE, the default).
 *   ccxt 4.5.84 sends them to the algo service (POST /fapi/v1/algoOrder, algoType=CONDITIONAL), where
 *   Binance has kept conditional orders since December 2025 (/fapi/v1/order answers -4120 for them);
 *   lookups, open orders and cancels of those go through the algo endpoints with `trigger: true`.
 * - An algo order that fires becomes a regular market order (its `actualOrderId`) carrying the same
 *   client id; its fill is read from there.
 * - Binance's order endpoints carry no fees: they are added from the order's fills (/fapi/v1/userTrades),
 *   which in turn carry no client id, so fills cannot find an order by client id on their own.
 */

const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** "Order does not exist" (-2013) is an answer, not a failure: the order is not there (yet). */
async function unlessNotFound<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof OrderNotFound) return null;
    throw error;
  }
}

const trigger = (conditional: boolean): Record<string, unknown> => (conditional ? { trigger: true } : {});

/** The order with the fees of its fills, which Binance's order endpoints leave out. */
async function withFees(exchange: Exchange, symbol: string, order: Order): Promise<Order> {
  if (order.fee?.cost !== undefined || !((order.filled ?? 0) > 0) || order.id === undefined) return order;
  const fills = (await exchange.fetchMyTrades(symbol, undefined, undefined, { orderId: order.id })).filter((t) => t.order === order.id);
  if (fills.length === 0) return order;
  const fees = fills.flatMap((t) => (t.fee?.cost === undefined ? [] : [t.fee]));
  const fee: Fee = { cost: fees.reduce((sum, f) => sum + (f.cost ?? 0), 0), currency: fees[0]?.currency ?? "USDT" };
  return { ...order, fee, trades: fills };
}

/** Where a client id can be found: the order endpoint, then open orders, then the last 7 days of history (its newest holder). */
async function lookUp(exchange: Exchange, symbol: string, clientOrderId: string, conditional: boolean): Promise<Order | null> {
  const direct = await unlessNotFound(exchange.fetchOrder("", symbol, { clientOrderId, ...trigger(conditional) }));
  if (direct !== null) return direct;
  const mine = (orders: readonly Order[]) => orders.filter((o) => o.clientOrderId === clientOrderId).at(-1) ?? null;
  const open = mine(await exchange.fetchOpenOrders(symbol, undefined, undefined, trigger(conditional)));
  if (open !== null) return open;
  return mine(await exchange.fetchOrders(symbol, undefined, undefined, trigger(conditional)));
}

export const binanceusdmDialect: VenueDialect = {
  venue: "binanceusdm",

  clientOrderId(ours: string): string {
    if (!CLIENT_ID.test(ours)) throw new RangeError(`binanceusdm: client order id "${ours}" is not legal (at most 36 of A-Z a-z 0-9 . : / _ -)`);
    return ours;
  },

  marketOrderParams(clientOrderId: string, reduceOnly: boolean): Record<string, unknown> {
    // reduceOnly is sent only when true: Binance refuses it in Hedge Mode, and false is its default.
    return reduceOnly ? { clientOrderId, reduceOnly: true } : { clientOrderId };
  },

  protectiveOrder(kind: ProtectionKind, clientOrderId: string, triggerPrice: number) {
    const price = kind === "stop-loss" ? { stopLossPrice: triggerPrice } : { takeProfitPrice: triggerPrice };
    return { type: "market" as const, params: { clientOrderId, ...price, reduceOnly: true } };
  },

  async findOrder(exchange: Exchange, symbol: string, clientOrderId: string, conditional: boolean): Promise<Order | null> {
    const order = await lookUp(exchange, symbol, clientOrderId, conditional);
    if (order === null) return null;
    const actualId = record(order.info)["actualOrderId"];
    if (conditional && typeof actualId === "string" && actualId !== "") {
      // It fired: the market order it became tells what filled, at what price, for what fee.
      const actual = await unlessNotFound(exchange.fetchOrder(actualId, symbol));
      if (actual !== null) return withFees(exchange, symbol, { ...actual, clientOrderId });
    }
    return withFees(exchange, symbol, order);
  },

  async openProtectiveOrders(exchange: Exchange, symbol: string): Promise<Order[]> {
    const open = await exchange.fetchOpenOrders(symbol, undefined, undefined, { trigger: true });
    return open.filter((o) => o.reduceOnly === true || record(o.info)["closePosition"] === true);
  },

  async cancelProtectiveOrder(exchange: Exchange, symbol: string, order: Order): Promise<void> {
    if (order.id === undefined) throw new Error(`binanceusdm: cannot cancel an order without an id (${order.clientOrderId ?? "no client id"})`);
    // "Unknown order sent" (-2011): it already fired or was cancelled; either way it no longer protects anything.
    await unlessNotFound(exchange.cancelOrder(order.id, symbol, { trigger: true }));
  },

  async prepareSymbol(exchange: Exchange, symbol: string, leverage: number, marginMode: "isolated" | "cross"): Promise<void> {
    await exchange.loadMarkets(); // fetchPositionMode does not load them itself
    // Our orders are one-way (positionSide BOTH, reduceOnly): Binance refuses both in Hedge Mode.
    const mode = await exchange.fetchPositionMode(symbol);
    if (mode.hedged === true) throw new Error("binanceusdm: the futures account is in Hedge Mode; switch it to One-way Mode (positionSide/dual) before trading");
    try {
      await exchange.setMarginMode(marginMode, symbol);
    } catch (error) {
      // -4046 "No need to change margin type.": already so. ccxt swallows it by default; an option can make it throw.
      if (!(error instanceof MarginModeAlreadySet)) throw error;
    }
    // Binance accepts the leverage it already has without complaint.
    await exchange.setLeverage(leverage, symbol);
  },

  async canWithdraw(exchange: Exchange): Promise<boolean | null> {
    if (!(exchange instanceof binanceusdm)) return null;
    // The key's restrictions live in the wallet API (api.binance.com/sapi), which futures keys may read.
    const restrictions = await exchange.sapiGetAccountApiRestrictions();
    return record(restrictions)["enableWithdrawals"] === true;
  },
};
