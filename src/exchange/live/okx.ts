import type { Exchange, Order, Trade } from "ccxt";
import { DuplicateOrderId, OrderNotFound } from "../ccxt-error-classes";
import type { ProtectionKind, VenueDialect } from "./venue-dialect";

/**
 * OKX v5 through ccxt: USDT-margined perpetual swaps (instType SWAP) on an account in net position
 * mode. Amounts are contracts of the market's contractSize (ctVal); the broker converts.
 *
 * - Client ids travel as `clOrdId` (ccxt's `clientOrderId`): 1–32 letters and digits, case-
 *   sensitive, no '-'. Ours ("p" + 12 hex + "-" + a letter) are lowercase, so each "-x" becomes "X":
 *   "p0123456789ab-e" → "p0123456789abE". One-to-one and reversible (`fromOkxClientOrderId`).
 * - A stop-loss / take-profit is an algo order: ccxt's `stopLossPrice` / `takeProfitPrice` send
 *   POST /trade/order-algo with ordType "conditional", slTriggerPx/tpTriggerPx on the last price and
 *   slOrdPx/tpOrdPx "-1" (market). ccxt puts our id in `clOrdId`, the field OKX deprecated for algo
 *   orders; `algoClOrdId` carries it too, the one OKX documents. Algo rows leave clOrdId empty, so
 *   orders read back take their client id from `algoClOrdId`.
 * - The margin mode is not an account setting on OKX: each order names it (tdMode), and a net-mode
 *   position belongs to the mode it was opened in (a reduce-only close in the other mode has nothing
 *   to reduce, 51169). ccxt takes tdMode from its `defaultMarginMode` option (default cross), which
 *   `adaptOkxClient` sets — once per client, before any order — and `prepareSymbol` sets again along
 *   with the leverage (per instrument and margin mode). A repeated set-leverage answers success.
 * - Lookups: /trade/order by clOrdId (OKX keeps every order there except ones cancelled unfilled
 *   more than 2 hours ago), then /trade/orders-pending, /trade/orders-history (7 days), then the
 *   fills (/trade/fills-history, 3 months). Conditional orders: /trade/order-algo by algoClOrdId,
 *   /trade/orders-algo-pending, /trade/orders-algo-history.
 * - ccxt maps OKX's duplicate-clOrdId refusal (51016) to InvalidOrder; `adaptOkxClient` makes it
 *   DuplicateOrderId (a kind of InvalidOrder), and `isDuplicateClientOrderId` recognises it either way.
 */

const LEGAL_CL_ORD_ID = /^[A-Za-z0-9]{1,32}$/;
/** Lowercase letters and digits in groups joined by '-', each later group starting with a letter. */
const OURS = /^[a-z0-9]+(?:-[a-z][a-z0-9]*)*$/;

/**
 * ccxt's params for the algo lists: `trigger` routes to the algo endpoints, `ordType` names the kind.
 * Both are needed — without `trigger`, fetchClosedOrders sends state=filled, which OKX's algo
 * history refuses (it takes effective / canceled / order_failed).
 */
const CONDITIONAL = { trigger: true, ordType: "conditional" } as const;

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** Our id back from the venue's form (inverse of `okxDialect.clientOrderId`). */
export function fromOkxClientOrderId(venueId: string): string {
  return venueId.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** OKX's "Duplicated clOrdId" (51016), which ccxt raises as InvalidOrder with the body in the message. */
export function isDuplicateClientOrderId(error: unknown): boolean {
  return error instanceof Error && /"sCode"\s*:\s*"51016"/.test(error.message);
}

/**
 * What an OKX client needs before its first order, whichever call that is (an exit or a stop after
 * a restart comes before any prepareSymbol): every order's tdMode in `marginMode`, and OKX's
 * "Duplicated clOrdId" raised as DuplicateOrderId, which is how the broker knows the order exists.
 */
export function adaptOkxClient(exchange: Exchange, marginMode: "isolated" | "cross"): void {
  exchange.options["defaultMarginMode"] = marginMode;
  // A copy, so no other client's table changes.
  exchange.exceptions = { ...exchange.exceptions, exact: { ...record(exchange.exceptions["exact"]), "51016": DuplicateOrderId } };
}

/** Null instead of ccxt's OrderNotFound (OKX 51603 "Order does not exist"). */
async function orNull(lookup: Promise<Order>): Promise<Order | null> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof OrderNotFound) return null;
    throw error;
  }
}

/**
 * An algo order as the broker expects it: OKX lists its client id as `algoClOrdId` (its clOrdId
 * stays empty until it fires) and its trigger as slTriggerPx/tpTriggerPx, which ccxt reads into
 * stopLossPrice/takeProfitPrice rather than triggerPrice.
 */
function normaliseAlgo(order: Order): Order {
  const algoClOrdId = record(order.info)["algoClOrdId"];
  const clientOrderId = order.clientOrderId !== undefined && order.clientOrderId !== "" ? order.clientOrderId : typeof algoClOrdId === "string" && algoClOrdId !== "" ? algoClOrdId : undefined;
  return { ...order, clientOrderId, triggerPrice: order.triggerPrice ?? order.stopLossPrice ?? order.takeProfitPrice };
}

/**
 * A fired conditional order has a child market order (info.ordId) that holds the fill; the algo
 * row has only actualSz/actualPx. The broker wants filled, average and fee: take them from the child.
 */
async function withChildFill(exchange: Exchange, symbol: string, algo: Order): Promise<Order> {
  const childId = record(algo.info)["ordId"];
  if (typeof childId !== "string" || childId === "") return algo;
  const child = await orNull(exchange.fetchOrder(childId, symbol));
  if (child === null) return algo;
  return { ...algo, filled: child.filled, remaining: child.remaining, average: child.average, cost: child.cost, fee: child.fee, lastTradeTimestamp: child.lastTradeTimestamp };
}

/**
 * The order as its fills show it, when no order endpoint does any more (fills are kept 3 months,
 * order history 7 days). A market order is immediate-or-cancel: what did not fill was cancelled;
 * the fills do not say how much was asked, so a partial fill reads as complete.
 */
function orderFromFills(exchange: Exchange, symbol: string, clientOrderId: string, fills: readonly Trade[]): Order | null {
  const first = fills[0];
  if (first === undefined) return null;
  const filled = fills.reduce((sum, t) => sum + (t.amount ?? 0), 0);
  const value = fills.reduce((sum, t) => sum + (t.amount ?? 0) * (t.price ?? 0), 0);
  const fee = fills.reduce((sum, t) => sum + (t.fee?.cost ?? 0), 0);
  return exchange.safeOrder({
    info: { fills: fills.map((t) => record(t.info)) }, id: first.order, clientOrderId, symbol, type: "market", side: first.side,
    amount: filled, filled, remaining: 0, average: filled > 0 ? value / filled : undefined, status: "closed",
    timestamp: first.timestamp, lastTradeTimestamp: fills.at(-1)?.timestamp, fee: { cost: fee, currency: first.fee?.currency ?? "USDT" }, trades: [...fills],
  }, exchange.market(symbol));
}

async function findRegular(exchange: Exchange, symbol: string, clientOrderId: string): Promise<Order | null> {
  const mine = (orders: readonly Order[]) => orders.find((o) => o.clientOrderId === clientOrderId) ?? null;
  const direct = await orNull(exchange.fetchOrder("", symbol, { clientOrderId }));
  if (direct !== null) return direct;
  const open = mine(await exchange.fetchOpenOrders(symbol));
  if (open !== null) return open;
  const done = mine(await exchange.fetchClosedOrders(symbol)) ?? mine(await exchange.fetchCanceledOrders(symbol));
  if (done !== null) return done;
  const fills = await exchange.fetchMyTrades(symbol);
  return orderFromFills(exchange, symbol, clientOrderId, fills.filter((t) => record(t.info)["clOrdId"] === clientOrderId).sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0)));
}

async function findConditional(exchange: Exchange, symbol: string, clientOrderId: string): Promise<Order | null> {
  const mine = (orders: readonly Order[]) => orders.map(normaliseAlgo).find((o) => o.clientOrderId === clientOrderId) ?? null;
  const direct = await orNull(exchange.fetchOrder("", symbol, { clientOrderId, trigger: true }));
  const found = (direct === null ? null : normaliseAlgo(direct))
    ?? mine(await exchange.fetchOpenOrders(symbol, undefined, undefined, CONDITIONAL))
    ?? mine(await exchange.fetchClosedOrders(symbol, undefined, undefined, CONDITIONAL))
    ?? mine(await exchange.fetchCanceledOrders(symbol, undefined, undefined, CONDITIONAL));
  return found === null ? null : withChildFill(exchange, symbol, found);
}

export const okxDialect: VenueDialect = {
  venue: "okx",
  adaptClient: adaptOkxClient,

  clientOrderId(ours: string): string {
    const mapped = OURS.test(ours) ? ours.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()) : "";
    if (!LEGAL_CL_ORD_ID.test(mapped)) throw new RangeError(`okx: client order id "${ours}" has no clOrdId form (lowercase groups joined by '-', at most 32 characters without them)`);
    return mapped;
  },

  marketOrderParams(clientOrderId: string, reduceOnly: boolean): Record<string, unknown> {
    return { clientOrderId, ...(reduceOnly ? { reduceOnly: true } : {}) };
  },

  protectiveOrder(kind: ProtectionKind, clientOrderId: string, triggerPrice: number) {
    const trigger = kind === "stop-loss" ? { stopLossPrice: triggerPrice } : { takeProfitPrice: triggerPrice };
    return { type: "market" as const, params: { ...trigger, reduceOnly: true, clientOrderId, algoClOrdId: clientOrderId } };
  },

  async findOrder(exchange: Exchange, symbol: string, clientOrderId: string, conditional: boolean): Promise<Order | null> {
    return conditional ? findConditional(exchange, symbol, clientOrderId) : findRegular(exchange, symbol, clientOrderId);
  },

  async openProtectiveOrders(exchange: Exchange, symbol: string): Promise<Order[]> {
    const open = await exchange.fetchOpenOrders(symbol, undefined, undefined, CONDITIONAL);
    return open.map(normaliseAlgo).filter((o) => o.reduceOnly === true && o.status === "open");
  },

  /** By algoId through /trade/cancel-algos. One that already fired or was cancelled is gone, as asked. */
  async cancelProtectiveOrder(exchange: Exchange, symbol: string, order: Order): Promise<void> {
    if (order.id === undefined) throw new TypeError("okxDialect.cancelProtectiveOrder: the order has no algoId");
    try {
      await exchange.cancelOrder(order.id, symbol, { trigger: true });
    } catch (error) {
      if (!(error instanceof OrderNotFound)) throw error;
    }
  },

  async prepareSymbol(exchange: Exchange, symbol: string, leverage: number, marginMode: "isolated" | "cross"): Promise<void> {
    await exchange.loadMarkets();
    // Orders carry no posSide: they are only right in net mode (long/short mode needs posSide on every order).
    const mode = await exchange.fetchPositionMode(symbol);
    if (mode.hedged === true) throw new Error("okx: the account is in long/short position mode; perpbot trades in net (one-way) mode — switch it in the account settings");
    adaptOkxClient(exchange, marginMode);
    // Net mode: posSide "net" (ccxt's default for isolated). A repeat answers success.
    await exchange.setLeverage(leverage, symbol, { marginMode });
  },

  /** /account/config tells the key's permissions: "read_only", "trade", "withdraw". */
  async canWithdraw(exchange: Exchange): Promise<boolean | null> {
    const [account] = await exchange.fetchAccounts();
    const perm = record(account?.info)["perm"];
    return typeof perm === "string" ? perm.split(",").map((p) => p.trim()).includes("withdraw") : null;
  },
};
