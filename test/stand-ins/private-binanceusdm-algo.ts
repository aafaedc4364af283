import type { StandInOrder } from "./exchange-account";
import type { SymbolState, VenueReply } from "./exchange-venue-formats";
import { ORIG_TYPE, clientIdParam, parseBool, parseQuantity, placeError, retained } from "./private-binanceusdm-orders";
import {
  avg, bookingId, closeAll, decimalsOf, fail, findByWireId, isAlgo, isReply, inWindow, limitParam, lotRules, missing, ok, orderDoesNotExist,
  price, qty, symbolIdOf, symbolParam, unknownOrderSent, wireClientId, type BinanceCall,
} from "./private-binanceusdm-wire";

/**
 * Binance USD-M's algo service (/fapi/v1/algoOrder, openAlgoOrders, allAlgoOrders), where every
 * conditional order (STOP_MARKET, TAKE_PROFIT_MARKET, …) has lived since December 2025 and where
 * ccxt 4.5.84 sends them (algoType=CONDITIONAL, clientAlgoId, triggerPrice). An algo order that
 * fires is FINISHED here and becomes a regular market order (actualOrderId) with the same client id.
 */

const SUPPORTED = new Map<string, StandInOrder["type"]>([["STOP_MARKET", "stop-market"], ["TAKE_PROFIT_MARKET", "take-profit-market"]]);

function algoStatus(order: StandInOrder): string {
  if (order.status === "open") return "NEW";
  if (order.filled > 0 || order.status === "filled") return "FINISHED";
  if (order.cancelReason === "cancelled by the user") return "CANCELED";
  // Fired with no position left to reduce: the matching engine refused the reduce-only order.
  if (order.cancelReason?.includes("no position") === true) return "REJECTED";
  return "EXPIRED"; // cancelled by the system (the position it protected is gone)
}

/** An algo order in the algo service's format; "placed" is the shape POST answers with. */
function renderAlgo(call: BinanceCall, order: StandInOrder, form: "query" | "placed"): Record<string, unknown> {
  const whole = closeAll.has(order);
  const body: Record<string, unknown> = {
    algoId: Number(order.id), clientAlgoId: wireClientId(order), algoType: "CONDITIONAL", orderType: ORIG_TYPE[order.type],
    symbol: symbolIdOf(call, order.symbol), side: order.side.toUpperCase(), positionSide: "BOTH", timeInForce: "GTC",
    quantity: whole ? "0.000" : qty(order.amount), algoStatus: form === "placed" ? "NEW" : algoStatus(order),
    triggerPrice: price(order.triggerPrice), price: "0.00", icebergQuantity: null, selfTradePreventionMode: "EXPIRE_MAKER",
    workingType: "CONTRACT_PRICE", priceMatch: "NONE", closePosition: whole, priceProtect: false, reduceOnly: whole ? false : order.reduceOnly,
    createTime: order.createdAt, updateTime: form === "placed" ? order.createdAt : order.updatedAt,
    triggerTime: order.filled > 0 ? order.updatedAt : 0, goodTillDate: 0,
  };
  if (form === "placed") return { ...body, activatePrice: "", callbackRate: "" };
  const fired = order.filled > 0;
  return {
    ...body, actualOrderId: fired ? order.id : "", actualPrice: avg(fired ? order.avgPrice : null), actualType: fired ? "MARKET" : "",
    actualQty: fired ? qty(order.filled) : "", tpTriggerPrice: "0.000", tpPrice: "0.000", slTriggerPrice: "0.000", slPrice: "0.000", tpOrderType: "",
  };
}

/** POST /fapi/v1/algoOrder with algoType=CONDITIONAL. */
function placeAlgo(call: BinanceCall, s: SymbolState): VenueReply {
  const algoType = call.params.get("algoType");
  if (algoType === null) return missing("algoType");
  if (algoType !== "CONDITIONAL") return fail(-1130, "Data sent for parameter 'algoType' is not valid.");
  const side = call.params.get("side");
  if (side === null) return missing("side");
  if (side !== "BUY" && side !== "SELL") return fail(-1117, "Invalid side.");
  const typeName = call.params.get("type");
  if (typeName === null) return missing("type");
  const type = SUPPORTED.get(typeName);
  // Limit and trailing conditionals exist on Binance; the stand-in's account books market-style ones only.
  if (type === undefined) return fail(-1116, "Invalid orderType.");
  const positionSide = call.params.get("positionSide");
  if (positionSide !== null && positionSide !== "BOTH") return fail(-4061, "Order's position side does not match user's setting.");
  const trigger = call.params.get("triggerPrice");
  if (trigger === null || trigger === "") return missing("triggerPrice");
  if (!(Number(trigger) > 0)) return fail(-4006, "Stop price less than zero.");
  if (decimalsOf(trigger) > lotRules(call, s).pricePrecision) return fail(-1111, "Precision is over the maximum defined for this asset.");
  const clientId = clientIdParam(call, "clientAlgoId");
  if (isReply(clientId)) return clientId;
  const whole = parseBool(call, "closePosition");
  if (isReply(whole)) return whole;
  const reduceOnly = parseBool(call, "reduceOnly");
  if (isReply(reduceOnly)) return reduceOnly;
  let amount: number;
  if (whole) {
    // Close-All: "cannot be used with quantity", "cannot be used with reduceOnly".
    if (call.params.has("quantity")) return fail(-1106, "Parameter 'quantity' sent when not required.");
    if (call.params.has("reduceOnly")) return fail(-1106, "Parameter 'reduceOnly' sent when not required.");
    amount = lotRules(call, s).marketMaxQty;
  } else {
    const parsed = parseQuantity(call, s, null);
    if (isReply(parsed)) return parsed;
    amount = parsed;
  }
  const booked = bookingId(call.account, clientId, true);
  if (booked === null) return placeError("duplicate-client-id");
  const outcome = call.account.placeOrder({
    clientOrderId: booked, symbol: s.symbol, side: side === "BUY" ? "buy" : "sell", type, amount, reduceOnly: whole || reduceOnly, triggerPrice: Number(trigger),
  });
  if (!outcome.ok) return placeError(outcome.error);
  if (whole) closeAll.add(outcome.order);
  return { ...ok(renderAlgo(call, outcome.order, "placed")), transport: outcome.transport };
}

/** The algo order named by algoId or clientAlgoId (no symbol needed: algoIds are unique per account here). */
function namedAlgo(call: BinanceCall): StandInOrder | VenueReply | undefined {
  const id = call.params.get("algoId");
  const clientId = call.params.get("clientAlgoId");
  let order: StandInOrder | undefined;
  if (id !== null && id !== "") order = call.account.findById(id);
  else if (clientId !== null && clientId !== "") order = findByWireId(call.account, clientId, "algo");
  else return fail(-1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!");
  return order !== undefined && isAlgo(order) && retained(order, call.now) ? order : undefined;
}

function algoOrders(call: BinanceCall, s: SymbolState | null): StandInOrder[] {
  return call.account.visibleOrders().filter((o) => isAlgo(o) && retained(o, call.now) && (s === null || o.symbol === s.symbol));
}

export function algoEndpoint(call: BinanceCall): VenueReply | null {
  switch (`${call.method} ${call.path}`) {
    case "POST /fapi/v1/algoOrder": {
      const s = symbolParam(call, true);
      return s === null || isReply(s) ? (s ?? missing("symbol")) : placeAlgo(call, s);
    }
    case "GET /fapi/v1/algoOrder": {
      const order = namedAlgo(call);
      if (isReply(order)) return order;
      return order === undefined ? orderDoesNotExist() : ok(renderAlgo(call, order, "query"));
    }
    case "DELETE /fapi/v1/algoOrder": {
      const order = namedAlgo(call);
      if (isReply(order)) return order;
      if (order === undefined || !call.account.cancelOrder(order)) return unknownOrderSent();
      return ok({ algoId: Number(order.id), clientAlgoId: wireClientId(order), code: "200", msg: "success" });
    }
    case "GET /fapi/v1/openAlgoOrders": {
      const s = symbolParam(call, false);
      if (isReply(s)) return s;
      return ok(algoOrders(call, s).filter((o) => o.status === "open").map((o) => renderAlgo(call, o, "query")));
    }
    case "GET /fapi/v1/allAlgoOrders": {
      const s = symbolParam(call, true);
      if (s === null || isReply(s)) return s ?? missing("symbol");
      const limit = limitParam(call, 500, 1000);
      if (isReply(limit)) return limit;
      const fromId = call.params.get("algoId");
      const rows = algoOrders(call, s).filter((o) => inWindow(call, o.createdAt) && (fromId === null || Number(o.id) >= Number(fromId)));
      return ok((fromId === null ? rows.slice(-limit) : rows.slice(0, limit)).map((o) => renderAlgo(call, o, "query")));
    }
    default:
      return null;
  }
}
