import type { OrderType, PlaceError, StandInOrder } from "./exchange-account";
import type { VenueReply } from "./exchange-venue-formats";
import {
  bybitId, decimal, fail, findSymbol, flag, historyWindow, integer, lastPrice, ok, onStep, page, text, tradingRules,
  type BybitCall, type BybitEndpoint, type Params,
} from "./private-bybit-common";
import type { PrivateContext } from "./private-wire";

/**
 * Bybit v5 order endpoints for USDT perps (category=linear) on a unified account: place, cancel,
 * real-time lookup (/v5/order/realtime) and history (/v5/order/history), in Bybit's field names,
 * status words and error codes. A conditional order is one carrying `triggerPrice`; it is
 * `Untriggered` while it waits, `Deactivated` when cancelled before firing, and keeps its
 * orderLinkId when it fires as a market order.
 */

const ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;
/** Orders placed without an orderLinkId still need a unique key in the account; no real id can start with "#". */
const ANONYMOUS = "#bybit-";
let anonymousCount = 0;

/** What Bybit echoes back that the venue-neutral account does not keep. */
interface OrderExtras { readonly triggerBy: string; readonly closeOnTrigger: boolean; readonly lastPriceOnCreated: number }
const extras = new WeakMap<StandInOrder, OrderExtras>();

const PLACE_ERRORS: Readonly<Record<PlaceError, readonly [number, string]>> = {
  "duplicate-client-id": [110072, "OrderLinkedID is duplicate"],
  "insufficient-margin": [110007, "ab not enough for new order"],
  "reduce-only-rejected": [110017, "current position is zero, cannot fix reduce-only order qty"],
  "unknown-symbol": [10001, "params error: symbol invalid"],
  "invalid-amount": [10001, "params error: qty invalid"],
  "invalid-trigger-price": [10001, "params error: triggerPrice invalid"],
};

function orderStatus(o: StandInOrder): string {
  const conditional = o.triggerPrice !== null;
  switch (o.status) {
    case "open":
      return conditional ? "Untriggered" : o.filled > 0 ? "PartiallyFilled" : "New";
    case "filled":
      return "Filled";
    case "rejected":
      return "Rejected";
    case "cancelled": // a derivatives order cancelled after partial fills stays "Cancelled" with its cumExecQty
      return conditional && o.filled === 0 ? "Deactivated" : "Cancelled";
  }
}

function cancelType(o: StandInOrder): string {
  if (o.status !== "cancelled" || o.cancelReason === null) return "UNKNOWN";
  if (o.cancelReason === "cancelled by the user") return "CancelByUser";
  return o.cancelReason.includes("reduce-only") ? "CancelByReduceOnly" : "UNKNOWN";
}

function createType(o: StandInOrder): string {
  if (o.triggerPrice !== null) return "CreateByStopOrder";
  if (o.clientOrderId.startsWith("liquidation-")) return "CreateByTakeOver_PassThrough";
  return o.clientOrderId.startsWith("manual-") ? "CreateByClosing" : "CreateByUser";
}

/** 1: fires when the price rises to the trigger, 2: when it falls to it. */
function triggerDirection(o: StandInOrder): number {
  if (o.triggerPrice === null) return 0;
  return (o.type === "stop-market") === (o.side === "sell") ? 2 : 1;
}

export function orderLinkIdOf(o: StandInOrder): string {
  return o.clientOrderId.startsWith(ANONYMOUS) ? "" : o.clientOrderId;
}

export function renderOrder(o: StandInOrder, context: PrivateContext): Record<string, unknown> {
  const extra = extras.get(o);
  const conditional = o.triggerPrice !== null;
  const leaves = o.status === "open" ? o.amount - o.filled : 0;
  const cumValue = o.filled * (o.avgPrice ?? 0);
  return {
    orderId: o.id, orderLinkId: orderLinkIdOf(o), blockTradeId: "", symbol: bybitId(context, o.symbol), price: "0", qty: decimal(o.amount),
    side: o.side === "buy" ? "Buy" : "Sell", isLeverage: "", positionIdx: 0, orderStatus: orderStatus(o), createType: createType(o), cancelType: cancelType(o),
    rejectReason: "EC_NoError", avgPrice: o.avgPrice === null ? "" : decimal(o.avgPrice), leavesQty: decimal(leaves), leavesValue: decimal(leaves * (extra?.lastPriceOnCreated ?? o.avgPrice ?? 0)),
    cumExecQty: decimal(o.filled), cumExecValue: decimal(cumValue), cumExecFee: decimal(o.fee), timeInForce: "IOC", orderType: "Market",
    stopOrderType: conditional ? "Stop" : "", orderIv: "", marketUnit: "", triggerPrice: conditional ? decimal(o.triggerPrice ?? 0) : "0",
    takeProfit: "0", stopLoss: "0", tpslMode: "", ocoTriggerBy: "", tpLimitPrice: "0", slLimitPrice: "0", tpTriggerBy: "", slTriggerBy: "",
    triggerDirection: triggerDirection(o), triggerBy: conditional ? (extra?.triggerBy ?? "LastPrice") : "", lastPriceOnCreated: decimal(extra?.lastPriceOnCreated ?? 0),
    basePrice: "", reduceOnly: o.reduceOnly, closeOnTrigger: extra?.closeOnTrigger ?? false, placeType: "", smpType: "None", smpGroup: 0, smpOrderId: "",
    createdTime: String(o.createdAt), updatedTime: String(o.updatedAt), cumFeeDetail: o.filled > 0 ? { USDT: decimal(o.fee) } : {}, parentOrderLinkId: "", slippageToleranceType: "UNKNOWN", slippageTolerance: "0",
  };
}

function placeOrder({ params, context }: BybitCall): VenueReply {
  const { now, account } = context;
  const bad = (msg: string): VenueReply => fail(now, 10001, msg);
  if (text(params, "category") !== "linear") return bad("Illegal category");
  const s = findSymbol(context, text(params, "symbol"));
  if (s === undefined) return bad("params error: symbol invalid");
  const sideWord = text(params, "side");
  if (sideWord !== "Buy" && sideWord !== "Sell") return bad("params error: side invalid");
  const side = sideWord === "Buy" ? "buy" : "sell";
  const orderType = text(params, "orderType");
  if (orderType !== "Market" && orderType !== "Limit") return bad("params error: orderType invalid");
  if (orderType === "Limit") return bad("params error: the stand-in only takes Market orders");
  const linkId = text(params, "orderLinkId");
  if (linkId !== undefined && !ORDER_LINK_ID.test(linkId)) return bad("params error: orderLinkId is invalid, it supports at most 36 letters, digits, '-' and '_'");

  const rules = tradingRules(context, s);
  const qtyText = text(params, "qty");
  const qty = qtyText === undefined || !/^\d+(\.\d+)?$/.test(qtyText) ? Number.NaN : Number(qtyText);
  if (!(qty > 0)) return bad("params error: qty invalid");
  if (qty < rules.minQty) return bad("The number of contracts exceeds minimum limit allowed");
  if (!onStep(qty, rules.qtyStep)) return bad("Qty invalid");
  if (qty > rules.maxMarketQty) return bad(`The number of contracts exceeds maximum limit allowed: too large, order_qty:${Math.round(qty * 1e8)} > max_qty:${Math.round(rules.maxMarketQty * 1e8)}`);
  const reduceOnly = flag(params, "reduceOnly");
  const last = lastPrice(s);
  if (!reduceOnly && qty * last < rules.minNotional) return fail(now, 110094, `Order does not meet minimum order value ${rules.minNotional}USDT`);

  const triggerText = text(params, "triggerPrice");
  let type: OrderType = "market";
  let triggerPrice: number | null = null;
  if (triggerText !== undefined) {
    triggerPrice = Number(triggerText);
    if (!(triggerPrice > 0) || !onStep(triggerPrice, rules.tickSize)) return bad("params error: triggerPrice invalid");
    const direction = integer(params, "triggerDirection");
    if (direction !== 1 && direction !== 2) return bad("params error: triggerDirection invalid");
    const scaled = (p: number) => Math.round(p * 10 ** rules.priceScale);
    if (direction === 1 && triggerPrice <= last) return fail(now, 110092, `expect Rising, but trigger_price[${scaled(triggerPrice)}] <= current[${scaled(last)}]??LastPrice`);
    if (direction === 2 && triggerPrice >= last) return fail(now, 110093, `expect Falling, but trigger_price[${scaled(triggerPrice)}] >= current[${scaled(last)}]??LastPrice`);
    // A sell that fires on a fall (or a buy on a rise) is a stop; the other way round it takes profit.
    type = (direction === 2) === (side === "sell") ? "stop-market" : "take-profit-market";
  }

  const clientOrderId = linkId ?? `${ANONYMOUS}${++anonymousCount}`;
  const outcome = account.placeOrder({ clientOrderId, symbol: s.symbol, side, type, amount: qty, reduceOnly, triggerPrice });
  if (!outcome.ok) {
    const position = account.positions.get(s.symbol);
    if (outcome.error === "reduce-only-rejected" && position !== undefined) return fail(now, 110017, "reduce-only order has same side with current position");
    const [code, msg] = PLACE_ERRORS[outcome.error];
    return fail(now, code, msg);
  }
  extras.set(outcome.order, { triggerBy: text(params, "triggerBy") ?? "LastPrice", closeOnTrigger: flag(params, "closeOnTrigger"), lastPriceOnCreated: last });
  const reply = ok(now, { orderId: outcome.order.id, orderLinkId: linkId ?? "" });
  return { ...reply, transport: outcome.transport };
}

/** The visible orders a lookup may show: by orderId, else by orderLinkId, else by symbol / settle coin. */
function selectOrders(params: Params, context: PrivateContext): StandInOrder[] | string {
  const symbolId = text(params, "symbol");
  const settleCoin = text(params, "settleCoin");
  const baseCoin = text(params, "baseCoin");
  const orderId = text(params, "orderId");
  const linkId = text(params, "orderLinkId");
  if (symbolId === undefined && settleCoin === undefined && baseCoin === undefined && orderId === undefined && linkId === undefined) {
    return "Missing some parameters that must be filled in, symbol or settleCoin or baseCoin";
  }
  const s = findSymbol(context, symbolId);
  if (symbolId !== undefined && s === undefined) return "params error: symbol invalid";
  const filter = text(params, "orderFilter");
  // StopOrder: conditional orders; Order: the rest; the spot-only filters match nothing on linear.
  const kind = (o: StandInOrder) => filter === undefined || (filter === "StopOrder" ? o.triggerPrice !== null : filter === "Order" && o.triggerPrice === null);
  const orders = context.account.visibleOrders().filter(kind);
  if (orderId !== undefined) return orders.filter((o) => o.id === orderId);
  if (linkId !== undefined) return orders.filter((o) => o.clientOrderId === linkId);
  const quoteOf = (symbol: string) => context.symbols.find((x) => x.symbol === symbol);
  return orders.filter((o) => (s === undefined || o.symbol === s.symbol)
    && (settleCoin === undefined || quoteOf(o.symbol)?.quote === settleCoin)
    && (baseCoin === undefined || quoteOf(o.symbol)?.base === baseCoin));
}

const newestFirst = (a: StandInOrder, b: StandInOrder) => b.createdAt - a.createdAt || Number(b.id) - Number(a.id);

/** Open orders by default; `openOnly=1` the recent closed ones; by orderId/orderLinkId any status. */
function realtimeOrders({ params, context }: BybitCall): VenueReply {
  if (text(params, "category") !== "linear") return fail(context.now, 10001, "Illegal category");
  const selected = selectOrders(params, context);
  if (typeof selected === "string") return fail(context.now, 10001, selected);
  const byId = text(params, "orderId") !== undefined || text(params, "orderLinkId") !== undefined;
  const openOnly = integer(params, "openOnly") ?? 0;
  const rows = (byId ? selected : selected.filter((o) => (o.status === "open") === (openOnly === 0))).sort(newestFirst).slice(0, openOnly === 0 || byId ? undefined : 500);
  const paged = page(rows, params, { max: 50, fallback: 20 });
  if ("error" in paged) return fail(context.now, 10001, paged.error);
  return ok(context.now, { category: "linear", list: paged.rows.map((o) => renderOrder(o, context)), nextPageCursor: paged.nextPageCursor });
}

const HOUR = 3_600_000;

/**
 * Closed orders only. Those that never traded (Cancelled, Rejected, Deactivated) stay for 24 hours,
 * filled ones for the 7-day window asked for.
 */
function orderHistory({ params, context }: BybitCall): VenueReply {
  const { now } = context;
  if (text(params, "category") !== "linear") return fail(now, 10001, "Illegal category");
  const selected = selectOrders({ ...params, settleCoin: text(params, "settleCoin") ?? "USDT" }, context);
  if (typeof selected === "string") return fail(now, 10001, selected);
  const window = historyWindow(params, now);
  if ("error" in window) return fail(now, 10001, window.error);
  const status = text(params, "orderStatus");
  const rows = selected.filter((o) => o.status !== "open"
    && o.createdAt >= window.from && o.createdAt <= window.to
    && (o.filled > 0 || o.updatedAt >= now - 24 * HOUR)
    && (status === undefined || orderStatus(o) === status));
  const paged = page(rows.sort(newestFirst), params, { max: 50, fallback: 20 });
  if ("error" in paged) return fail(now, 10001, paged.error);
  return ok(now, { category: "linear", list: paged.rows.map((o) => renderOrder(o, context)), nextPageCursor: paged.nextPageCursor });
}

function cancelOrder({ params, context }: BybitCall): VenueReply {
  const { now, account } = context;
  if (text(params, "category") !== "linear") return fail(now, 10001, "Illegal category");
  const s = findSymbol(context, text(params, "symbol"));
  if (s === undefined) return fail(now, 10001, "params error: symbol invalid");
  const orderId = text(params, "orderId");
  const linkId = text(params, "orderLinkId");
  if (orderId === undefined && linkId === undefined) return fail(now, 10001, "params error: orderId or orderLinkId is required");
  const order = orderId !== undefined ? account.findById(orderId) : account.findByClientId(linkId ?? "");
  if (order === undefined || order.symbol !== s.symbol || !account.cancelOrder(order)) return fail(now, 110001, "order not exists or too late to cancel");
  return ok(now, { orderId: order.id, orderLinkId: orderLinkIdOf(order) });
}

export const ORDER_ENDPOINTS: Readonly<Record<string, { readonly method: "GET" | "POST"; readonly trading: boolean; readonly handle: BybitEndpoint }>> = {
  "/v5/order/create": { method: "POST", trading: true, handle: placeOrder },
  "/v5/order/cancel": { method: "POST", trading: true, handle: cancelOrder },
  "/v5/order/realtime": { method: "GET", trading: false, handle: realtimeOrders },
  "/v5/order/history": { method: "GET", trading: false, handle: orderHistory },
};
