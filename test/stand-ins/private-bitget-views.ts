import type { StandInAccount, StandInOrder, StandInTrade } from "./exchange-account";
import { dec, MARGIN_COIN } from "./public-bitget-rules";

/**
 * How the Bitget stand-in renders the venue-neutral account in Bitget v2 mix shapes: regular orders
 * (order detail, orders-pending, orders-history), trigger orders (orders-plan-pending / -history),
 * and fills. Also what Bitget knows about an order that the neutral account does not: the margin
 * mode it was placed with and, for a TP/SL, its planType and trigger type.
 *
 * A TP/SL (place-tpsl-order) is kept as one conditional order in the account. When it triggers,
 * Bitget places a separate market order (its `executeOrderId`, orderSource e.g. pos_loss_market);
 * the stand-in shows that execution as a regular order with a derived id, and its fills under it.
 */

export type BitgetMarginMode = "isolated" | "crossed";
export type TpslPlanType = "pos_loss" | "pos_profit" | "loss_plan" | "profit_plan";

interface OrderExtras { readonly marginMode: BitgetMarginMode; readonly planType?: TpslPlanType; readonly triggerType?: string }

const EXTRAS = new WeakMap<StandInAccount, Map<string, OrderExtras>>();

export function extrasOf(account: StandInAccount): Map<string, OrderExtras> {
  let extras = EXTRAS.get(account);
  if (extras === undefined) {
    extras = new Map();
    EXTRAS.set(account, extras);
  }
  return extras;
}

/** "BTC/USDT:USDT" → "BTCUSDT", the v2 mix symbol. */
export const bitgetSymbol = (symbol: string): string => symbol.replace(/:.*$/, "").replace("/", "");

/** The orderSource of the market order a fired TP/SL places: pos_loss_market, loss_market, … */
const executionSource = (planType: TpslPlanType): string => (planType.startsWith("pos_") ? `${planType}_market` : `${planType.replace("_plan", "")}_market`);

export const toBitgetMode = (mode: "isolated" | "cross" | undefined): BitgetMarginMode => (mode === "isolated" ? "isolated" : "crossed");

/** The id of the market order Bitget places when a trigger order fires (never an id the account hands out). */
export const executionId = (triggerOrderId: string): string => `9${triggerOrderId}`;

/** A regular order as Bitget's order endpoints know it: placed market orders and the executions of fired TP/SLs. */
export interface RegularOrder {
  readonly id: string;
  readonly clientOid: string;
  readonly source: StandInOrder;
  /** Set for the execution of a fired trigger order. */
  readonly planType: TpslPlanType | null;
}

export function regularOrders(account: StandInAccount): RegularOrder[] {
  const extras = extrasOf(account);
  return account.visibleOrders().flatMap((o): RegularOrder[] => {
    if (o.triggerPrice === null) return [{ id: o.id, clientOid: o.clientOrderId, source: o, planType: null }];
    if (o.filled <= 0) return [];
    return [{ id: executionId(o.id), clientOid: executionId(o.id), source: o, planType: extras.get(o.id)?.planType ?? "pos_loss" }];
  });
}

export function triggerOrders(account: StandInAccount): StandInOrder[] {
  return account.visibleOrders().filter((o) => o.triggerPrice !== null);
}

function realizedBy(account: StandInAccount, orderId: string): number {
  return account.trades.filter((t) => t.orderId === orderId).reduce((sum, t) => sum + t.realizedPnl, 0);
}

/** one-way mode trade sides; a position closed by the venue (liquidation) is a "burst". */
function tradeSideOf(order: StandInOrder): string {
  if (order.clientOrderId.startsWith("liquidation-")) return `burst_${order.side}_single`;
  return `${order.side}_single`;
}

function enterPointOf(order: StandInOrder): string {
  if (order.clientOrderId.startsWith("liquidation-")) return "SYS";
  return order.clientOrderId.startsWith("manual-") ? "WEB" : "API";
}

/** Bitget's regular-order record; `statusKey` is "state" in order detail and "status" in the lists. */
export function regularOrderJson(account: StandInAccount, view: RegularOrder, statusKey: "state" | "status"): Record<string, unknown> {
  const o = view.source;
  const extras = extrasOf(account).get(o.id);
  const status = o.status === "open" ? (o.filled > 0 ? "partially_filled" : "live") : o.status === "filled" ? "filled" : "canceled";
  const leverage = account.leverage.get(o.symbol) ?? 10;
  return {
    symbol: bitgetSymbol(o.symbol), size: dec(view.planType === null ? o.amount : o.filled), orderId: view.id, clientOid: view.clientOid,
    baseVolume: dec(o.filled), fee: dec(-o.fee), price: "0", priceAvg: o.avgPrice === null ? "" : dec(o.avgPrice), [statusKey]: status,
    side: o.side, force: "gtc", totalProfits: dec(realizedBy(account, o.id)), posSide: "net", marginCoin: MARGIN_COIN,
    presetStopSurplusPrice: "", presetStopSurplusType: "", presetStopSurplusExecutePrice: "", presetStopLossPrice: "", presetStopLossType: "", presetStopLossExecutePrice: "",
    quoteVolume: dec(o.filled * (o.avgPrice ?? 0)), orderType: "market", leverage: String(leverage), marginMode: extras?.marginMode ?? toBitgetMode(account.marginMode.get(o.symbol)),
    reduceOnly: o.reduceOnly ? "YES" : "NO", enterPointSource: enterPointOf(o), tradeSide: tradeSideOf(o), posMode: "one_way_mode",
    orderSource: view.planType === null ? (o.clientOrderId.startsWith("liquidation-") ? "liquidation" : "market") : executionSource(view.planType),
    cancelReason: "", cTime: String(o.createdAt), uTime: String(o.updatedAt),
  };
}

/** Bitget's trigger-order record (orders-plan-pending); history adds the execution. */
export function triggerOrderJson(account: StandInAccount, o: StandInOrder, history: boolean): Record<string, unknown> {
  const extras = extrasOf(account).get(o.id);
  const planType = extras?.planType ?? "pos_loss";
  const planStatus = o.status === "open" ? "live" : o.filled > 0 ? "executed" : "cancelled";
  const record: Record<string, unknown> = {
    planType, symbol: bitgetSymbol(o.symbol), size: dec(o.amount), orderId: o.id, clientOid: o.clientOrderId, price: "0", executePrice: "0",
    callbackRatio: "", triggerPrice: dec(o.triggerPrice ?? 0), triggerType: extras?.triggerType ?? "mark_price", planStatus, side: o.side, posSide: "net",
    marginCoin: MARGIN_COIN, marginMode: extras?.marginMode ?? toBitgetMode(account.marginMode.get(o.symbol)), enterPointSource: "API",
    tradeSide: `${o.side}_single`, posMode: "one_way_mode", orderType: "market", orderSource: executionSource(planType),
    cTime: String(o.createdAt), uTime: String(o.updatedAt), stopSurplusExecutePrice: "", stopSurplusTriggerPrice: "", stopSurplusTriggerType: "",
    stopLossExecutePrice: "", stopLossTriggerPrice: "", stopLossTriggerType: "",
  };
  if (!history) return record;
  return { ...record, executeOrderId: o.filled > 0 ? executionId(o.id) : "", priceAvg: o.avgPrice === null ? "0" : dec(o.avgPrice), baseVolume: dec(o.filled) };
}

/** Bitget's fill record; a fill of a fired trigger order belongs to its execution order. */
export function fillJson(account: StandInAccount, t: StandInTrade): Record<string, unknown> {
  const order = account.orders.find((o) => o.id === t.orderId);
  const orderId = order?.triggerPrice === null || order === undefined ? t.orderId : executionId(t.orderId);
  return {
    tradeId: t.id, symbol: bitgetSymbol(t.symbol), orderId, price: dec(t.price), baseVolume: dec(t.qty),
    feeDetail: [{ deduction: "no", feeCoin: MARGIN_COIN, totalDeductionFee: "0", totalFee: dec(-t.fee) }],
    side: t.side, quoteVolume: dec(t.qty * t.price), profit: dec(t.realizedPnl), enterPointSource: order === undefined ? "API" : enterPointOf(order),
    tradeSide: order === undefined ? `${t.side}_single` : tradeSideOf(order), posMode: "one_way_mode", tradeScope: "taker", cTime: String(t.ts),
  };
}
