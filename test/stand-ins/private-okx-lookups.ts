import type { StandInOrder } from "./exchange-account";
import type { SymbolState, VenueReply } from "./exchange-venue-formats";
import type { PrivateContext } from "./private-wire";
import { algoRow, algoState, fillRow, isConditional, isRegular, orderRow, regularState } from "./private-okx-render";
import { badParam, fail, findInstrument, missingParam, ok, pageLimit, param, type OkxRoute } from "./private-okx-wire";

/**
 * Finding orders and fills again on OKX v5: /trade/order (one order by ordId or clOrdId),
 * /trade/orders-pending, /trade/orders-history (7 days) and -archive (3 months), /trade/order-algo,
 * /trade/orders-algo-pending, /trade/orders-algo-history, /trade/fills (3 days) and
 * /trade/fills-history (3 months). Lists are newest first. Only what the account lets be seen
 * (`visibleOrders`, `visibleTrades`) is shown, and OKX forgets an order cancelled without a fill
 * after two hours.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const INSTRUMENT_TYPES = ["SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"];
const ORDER_NOT_FOUND = fail("51603", "Order does not exist");

/** Where an instType/instId filter leaves the listing: the one instrument, all, no SWAP at all (empty), or a bad parameter. */
type Scope = { readonly s: SymbolState | undefined; readonly empty: boolean } | VenueReply;

function scope(query: URLSearchParams, context: PrivateContext, instTypeRequired: boolean): Scope {
  const instType = param(query, "instType");
  if (instType === undefined && instTypeRequired) return missingParam("instType");
  if (instType !== undefined && !INSTRUMENT_TYPES.includes(instType)) return badParam("instType");
  const instId = param(query, "instId");
  const s = findInstrument(context, instId);
  if (instId !== undefined && s === undefined) return fail("51001", "Instrument ID or Spread ID doesn't exist.");
  return { s, empty: instType !== undefined && instType !== "SWAP" };
}

const isReply = (x: Scope): x is VenueReply => "status" in x;

/** A cancelled order that never filled is gone from OKX's lookups after two hours. */
const forgotten = (o: StandInOrder, now: number): boolean => o.status === "cancelled" && o.filled === 0 && now - o.updatedAt > 2 * HOUR;

/** The listing of a symbol the account traded (it cannot have traded an unlisted one). */
function listed(context: PrivateContext, symbol: string): SymbolState {
  const s = context.symbols.find((x) => x.symbol === symbol);
  if (s === undefined) throw new Error(`stand-in: the account traded ${symbol}, which is not listed`);
  return s;
}

const lastPrice = (s: SymbolState): number => s.ticker?.last ?? s.current?.markPrice ?? 100;

function listOrders(query: URLSearchParams, context: PrivateContext, options: { instTypeRequired: boolean; pick: (o: StandInOrder) => boolean; algo: boolean }): VenueReply {
  const where = scope(query, context, options.instTypeRequired);
  if (isReply(where)) return where;
  const limit = pageLimit(query);
  if (limit === null) return badParam("limit");
  if (where.empty) return ok([]);
  const begin = Number(param(query, "begin") ?? 0);
  const end = Number(param(query, "end") ?? Number.MAX_SAFE_INTEGER);
  const rows = context.account.visibleOrders()
    .filter((o) => (where.s === undefined || o.symbol === where.s.symbol) && o.createdAt >= begin && o.createdAt <= end && !forgotten(o, context.now) && options.pick(o))
    .reverse().slice(0, limit)
    .map((o) => {
      const s = listed(context, o.symbol);
      return options.algo ? algoRow(context.account, o, s, lastPrice(s)) : orderRow(context.account, o, s);
    });
  return ok(rows);
}

export const getOrder: OkxRoute = ({ query }, context) => {
  const instId = param(query, "instId");
  if (instId === undefined) return missingParam("instId");
  const s = findInstrument(context, instId);
  if (s === undefined) return fail("51001", "Instrument ID or Spread ID doesn't exist.");
  const ordId = param(query, "ordId");
  const clOrdId = param(query, "clOrdId");
  if (ordId === undefined && clOrdId === undefined) return fail("51003", "Either client order ID or order ID is required.");
  const order = context.account.visibleOrders().find((o) =>
    o.symbol === s.symbol && isRegular(o) && !forgotten(o, context.now) && (ordId !== undefined ? o.id === ordId : !isConditional(o) && o.clientOrderId === clOrdId));
  return order === undefined ? ORDER_NOT_FOUND : ok([orderRow(context.account, order, s)]);
};

/** The ordType filter of the regular lists: every order here is a market order (a fired conditional's child too). */
const ordTypeMatches = (query: URLSearchParams): boolean => (param(query, "ordType") ?? "market").split(",").includes("market");

export const getOrdersPending: OkxRoute = ({ query }, context) =>
  listOrders(query, context, { instTypeRequired: false, algo: false, pick: (o) => isRegular(o) && o.status === "open" && ordTypeMatches(query) });

function history(days: number): OkxRoute {
  return ({ query }, context) => {
    const state = param(query, "state");
    if (state !== undefined && !["canceled", "filled", "mmp_canceled"].includes(state)) return badParam("state");
    return listOrders(query, context, {
      instTypeRequired: true, algo: false,
      pick: (o) => isRegular(o) && o.status !== "open" && context.now - o.createdAt <= days * DAY && ordTypeMatches(query) && (state === undefined || regularState(o) === state),
    });
  };
}
export const getOrdersHistory = history(7);
export const getOrdersHistoryArchive = history(90);

/** Algo lists take ordType (required, may be a comma list); only "conditional" orders exist here. */
function algoTypeFilter(query: URLSearchParams): boolean | VenueReply {
  const ordType = param(query, "ordType");
  if (ordType === undefined) return missingParam("ordType");
  return ordType.split(",").includes("conditional");
}

function byAlgoIds(query: URLSearchParams): (o: StandInOrder) => boolean {
  const algoId = param(query, "algoId");
  const algoClOrdId = param(query, "algoClOrdId");
  return (o) => (algoId === undefined || o.id === algoId) && (algoClOrdId === undefined || o.clientOrderId === algoClOrdId);
}

export const getAlgoOrder: OkxRoute = ({ query }, context) => {
  const algoId = param(query, "algoId");
  const algoClOrdId = param(query, "algoClOrdId");
  if (algoId === undefined && algoClOrdId === undefined) return fail("50015", "Either parameter algoId or algoClOrdId is required.");
  const order = context.account.visibleOrders().find((o) => isConditional(o) && byAlgoIds(query)(o));
  if (order === undefined) return ORDER_NOT_FOUND;
  const s = listed(context, order.symbol);
  return ok([algoRow(context.account, order, s, lastPrice(s))]);
};

export const getAlgoOrdersPending: OkxRoute = ({ query }, context) => {
  const typed = algoTypeFilter(query);
  if (typeof typed !== "boolean") return typed;
  const ids = byAlgoIds(query);
  return listOrders(query, context, { instTypeRequired: false, algo: true, pick: (o) => typed && isConditional(o) && o.status === "open" && ids(o) });
};

export const getAlgoOrdersHistory: OkxRoute = ({ query }, context) => {
  const typed = algoTypeFilter(query);
  if (typeof typed !== "boolean") return typed;
  const state = param(query, "state");
  if (state === undefined && param(query, "algoId") === undefined) return fail("50015", "Either parameter state or algoId is required.");
  if (state !== undefined && !["effective", "canceled", "order_failed"].includes(state)) return badParam("state");
  const ids = byAlgoIds(query);
  return listOrders(query, context, {
    instTypeRequired: false, algo: true,
    pick: (o) => typed && isConditional(o) && o.status !== "open" && context.now - o.createdAt <= 90 * DAY && ids(o) && (state === undefined || algoState(o) === state),
  });
};

function fills(days: number, instTypeRequired: boolean): OkxRoute {
  return ({ query }, context) => {
    const where = scope(query, context, instTypeRequired);
    if (isReply(where)) return where;
    const limit = pageLimit(query);
    if (limit === null) return badParam("limit");
    if (where.empty) return ok([]);
    const ordId = param(query, "ordId");
    const begin = Number(param(query, "begin") ?? 0);
    const end = Number(param(query, "end") ?? Number.MAX_SAFE_INTEGER);
    const rows = context.account.visibleTrades()
      .filter((t) => (where.s === undefined || t.symbol === where.s.symbol) && (ordId === undefined || t.orderId === ordId) && t.ts >= begin && t.ts <= end && context.now - t.ts <= days * DAY)
      .reverse().slice(0, limit)
      .map((t) => fillRow(context.account, t, listed(context, t.symbol)));
    return ok(rows);
  };
}
export const getFills = fills(3, false);
export const getFillsHistory = fills(90, true);
