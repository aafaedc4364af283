import { fail, ok } from "./public-bitget-rules";
import { page, productTypeProblem, symbolParam, text, unknownSymbol, type BitgetEndpoint, type BitgetRequest } from "./private-bitget-request";
import { extrasOf, fillJson, regularOrderJson, regularOrders, triggerOrderJson, triggerOrders, type RegularOrder } from "./private-bitget-views";
import type { StandInOrder } from "./exchange-account";
import type { VenueReply } from "./exchange-venue-formats";

/**
 * Bitget v2 mix order lookups: order detail, orders-pending, orders-history, orders-plan-pending,
 * orders-plan-history and fills. All see only what the account shows (eventual consistency);
 * orderId prevails over clientOid when both are given, as Bitget documents.
 */

/** The symbol filter of a list call: undefined for all, null when it names an unlisted symbol. */
function listSymbol(request: BitgetRequest): string | null | undefined {
  const s = symbolParam(request);
  return s === undefined ? undefined : s === null ? null : s.symbol;
}

function byIds<T>(request: BitgetRequest, rows: readonly T[], idOf: (row: T) => string, oidOf: (row: T) => string): T[] {
  const orderId = text(request.params, "orderId");
  const clientOid = text(request.params, "clientOid");
  if (orderId !== undefined) return rows.filter((r) => idOf(r) === orderId);
  return clientOid === undefined ? [...rows] : rows.filter((r) => oidOf(r) === clientOid);
}

/** Bitget sends an empty order list as null, not []. */
const listed = (rows: readonly unknown[], endId: string | null, now: number): VenueReply => ok({ entrustedList: rows.length === 0 ? null : rows, endId }, now);

function regularList(request: BitgetRequest, open: boolean): VenueReply {
  const { account, now } = request.context;
  const problem = productTypeProblem(request);
  if (problem !== null) return problem;
  const symbol = listSymbol(request);
  if (symbol === null) return unknownSymbol(request);
  const views = regularOrders(account).filter((v) => (v.source.status === "open") === open && (symbol === undefined || v.source.symbol === symbol));
  const { rows, endId } = page(request, byIds(request, views, (v) => v.id, (v) => v.clientOid), (v) => v.source.createdAt, (v) => v.id);
  return listed(rows.map((v) => regularOrderJson(account, v, "status")), endId, now);
}

export const orderDetail: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request);
  if (problem !== null) return problem;
  const s = symbolParam(request);
  if (s === undefined) return fail("40019", "Parameter symbol cannot be empty", now);
  if (s === null) return unknownSymbol(request);
  if (text(request.params, "orderId") === undefined && text(request.params, "clientOid") === undefined) return fail("40924", "orderId and clientOid must have one", now);
  const found: RegularOrder | undefined = byIds(request, regularOrders(account).filter((v) => v.source.symbol === s.symbol), (v) => v.id, (v) => v.clientOid)[0];
  if (found === undefined) return fail("40109", "The data of the order cannot be found, please confirm the order number", now);
  return ok(regularOrderJson(account, found, "state"), now);
};

export const ordersPending: BitgetEndpoint = (request) => regularList(request, true);
export const ordersHistory: BitgetEndpoint = (request) => regularList(request, false);

function triggerList(request: BitgetRequest, open: boolean): VenueReply {
  const { account, now } = request.context;
  const problem = productTypeProblem(request);
  if (problem !== null) return problem;
  const planType = text(request.params, "planType");
  if (planType === undefined) return fail("40019", "Parameter planType cannot be empty", now);
  if (!["normal_plan", "track_plan", "profit_loss"].includes(planType)) return fail("40020", "Parameter planType error", now);
  const symbol = listSymbol(request);
  if (symbol === null) return unknownSymbol(request);
  // Every trigger order the stand-in books is a TP/SL: listed under profit_loss only.
  const inPlan = (o: StandInOrder): boolean => planType === "profit_loss" && extrasOf(account).get(o.id)?.planType !== undefined;
  const orders = triggerOrders(account).filter((o) => (o.status === "open") === open && inPlan(o) && (symbol === undefined || o.symbol === symbol));
  const { rows, endId } = page(request, byIds(request, orders, (o) => o.id, (o) => o.clientOrderId), (o) => o.createdAt, (o) => o.id);
  return listed(rows.map((o) => triggerOrderJson(account, o, !open)), endId, now);
}

export const ordersPlanPending: BitgetEndpoint = (request) => triggerList(request, true);
export const ordersPlanHistory: BitgetEndpoint = (request) => triggerList(request, false);

export const fills: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request);
  if (problem !== null) return problem;
  const symbol = listSymbol(request);
  if (symbol === null) return unknownSymbol(request);
  const orderId = text(request.params, "orderId");
  const trades = account.visibleTrades()
    .map((t) => ({ trade: t, json: fillJson(account, t) }))
    .filter(({ trade, json }) => (symbol === undefined || trade.symbol === symbol) && (orderId === undefined || json["orderId"] === orderId));
  const { rows, endId } = page(request, trades, (r) => r.trade.ts, (r) => r.trade.id);
  return ok({ fillList: rows.map((r) => r.json), endId }, now);
};
