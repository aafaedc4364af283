import type { PlaceError, PlaceOutcome, StandInOrder } from "./exchange-account";
import type { SymbolState, VenueReply } from "./exchange-venue-formats";
import {
  CLIENT_ID_RULE, avg, bookingId, closeAll, decimalsOf, fail, findByWireId, inView, inWindow, isAlgo, isReply, lastPrice, limitParam, lotRules,
  missing, ok, orderDoesNotExist, price, qty, symbolIdOf, symbolParam, unknownOrderSent, wireClientId, type BinanceCall,
} from "./private-binanceusdm-wire";

/**
 * Binance USD-M regular orders (/fapi/v1/order, openOrders, allOrders): the matching engine's
 * side. Conditional orders live in the algo service (private-binanceusdm-algo.ts) since Binance
 * moved them there; this endpoint refuses them with -4120, and an algo order that fired shows here
 * as the market order it became, under the same client id.
 */

const DAY = 24 * 3_600_000;
/** Types Binance now takes only through POST /fapi/v1/algoOrder. */
const ALGO_ONLY = new Set(["STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]);
export const ORIG_TYPE: Readonly<Record<StandInOrder["type"], string>> = { market: "MARKET", "stop-market": "STOP_MARKET", "take-profit-market": "TAKE_PROFIT_MARKET" };

/** The venue's code and words for each refusal of the account. */
const PLACE_ERRORS: Readonly<Record<PlaceError, readonly [number, string]>> = {
  "duplicate-client-id": [-4116, "ClientOrderId is duplicated."],
  "insufficient-margin": [-2019, "Margin is insufficient."],
  "reduce-only-rejected": [-2022, "ReduceOnly Order is rejected."],
  "unknown-symbol": [-1121, "Invalid symbol."],
  "invalid-amount": [-4003, "Quantity less than or equal to zero."],
  "invalid-trigger-price": [-2021, "Order would immediately trigger."],
};

export function placeError(error: PlaceError): VenueReply {
  const [code, msg] = PLACE_ERRORS[error];
  return fail(code, msg);
}

/** Quantity as Binance checks it against the listing: present, positive, at precision, on the step, within bounds. */
export function parseQuantity(call: BinanceCall, s: SymbolState, maxQty: number | null): number | VenueReply {
  const raw = call.params.get("quantity");
  if (raw === null || raw === "") return missing("quantity");
  if (!/^-?\d+(\.\d+)?$/.test(raw)) return fail(-1100, "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.");
  const rules = lotRules(call, s);
  const amount = Number(raw);
  if (!(amount > 0)) return fail(-4003, "Quantity less than or equal to zero.");
  if (decimalsOf(raw) > rules.quantityPrecision) return fail(-1111, "Precision is over the maximum defined for this asset.");
  const steps = amount / rules.stepSize;
  if (Math.abs(steps - Math.round(steps)) > 1e-9) return fail(-4023, "Qty not increased by step size.");
  if (amount < rules.minQty - 1e-12) return fail(-4004, "Quantity less than min quantity.");
  if (maxQty !== null && amount > maxQty + 1e-12) return fail(-4005, "Quantity greater than max quantity.");
  return amount;
}

export function parseBool(call: BinanceCall, name: string): boolean | VenueReply {
  const raw = call.params.get(name);
  if (raw === null) return false;
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === "true";
  return fail(-1130, `Data sent for parameter '${name}' is not valid.`);
}

/** A client id the caller sent, checked against Binance's rule, or one made up as Binance does when none is sent. */
export function clientIdParam(call: BinanceCall, name: string): string | VenueReply {
  const raw = call.params.get(name);
  if (raw === null || raw === "") return `autoclient${call.now.toString(36)}${call.account.orders.length}`;
  if (raw.length > 36) return fail(-4015, "Client order id length should not be more than 36 chars");
  return CLIENT_ID_RULE.test(raw) ? raw : fail(-4015, "Client order id is not valid.");
}

/** Query and cancel see neither orders past Binance's retention nor algo orders that never fired. */
export function retained(order: StandInOrder, now: number): boolean {
  if (order.createdAt + 90 * DAY < now) return false;
  return !(order.status === "cancelled" && order.filled === 0 && order.createdAt + 3 * DAY < now);
}

function orderStatus(order: StandInOrder): string {
  if (order.status === "open") return order.filled > 0 ? "PARTIALLY_FILLED" : "NEW";
  if (order.status === "filled") return "FILLED";
  if (order.status === "rejected") return "REJECTED";
  // A user's cancel is CANCELED; what the engine ends by its rules (an IOC or market remainder,
  // a reduce-only order whose position is gone) is EXPIRED.
  return order.cancelReason === "cancelled by the user" ? "CANCELED" : "EXPIRED";
}

/** An order in the matching engine's format: "result" is the final state (newOrderRespType=RESULT), "ack" the accepted one. */
export function renderOrder(call: BinanceCall, order: StandInOrder, form: "query" | "result" | "ack"): Record<string, unknown> {
  const ack = form === "ack";
  const executed = ack ? 0 : order.filled;
  // A fired Close-All stop became a market order for exactly what the position held.
  const whole = closeAll.has(order) && order.filled > 0;
  const body: Record<string, unknown> = {
    orderId: Number(order.id), symbol: symbolIdOf(call, order.symbol), status: ack ? "NEW" : whole ? "FILLED" : orderStatus(order), clientOrderId: wireClientId(order),
    price: "0", avgPrice: avg(ack ? null : order.avgPrice), origQty: qty(whole ? order.filled : order.amount), executedQty: qty(executed),
    cumQty: qty(executed), cumQuote: price((ack ? 0 : order.avgPrice ?? 0) * executed), timeInForce: "GTC", type: "MARKET",
    reduceOnly: order.reduceOnly, closePosition: whole, side: order.side.toUpperCase(), positionSide: "BOTH",
    stopPrice: price(order.triggerPrice), workingType: "CONTRACT_PRICE", priceProtect: false, origType: ORIG_TYPE[order.type],
    priceMatch: "NONE", selfTradePreventionMode: "EXPIRE_MAKER", goodTillDate: 0, updateTime: ack ? order.createdAt : order.updatedAt,
  };
  if (form === "query") {
    body["time"] = order.createdAt;
    delete body["cumQty"];
  }
  return body;
}

/** POST /fapi/v1/order: a market order, the only kind the stand-in's account books. */
function place(call: BinanceCall, s: SymbolState): VenueReply {
  const side = call.params.get("side");
  if (side === null) return missing("side");
  if (side !== "BUY" && side !== "SELL") return fail(-1117, "Invalid side.");
  const type = call.params.get("type");
  if (type === null) return missing("type");
  if (ALGO_ONLY.has(type)) return fail(-4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.");
  if (type !== "MARKET") return fail(-1116, "Invalid orderType."); // resting limit orders are not modelled
  const positionSide = call.params.get("positionSide");
  if (positionSide !== null && positionSide !== "BOTH") return fail(-4061, "Order's position side does not match user's setting.");
  const clientId = clientIdParam(call, "newClientOrderId");
  if (isReply(clientId)) return clientId;
  const amount = parseQuantity(call, s, lotRules(call, s).marketMaxQty);
  if (isReply(amount)) return amount;
  const reduceOnly = parseBool(call, "reduceOnly");
  if (isReply(reduceOnly)) return reduceOnly;
  const booked = bookingId(call.account, clientId, false);
  if (booked === null) return placeError("duplicate-client-id");
  const rules = lotRules(call, s);
  if (!reduceOnly && amount * lastPrice(s) < rules.minNotional) {
    return fail(-4164, `Order's notional must be no smaller than ${rules.minNotional} (unless you choose reduce only).`);
  }
  const outcome: PlaceOutcome = call.account.placeOrder({
    clientOrderId: booked, symbol: s.symbol, side: side === "BUY" ? "buy" : "sell", type: "market", amount, reduceOnly, triggerPrice: null,
  });
  if (!outcome.ok) return placeError(outcome.error);
  const form = call.params.get("newOrderRespType") === "RESULT" ? "result" : "ack";
  return { ...ok(renderOrder(call, outcome.order, form)), transport: outcome.transport };
}

/** The order named by orderId or origClientOrderId, as query and cancel find it. */
function named(call: BinanceCall, s: SymbolState): StandInOrder | VenueReply | undefined {
  const id = call.params.get("orderId");
  const clientId = call.params.get("origClientOrderId");
  let order: StandInOrder | undefined;
  if (id !== null && id !== "") order = call.account.findById(id);
  else if (clientId !== null && clientId !== "") order = findByWireId(call.account, clientId, "regular");
  else return fail(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  if (order === undefined || order.symbol !== s.symbol || !inView(order, "regular") || !retained(order, call.now)) return undefined;
  return order;
}

function regularOrders(call: BinanceCall, s: SymbolState | null): StandInOrder[] {
  return call.account.visibleOrders().filter((o) => inView(o, "regular") && retained(o, call.now) && (s === null || o.symbol === s.symbol));
}

/** GET /fapi/v1/allOrders: at most 7 days, from orderId on or the most recent `limit`, oldest first. */
function allOrders(call: BinanceCall, s: SymbolState): VenueReply {
  const limit = limitParam(call, 500, 1000);
  if (isReply(limit)) return limit;
  const fromId = call.params.get("orderId");
  const rows = regularOrders(call, s).filter((o) => inWindow(call, o.createdAt) && (fromId === null || Number(o.id) >= Number(fromId)));
  const picked = fromId === null ? rows.slice(-limit) : rows.slice(0, limit);
  return ok(picked.map((o) => renderOrder(call, o, "query")));
}

export function ordersEndpoint(call: BinanceCall): VenueReply | null {
  const route = `${call.method} ${call.path}`;
  if (route === "GET /fapi/v1/openOrders") {
    const s = symbolParam(call, false);
    if (isReply(s)) return s;
    return ok(regularOrders(call, s).filter((o) => o.status === "open").map((o) => renderOrder(call, o, "query")));
  }
  if (!["POST /fapi/v1/order", "GET /fapi/v1/order", "DELETE /fapi/v1/order", "GET /fapi/v1/allOrders"].includes(route)) return null;
  const s = symbolParam(call, true);
  if (s === null || isReply(s)) return s ?? missing("symbol");
  if (route === "POST /fapi/v1/order") return place(call, s);
  if (route === "GET /fapi/v1/allOrders") return allOrders(call, s);
  const order = named(call, s);
  if (isReply(order)) return order;
  if (route === "GET /fapi/v1/order") return order === undefined ? orderDoesNotExist() : ok(renderOrder(call, order, "query"));
  // DELETE: only an open order of the matching engine can be cancelled here.
  if (order === undefined || isAlgo(order) || !call.account.cancelOrder(order)) return unknownOrderSent();
  return ok(renderOrder(call, order, "result"));
}
