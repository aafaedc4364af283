import type { VenueReply } from "./exchange-venue-formats";
import { venueId } from "./exchange-venue-formats";
import { decimal, fail, findSymbol, historyWindow, ok, page, text, type BybitCall } from "./private-bybit-common";
import { orderLinkIdOf } from "./private-bybit-orders";

function execType(orderClientId: string): string {
  return orderClientId.startsWith("liquidation-") ? "BustTrade" : "Trade";
}

/**
 * Fills (execType Trade, or BustTrade for a liquidation) and funding settlements (execType
 * Funding: execFee is what was paid, negative when received, feeRate the funding rate), newest first.
 */
export function executionList({ params, context }: BybitCall): VenueReply {
  const { now, account } = context;
  if (text(params, "category") !== "linear") return fail(now, 10001, "Illegal category");
  const symbolId = text(params, "symbol");
  const s = findSymbol(context, symbolId);
  if (symbolId !== undefined && s === undefined) return fail(now, 10001, "params error: symbol invalid");
  const window = historyWindow(params, now);
  if ("error" in window) return fail(now, 10001, window.error);
  const orderId = text(params, "orderId");
  const linkId = text(params, "orderLinkId");
  const wantedType = text(params, "execType");
  const orders = new Map(account.visibleOrders().map((o) => [o.id, o]));
  const idOf = (symbol: string) => { const x = context.symbols.find((y) => y.symbol === symbol); return x === undefined ? symbol : venueId("bybit", x); };

  const fills = account.visibleTrades().map((t) => {
    const order = orders.get(t.orderId);
    const conditional = order?.triggerPrice != null;
    return { ts: t.ts, symbol: t.symbol, orderId: t.orderId, clientOrderId: t.clientOrderId, row: {
      symbol: idOf(t.symbol), orderId: t.orderId, orderLinkId: order === undefined ? "" : orderLinkIdOf(order), side: t.side === "buy" ? "Buy" : "Sell",
      orderPrice: "0", orderQty: decimal(order?.amount ?? t.qty), leavesQty: decimal(order?.status === "open" ? order.amount - order.filled : 0),
      createType: conditional ? "CreateByStopOrder" : t.clientOrderId.startsWith("manual-") ? "CreateByClosing" : "CreateByUser", orderType: "Market",
      stopOrderType: conditional ? "Stop" : "", execFee: decimal(t.fee), execFeeV2: "", execId: t.id, execPrice: decimal(t.price), execQty: decimal(t.qty),
      execType: execType(t.clientOrderId), execValue: decimal(t.qty * t.price), execTime: String(t.ts), feeCurrency: "USDT", isMaker: false, feeRate: "0.00055",
      tradeIv: "", markIv: "", markPrice: decimal(t.price), indexPrice: "", underlyingPrice: "", blockTradeId: "", closedSize: t.realizedPnl !== 0 || t.reduceOnly ? decimal(t.qty) : "0",
      seq: Number(t.id), extraFees: "",
    } };
  });
  const funding = account.funding.map((f) => ({ ts: f.ts, symbol: f.symbol, orderId: "", clientOrderId: "", row: {
    symbol: idOf(f.symbol), orderId: "", orderLinkId: "", side: (f.amount < 0) === (f.rate > 0) ? "Buy" : "Sell", orderPrice: "0", orderQty: "0", leavesQty: "0",
    createType: "", orderType: "UNKNOWN", stopOrderType: "UNKNOWN", execFee: decimal(-f.amount), execFeeV2: "", execId: f.id, execPrice: "", execQty: "",
    execType: "Funding", execValue: f.rate === 0 ? "0" : decimal(Math.abs(f.amount / f.rate)), execTime: String(f.ts), feeCurrency: "USDT", isMaker: false,
    feeRate: decimal(f.rate, 10), tradeIv: "", markIv: "", markPrice: "", indexPrice: "", underlyingPrice: "", blockTradeId: "", closedSize: "0", seq: Number(f.id), extraFees: "",
  } }));

  // orderId and orderLinkId outrank every other filter, as Bybit documents.
  const rows = [...fills, ...funding].filter((e) => {
    if (orderId !== undefined) return e.orderId === orderId;
    if (linkId !== undefined) return e.clientOrderId === linkId;
    return (s === undefined || e.symbol === s.symbol) && e.ts >= window.from && e.ts <= window.to && (wantedType === undefined || e.row.execType === wantedType);
  }).sort((a, b) => b.ts - a.ts || b.row.seq - a.row.seq).map((e) => e.row);
  const paged = page(rows, params, { max: 100, fallback: 50 });
  if ("error" in paged) return fail(now, 10001, paged.error);
  return ok(now, { category: "linear", list: paged.rows, nextPageCursor: paged.nextPageCursor });
}

