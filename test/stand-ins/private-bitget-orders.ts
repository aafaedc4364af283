import type { OrderType, PlaceOutcome, StandInAccount } from "./exchange-account";
import type { VenueReply } from "./exchange-venue-formats";
import { dec, fail, ok, rulesOf, sizeProblem } from "./public-bitget-rules";
import { productTypeProblem, symbolParam, text, unknownSymbol, type BitgetEndpoint, type BitgetRequest } from "./private-bitget-request";
import { extrasOf, toBitgetMode, type BitgetMarginMode, type TpslPlanType } from "./private-bitget-views";

/**
 * Bitget v2 mix order placement and cancellation: place-order (market only, one-way position
 * mode), place-tpsl-order (position and partial TP/SL, closing at market when triggered),
 * cancel-order and cancel-plan-order. Refusals carry Bitget's codes and texts.
 */

/** clientOid: letters, digits and - + _ # only, at most 50 characters (Bitget API FAQ, error 40304/40305). */
const CLIENT_OID = /^[0-9A-Za-z\-+_#]+$/;
const TPSL_PLAN_TYPES = new Set<string>(["pos_loss", "pos_profit", "loss_plan", "profit_plan"]);

let generatedOids = 0;
/** Bitget fills in a numeric clientOid when none is sent. */
const generatedOid = (now: number): string => `${now}${String(++generatedOids).padStart(6, "0")}`;

function clientOidProblem(oid: string | undefined, now: number): VenueReply | null {
  if (oid === undefined) return null;
  if (oid.length > 50) return fail("40304", "clientOid or clientOrderId length cannot greater than 50", now);
  return CLIENT_OID.test(oid) ? null : fail("40305", "clientOid or clientOrderId length cannot greater than 64, and cannot be Martian characters", now);
}

/** The account's refusals in Bitget's words. */
function placeFailure(outcome: Extract<PlaceOutcome, { ok: false }>, request: BitgetRequest, trigger: { kind: OrderType; side: "buy" | "sell" } | null): VenueReply {
  const now = request.context.now;
  switch (outcome.error) {
    case "duplicate-client-id":
      return fail("40786", "Duplicate clientOid", now);
    case "insufficient-margin":
      return fail("40762", "The order amount exceeds the balance", now);
    case "reduce-only-rejected":
      return fail("22002", "No position to close", now);
    case "unknown-symbol":
      return unknownSymbol(request);
    case "invalid-amount":
      return fail("40808", `Parameter verification exception size checkBDScale error value=${text(request.params, "size") ?? ""} checkScale=0`, now);
    case "invalid-trigger-price": {
      const last = /last ([\d.]+)/.exec(outcome.message)?.[1] ?? "";
      const long = trigger?.side === "sell"; // a TP/SL closing a long sells
      if (trigger?.kind === "stop-market") return long ? fail("40917", `Stop price for long positions please < mark price ${last}`, now) : fail("45122", `Short position stop loss price please > mark price ${last}`, now);
      return long ? fail("40915", `Long position take profit price please > mark price ${last}`, now) : fail("45061", `TP price of short position < Current price ${last}`, now);
    }
  }
}

function mayTrade(request: BitgetRequest): VenueReply | null {
  return request.context.account.credentials.canTrade ? null : fail("40014", "Incorrect permissions, need contract trade permissions", request.context.now);
}

/**
 * The order's margin mode decides the symbol's (Bitget has no separate switch per order): with no
 * position and no open order it switches the symbol; otherwise it must match.
 */
function adoptMarginMode(account: StandInAccount, symbol: string, wanted: BitgetMarginMode, now: number): VenueReply | null {
  if (toBitgetMode(account.marginMode.get(symbol)) === wanted) return null;
  if (account.positions.has(symbol) || account.openOrders(symbol).length > 0) return fail("45117", "Currently holding positions or orders, the margin mode cannot be adjusted", now);
  account.setMarginMode(symbol, wanted === "isolated" ? "isolated" : "cross");
  return null;
}

export const placeOrder: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const p = request.params;
  const problem = productTypeProblem(request) ?? mayTrade(request);
  if (problem !== null) return problem;
  const s = symbolParam(request);
  if (s === undefined) return fail("40019", "Parameter symbol cannot be empty", now);
  if (s === null) return unknownSymbol(request);
  const marginMode = text(p, "marginMode");
  if (marginMode !== "isolated" && marginMode !== "crossed") return fail("40020", "Parameter marginMode error", now);
  if (text(p, "marginCoin")?.toUpperCase() !== s.quote) return fail("40020", "Parameter marginCoin error", now);
  const side = text(p, "side");
  if (side !== "buy" && side !== "sell") return fail("40020", "Parameter side error", now);
  if (text(p, "orderType") !== "market") return fail("40020", "Parameter orderType error", now); // the stand-in books market orders only
  const force = text(p, "force");
  if (force !== undefined && !["gtc", "ioc", "fok", "post_only"].includes(force.toLowerCase())) return fail("40020", "Parameter force error", now);
  const reduceOnly = text(p, "reduceOnly")?.toUpperCase() === "YES";
  const size = text(p, "size") ?? "";
  const clientOid = text(p, "clientOid");
  const invalid = clientOidProblem(clientOid, now) ?? sizeProblem(size, s.base, now) ?? adoptMarginMode(account, s.symbol, marginMode, now);
  if (invalid !== null) return invalid;
  // The same last price the account fills against (ticker, else funding mark, else best bid).
  const price = s.ticker?.last ?? s.current?.markPrice ?? s.book?.bids[0]?.[0] ?? 100;
  if (!reduceOnly && Number(size) * price < rulesOf(s.base).minTradeUSDT) return fail("45110", `less than the minimum amount ${dec(rulesOf(s.base).minTradeUSDT)} USDT`, now);
  const outcome = account.placeOrder({ clientOrderId: clientOid ?? generatedOid(now), symbol: s.symbol, side, type: "market", amount: Number(size), reduceOnly, triggerPrice: null });
  if (!outcome.ok) return placeFailure(outcome, request, null);
  extrasOf(account).set(outcome.order.id, { marginMode });
  return { ...ok({ clientOid: outcome.order.clientOrderId, orderId: outcome.order.id }, now), transport: outcome.transport };
};

export const placeTpslOrder: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const p = request.params;
  const problem = productTypeProblem(request) ?? mayTrade(request);
  if (problem !== null) return problem;
  const s = symbolParam(request);
  if (s === undefined) return fail("40019", "Parameter symbol cannot be empty", now);
  if (s === null) return unknownSymbol(request);
  const planType = text(p, "planType") ?? "";
  if (!TPSL_PLAN_TYPES.has(planType)) return fail("40020", "Parameter planType error", now); // moving_plan is not modelled
  const holdSide = text(p, "holdSide");
  // One-way position mode names the position by the side that opened it.
  if (holdSide === "long" || holdSide === "short") return fail("40774", "The order type for unilateral position must also be the unilateral position type.", now);
  if (holdSide !== "buy" && holdSide !== "sell") return fail("40019", "Parameter holdSide cannot be empty", now);
  const triggerPrice = Number(text(p, "triggerPrice"));
  if (!(triggerPrice > 0)) return fail("40019", "Parameter triggerPrice cannot be empty", now);
  const triggerType = text(p, "triggerType") ?? "mark_price";
  if (triggerType !== "mark_price" && triggerType !== "fill_price") return fail("40020", "Parameter triggerType error", now);
  const executePrice = Number(text(p, "executePrice") ?? 0);
  if (executePrice !== 0) return fail("40020", "Parameter executePrice error", now); // limit execution is not modelled
  const clientOid = text(p, "clientOid");
  const oidProblem = clientOidProblem(clientOid, now);
  if (oidProblem !== null) return oidProblem;

  const position = account.positions.get(s.symbol);
  if (position === undefined || (position.side === "long") !== (holdSide === "buy")) return fail("43023", "Insufficient position, can not set profit or stop loss", now);
  const loss = planType === "pos_loss" || planType === "loss_plan";
  const wholePosition = planType.startsWith("pos_");
  if (wholePosition) {
    // One position TP and one position SL per position.
    const existing = account.openOrders(s.symbol).find((o) => extrasOf(account).get(o.id)?.planType === planType);
    if (existing !== undefined) return loss ? fail("43031", "Stop loss order already existed", now) : fail("43030", "Take profit order already existed", now);
  } else {
    const sizeIssue = sizeProblem(text(p, "size") ?? "", s.base, now);
    if (sizeIssue !== null) return sizeIssue;
  }
  const side = holdSide === "buy" ? "sell" : "buy";
  const kind: OrderType = loss ? "stop-market" : "take-profit-market";
  // A position TP/SL closes whatever the position holds (size is ignored); a partial one its size.
  const amount = wholePosition ? position.qty : Number(text(p, "size"));
  const outcome = account.placeOrder({ clientOrderId: clientOid ?? generatedOid(now), symbol: s.symbol, side, type: kind, amount, reduceOnly: true, triggerPrice });
  if (!outcome.ok) return placeFailure(outcome, request, { kind, side });
  extrasOf(account).set(outcome.order.id, { marginMode: toBitgetMode(account.marginMode.get(s.symbol)), planType: planType as TpslPlanType, triggerType });
  return { ...ok({ orderId: outcome.order.id, clientOid: outcome.order.clientOrderId }, now), transport: outcome.transport };
};

export const cancelOrder: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request) ?? mayTrade(request);
  if (problem !== null) return problem;
  const s = symbolParam(request);
  if (s === undefined) return fail("40019", "Parameter symbol cannot be empty", now);
  if (s === null) return unknownSymbol(request);
  const orderId = text(request.params, "orderId");
  const clientOid = text(request.params, "clientOid");
  if (orderId === undefined && clientOid === undefined) return fail("40924", "orderId and clientOid must have one", now);
  const order = account.visibleOrders().find((o) => o.triggerPrice === null && o.symbol === s.symbol && (orderId !== undefined ? o.id === orderId : o.clientOrderId === clientOid));
  if (order === undefined) return fail("40768", "Order does not exist", now);
  if (!account.cancelOrder(order)) return fail("45055", "The current order status cannot be cancelled", now);
  return ok({ orderId: order.id, clientOid: order.clientOrderId }, now);
};

/**
 * cancel-plan-order: the listed trigger orders (or, without a list, all of the symbol's) of the
 * given planType (default normal_plan). Orders that cannot be cancelled come back in failureList,
 * with the call itself a success.
 */
export const cancelPlanOrder: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request) ?? mayTrade(request);
  if (problem !== null) return problem;
  const s = symbolParam(request);
  if (s === null) return unknownSymbol(request);
  const planType = text(request.params, "planType") ?? "normal_plan";
  const list = request.params["orderIdList"];
  if (list !== undefined && !Array.isArray(list)) return fail("40020", "Parameter orderIdList error", now);
  if (list !== undefined && s === undefined) return fail("40019", "Parameter symbol cannot be empty", now);
  const matchesPlan = (id: string): boolean => {
    const own = extrasOf(account).get(id)?.planType;
    return planType === "profit_loss" ? own !== undefined : own === planType;
  };
  const open = account.openOrders(s?.symbol).filter((o) => o.triggerPrice !== null && matchesPlan(o.id));
  const successList: { orderId: string; clientOid: string }[] = [];
  const failureList: { orderId: string; clientOid: string; errorMsg: string }[] = [];
  const wanted = list === undefined ? open.map((o) => ({ orderId: o.id, clientOid: o.clientOrderId })) : (list as unknown[]).map((item) => {
    const entry = item !== null && typeof item === "object" ? (item as Record<string, unknown>) : {};
    return { orderId: text(entry, "orderId") ?? "", clientOid: text(entry, "clientOid") ?? "" };
  });
  for (const item of wanted) {
    // orderId prevails when both are given.
    const order = open.find((o) => (item.orderId !== "" ? o.id === item.orderId : o.clientOrderId === item.clientOid));
    if (order === undefined || !account.cancelOrder(order)) failureList.push({ ...item, errorMsg: "notExistend" });
    else successList.push({ orderId: order.id, clientOid: order.clientOrderId });
  }
  return ok({ successList, failureList }, now);
};
