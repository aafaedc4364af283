import type { bitget, Exchange, Order } from "ccxt";
import { ExchangeError, OrderNotFound } from "../ccxt-error-classes";
import type { ProtectionKind, VenueDialect } from "./venue-dialect";

/**
 * Bitget v2 (USDT-FUTURES, one-way position mode, sizes in the base coin) through ccxt's bitget
 * class.
 *
 * - Client ids: Bitget's clientOid takes letters, digits and - + _ # up to 50 characters, so ours
 *   ("p0123456789ab-e") go through unchanged.
 * - Every place-order names a margin mode, and ccxt sends "crossed" unless told otherwise. On
 *   Bitget the order's mode is what counts: with no position it switches the symbol, with a
 *   position in the other mode the order is refused (45117). So orders carry the mode
 *   `prepareSymbol` last set: perpbot trades one margin mode for every symbol.
 * - Stop-loss / take-profit: ccxt's stopLossPrice / takeProfitPrice go to place-tpsl-order as a
 *   position TP/SL (planType pos_loss / pos_profit): it closes the whole position at market when
 *   the last price (triggerType fill_price) crosses the trigger, and is reduce-only by nature.
 *   Bitget keeps these among trigger orders (orders-plan-pending / -history, planType
 *   profit_loss), not with regular orders; a fired one points at the market order it placed
 *   (executeOrderId).
 */

/** Bitget's "No change in leverage" (both codes appear in its error table). */
const LEVERAGE_UNCHANGED = new Set(["40814", "45054"]);
const TPSL_PLAN_TYPES = new Set(["pos_loss", "pos_profit", "loss_plan", "profit_plan"]);
const LEGAL_CLIENT_OID = /^[0-9A-Za-z\-+_#]{1,50}$/;

/**
 * The margin mode orders carry. VenueDialect.marketOrderParams is not told the mode, so it is the
 * one prepareSymbol last set in this process; before that (a close right after a restart),
 * perpbot's default, isolated.
 */
let marginMode: "isolated" | "cross" = "isolated";

/** Bitget's code from a ccxt error ("bitget {\"code\":\"40814\",…}"), or null. */
function bitgetCode(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const start = error.message.indexOf("{");
  if (start < 0) return null;
  try {
    const body = JSON.parse(error.message.slice(start)) as { code?: unknown };
    return typeof body.code === "string" ? body.code : null;
  } catch {
    return null;
  }
}

/**
 * Bitget's "Duplicate clientOid" (40786): ccxt has no mapping for it and raises a plain
 * ExchangeError with the body in the message, not DuplicateOrderId.
 */
export function isDuplicateClientOrderId(error: unknown): boolean {
  return bitgetCode(error) === "40786";
}

/** A string field of the venue's raw record ("" when absent). */
function infoText(order: Order, key: string): string {
  const value = ((order.info ?? {}) as Record<string, unknown>)[key];
  return typeof value === "string" ? value : "";
}
const planTypeOf = (order: Order): string => infoText(order, "planType");
const isProtective = (order: Order): boolean => TPSL_PLAN_TYPES.has(planTypeOf(order));
/** A TP/SL only ever reduces the position; Bitget's trigger-order records just do not say so. */
const asReduceOnly = (order: Order): Order => ({ ...order, reduceOnly: true });

async function withClientId(fetch: Promise<Order[]>, clientOrderId: string): Promise<Order | null> {
  return (await fetch).find((o) => o.clientOrderId === clientOrderId) ?? null;
}

/** A fired TP/SL, completed with the fill and fee of the market order it placed. */
async function withExecution(exchange: Exchange, symbol: string, plan: Order): Promise<Order> {
  const executeOrderId = infoText(plan, "executeOrderId");
  if (executeOrderId === "") return asReduceOnly(plan);
  try {
    const execution = await exchange.fetchOrder(executeOrderId, symbol);
    return { ...asReduceOnly(plan), filled: execution.filled ?? plan.filled, average: execution.average ?? plan.average, cost: execution.cost ?? plan.cost, fee: execution.fee ?? plan.fee };
  } catch (error) {
    if (error instanceof OrderNotFound) return asReduceOnly(plan); // not visible yet: the plan's own fill figures stand
    throw error;
  }
}

export const bitgetDialect: VenueDialect = {
  venue: "bitget",
  isDuplicateClientOrderId,

  clientOrderId(ours: string): string {
    if (!LEGAL_CLIENT_OID.test(ours)) throw new Error(`"${ours}" is not a legal Bitget clientOid (letters, digits, - + _ #, at most 50).`);
    return ours;
  },

  marketOrderParams(clientOrderId: string, reduceOnly: boolean): Record<string, unknown> {
    return { clientOrderId, reduceOnly, marginMode };
  },

  protectiveOrder(kind: ProtectionKind, clientOrderId: string, triggerPrice: number) {
    const trigger = kind === "stop-loss" ? { stopLossPrice: triggerPrice } : { takeProfitPrice: triggerPrice };
    return { type: "market", params: { clientOrderId, ...trigger, triggerType: "fill_price", reduceOnly: true } };
  },

  async findOrder(exchange: Exchange, symbol: string, clientOrderId: string, conditional: boolean): Promise<Order | null> {
    if (conditional) {
      const byClient = { planType: "profit_loss", clientOrderId };
      const open = await withClientId(exchange.fetchOpenOrders(symbol, undefined, undefined, byClient), clientOrderId);
      if (open !== null) return asReduceOnly(open);
      const done = await withClientId(exchange.fetchCanceledAndClosedOrders(symbol, undefined, undefined, byClient), clientOrderId);
      return done === null ? null : withExecution(exchange, symbol, done);
    }
    try {
      return await exchange.fetchOrder("", symbol, { clientOrderId });
    } catch (error) {
      if (!(error instanceof OrderNotFound)) throw error; // 40109: not (yet) in the order service
    }
    // Bitget's fills carry no clientOid, so the order lists are the last place to look.
    return (await withClientId(exchange.fetchOpenOrders(symbol, undefined, undefined, { clientOrderId }), clientOrderId))
      ?? (await withClientId(exchange.fetchCanceledAndClosedOrders(symbol, undefined, undefined, { clientOrderId }), clientOrderId));
  },

  async openProtectiveOrders(exchange: Exchange, symbol: string): Promise<Order[]> {
    const orders = await exchange.fetchOpenOrders(symbol, undefined, undefined, { planType: "profit_loss" });
    return orders.filter(isProtective).map(asReduceOnly);
  },

  async cancelProtectiveOrder(exchange: Exchange, symbol: string, order: Order): Promise<void> {
    // cancel-plan-order only finds an order under its own planType; a miss is a success with the order in failureList.
    if (order.id === undefined) throw new ExchangeError(`bitget: a trigger order on ${symbol} without an id cannot be cancelled.`);
    const cancelled = await exchange.cancelOrder(order.id, symbol, { trigger: true, planType: planTypeOf(order) || "pos_loss" });
    if (cancelled.id !== undefined && cancelled.id !== "") return;
    const stillOpen = (await exchange.fetchOpenOrders(symbol, undefined, undefined, { planType: "profit_loss" })).some((o) => o.id === order.id);
    if (stillOpen) throw new ExchangeError(`bitget did not cancel trigger order ${order.id} on ${symbol}; it is still open.`);
    // Already fired or cancelled (Bitget cancels a position's TP/SL with the position): nothing left to cancel.
  },

  async prepareSymbol(exchange: Exchange, symbol: string, leverage: number, mode: "isolated" | "cross"): Promise<void> {
    marginMode = mode;
    await exchange.setMarginMode(mode, symbol); // the same mode again is a plain success
    try {
      await exchange.setLeverage(leverage, symbol);
    } catch (error) {
      if (!LEVERAGE_UNCHANGED.has(bitgetCode(error) ?? "")) throw error;
    }
  },

  async canWithdraw(exchange: Exchange): Promise<boolean | null> {
    const response = await (exchange as bitget).privateSpotGetV2SpotAccountInfo();
    const data = (response["data"] ?? {}) as { authorities?: unknown };
    if (!Array.isArray(data.authorities)) return null;
    return data.authorities.includes("wwow"); // "wwow": wallet withdrawal (read and write)
  },
};
