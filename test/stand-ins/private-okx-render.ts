import type { FundingPayment, StandInAccount, StandInOrder, StandInPosition, StandInTrade } from "./exchange-account";
import type { SymbolState } from "./exchange-venue-formats";
import { contracts, instIdOf, marginModeOf, num, tdModeOf, wireClientId } from "./private-okx-wire";

/**
 * The account's orders, fills, positions and bills in OKX v5's row shapes: every number a decimal
 * string, "" where OKX has nothing to say, sizes in contracts, fees negative when charged. A
 * stop-loss or take-profit is an algo order ("conditional"); once it triggers, OKX places a market
 * order for it (the child, carrying algoId/algoClOrdId and no clOrdId of its own), which is what the
 * regular order endpoints and the fills show.
 */

export const isConditional = (o: StandInOrder): boolean => o.type !== "market";

/** A conditional order that fired: its child market order exists. */
export const hasTriggered = (o: StandInOrder): boolean => isConditional(o) && o.filled > 0;

/** What the regular order endpoints show: market orders and the children of fired conditionals. */
export const isRegular = (o: StandInOrder): boolean => !isConditional(o) || hasTriggered(o);

export function regularState(o: StandInOrder): string {
  switch (o.status) {
    case "open":
      return o.filled > 0 ? "partially_filled" : "live";
    case "filled":
      return "filled";
    case "cancelled":
    case "rejected":
      return "canceled"; // a market order that filled in part and lost the rest is "canceled" with accFillSz > 0
  }
}

export function algoState(o: StandInOrder): string {
  if (o.status === "open") return "live";
  if (o.filled > 0) return "effective";
  return o.status === "rejected" ? "order_failed" : "canceled";
}

/** OKX's cancelSource codes for the reasons the account cancels an order. */
function cancelSource(o: StandInOrder): string {
  if (o.status !== "cancelled" || o.cancelReason === null) return "";
  if (o.cancelReason.includes("immediate-or-cancel") || o.cancelReason.includes("triggered")) return "14"; // IOC remainder
  if (o.cancelReason.includes("reduce-only")) return "17"; // the position it would close is gone
  return o.cancelReason.includes("user") ? "1" : "0";
}

const tradesOf = (account: StandInAccount, o: StandInOrder): StandInTrade[] => account.trades.filter((t) => t.orderId === o.id);

export function orderRow(account: StandInAccount, o: StandInOrder, s: SymbolState): Record<string, unknown> {
  const trades = tradesOf(account, o);
  const last = trades.at(-1);
  const child = isConditional(o);
  return {
    instType: "SWAP", instId: instIdOf(s), tgtCcy: "", ccy: "", ordId: o.id, clOrdId: child ? "" : wireClientId(o.clientOrderId), tag: "",
    px: "", pxUsd: "", pxVol: "", pxType: "", sz: contracts(o.amount, s), pnl: num(trades.reduce((sum, t) => sum + t.realizedPnl, 0)),
    ordType: "market", side: o.side, posSide: "net", tdMode: tdModeOf(account, o),
    accFillSz: contracts(o.filled, s), fillPx: last === undefined ? "" : num(last.price), tradeId: last?.id ?? "",
    fillSz: last === undefined ? "0" : contracts(last.qty, s), fillTime: last === undefined ? "" : String(last.ts),
    avgPx: o.avgPrice === null ? "" : num(o.avgPrice), state: regularState(o), stpId: "", stpMode: "cancel_maker",
    lever: num(account.leverage.get(o.symbol) ?? 10), attachAlgoClOrdId: "",
    tpTriggerPx: "", tpTriggerPxType: "", tpOrdPx: "", slTriggerPx: "", slTriggerPxType: "", slOrdPx: "", attachAlgoOrds: [], linkedAlgoOrd: { algoId: "" },
    feeCcy: "USDT", fee: num(-o.fee), rebateCcy: "USDT", rebate: "0", source: child ? "13" : "",
    category: o.clientOrderId.startsWith("liquidation-") ? "full_liquidation" : "normal",
    reduceOnly: String(o.reduceOnly), isTpLimit: "false", cancelSource: cancelSource(o), cancelSourceReason: o.status === "cancelled" ? (o.cancelReason ?? "") : "",
    quickMgnType: "", algoClOrdId: child ? o.clientOrderId : "", algoId: child ? o.id : "",
    uTime: String(o.updatedAt), cTime: String(o.createdAt), tradeQuoteCcy: "",
  };
}

export function algoRow(account: StandInAccount, o: StandInOrder, s: SymbolState, lastPrice: number): Record<string, unknown> {
  const stop = o.type === "stop-market";
  const trigger = num(o.triggerPrice ?? 0);
  const fired = hasTriggered(o);
  return {
    instType: "SWAP", instId: instIdOf(s), ccy: "", ordId: fired ? o.id : "", ordIdList: fired ? [o.id] : [], algoId: o.id,
    clOrdId: "", algoClOrdId: o.clientOrderId, sz: contracts(o.amount, s), closeFraction: "", ordType: "conditional", side: o.side, posSide: "net",
    tdMode: tdModeOf(account, o), tgtCcy: "", state: algoState(o), lever: num(account.leverage.get(o.symbol) ?? 10),
    tpTriggerPx: stop ? "" : trigger, tpTriggerPxType: stop ? "" : "last", tpOrdPx: stop ? "" : "-1",
    slTriggerPx: stop ? trigger : "", slTriggerPxType: stop ? "last" : "", slOrdPx: stop ? "-1" : "",
    triggerPx: "", triggerPxType: "", ordPx: "",
    actualSz: fired ? contracts(o.filled, s) : "", actualPx: fired && o.avgPrice !== null ? num(o.avgPrice) : "", actualSide: fired ? (stop ? "sl" : "tp") : "",
    triggerTime: fired ? String(o.updatedAt) : "", pxVar: "", pxSpread: "", szLimit: "", pxLimit: "", tag: "", timeInterval: "",
    callbackRatio: "", callbackSpread: "", activePx: "", moveTriggerPx: "", reduceOnly: String(o.reduceOnly), quickMgnType: "",
    last: num(lastPrice), failCode: "", amendPxOnTriggerType: "0", attachAlgoOrds: [], linkedOrd: { ordId: "" },
    cTime: String(o.createdAt), uTime: String(o.updatedAt), isTradeBorrowMode: "", chaseType: "", chaseVal: "", maxChaseType: "", maxChaseVal: "", tradeQuoteCcy: "",
  };
}

/** SWAP bill/fill subTypes: 3 open long, 4 open short, 5 close long, 6 close short. */
const tradeSubType = (t: StandInTrade): string => (t.side === "buy" ? (t.reduceOnly ? "6" : "3") : t.reduceOnly ? "5" : "4");

export function fillRow(account: StandInAccount, t: StandInTrade, s: SymbolState): Record<string, unknown> {
  const order = account.orders.find((o) => o.id === t.orderId);
  const child = order !== undefined && isConditional(order);
  const ts = String(t.ts);
  return {
    instType: "SWAP", instId: instIdOf(s), tradeId: t.id, ordId: t.orderId, clOrdId: child ? "" : wireClientId(t.clientOrderId), billId: t.id,
    subType: tradeSubType(t), tag: "", fillPx: num(t.price), fillSz: contracts(t.qty, s), fillIdxPx: num(t.price), fillPnl: num(t.realizedPnl),
    fillPxVol: "", fillPxUsd: "", fillMarkVol: "", fillFwdPx: "", fillMarkPx: num(t.price), side: t.side, posSide: "net", execType: "T",
    feeCcy: "USDT", fee: num(-t.fee), feeRate: "-0.00055", ts, fillTime: ts, tradeQuoteCcy: "",
  };
}

export function positionRow(account: StandInAccount, p: StandInPosition, s: SymbolState, markPrice: number): Record<string, unknown> {
  const lever = account.leverage.get(p.symbol) ?? 10;
  const sign = p.side === "long" ? 1 : -1;
  const notional = p.qty * markPrice;
  const margin = (p.qty * p.entryPrice) / lever;
  const upl = (markPrice - p.entryPrice) * p.qty * sign;
  const mode = marginModeOf(account, p.symbol);
  const since = account.trades.filter((t) => t.symbol === p.symbol && t.ts >= p.openedAt);
  const funding = account.funding.filter((f) => f.symbol === p.symbol && f.ts >= p.openedAt).reduce((sum, f) => sum + f.amount, 0);
  const fees = since.reduce((sum, t) => sum + t.fee, 0);
  const pnl = since.reduce((sum, t) => sum + t.realizedPnl, 0);
  const liqPx = p.entryPrice * (1 - sign / lever + sign * 0.004);
  return {
    instType: "SWAP", mgnMode: mode, posId: `30${p.openedAt}`, posSide: "net", pos: num(sign * Number(contracts(p.qty, s))), baseBal: "", quoteBal: "",
    baseBorrowed: "", baseInterest: "", quoteBorrowed: "", quoteInterest: "", posCcy: "", availPos: contracts(p.qty, s), avgPx: num(p.entryPrice),
    nonSettleAvgPx: num(p.entryPrice), markPx: num(markPrice), upl: num(upl), uplRatio: num(upl / margin), uplLastPx: num(upl), uplRatioLastPx: num(upl / margin),
    instId: instIdOf(s), lever: num(lever), liqPx: num(liqPx), imr: mode === "cross" ? num(margin) : "", margin: mode === "isolated" ? num(margin) : "",
    mgnRatio: num(margin / (notional * 0.004)), mmr: num(notional * 0.004), liab: "", liabCcy: "", interest: "", tradeId: since.at(-1)?.id ?? "",
    optVal: "", pendingCloseOrdLiabVal: "", notionalUsd: num(notional), adl: "1", ccy: "USDT", last: num(markPrice), idxPx: num(markPrice), usdPx: "",
    bePx: num(p.entryPrice), deltaBS: "", deltaPA: "", gammaBS: "", gammaPA: "", thetaBS: "", thetaPA: "", vegaBS: "", vegaPA: "",
    spotInUseAmt: "", spotInUseCcy: "", clSpotInUseAmt: "", maxSpotInUseAmt: "", bizRefId: "", bizRefType: "",
    realizedPnl: num(pnl - fees + funding), settledPnl: "", pnl: num(pnl), fee: num(-fees), fundingFee: num(funding), liqPenalty: "0", closeOrderAlgo: [],
    cTime: String(p.openedAt), uTime: String(p.updatedAt),
  };
}

/** A bill: the balance change it made and the balance after it. */
export interface Bill { readonly id: string; readonly ts: number; readonly symbol: string; readonly change: number; readonly row: (balanceAfter: number) => Record<string, unknown> }

function billRow(fields: Record<string, unknown>, balanceAfter: number): Record<string, unknown> {
  return {
    bal: num(balanceAfter), clOrdId: "", execType: "", fee: "0", fillFwdPx: "", fillIdxPx: "", fillMarkPx: "", fillMarkVol: "", fillPxUsd: "", fillPxVol: "",
    fillTime: "", from: "", instType: "SWAP", interest: "0", mgnMode: "isolated", notes: "", ordId: "", pnl: "0", posBal: "0", posBalChg: "0", px: "",
    sz: "0", tag: "", to: "", tradeId: "", ccy: "USDT", ...fields,
  };
}

export function fundingBill(account: StandInAccount, f: FundingPayment, s: SymbolState): Bill {
  return {
    id: f.id, ts: f.ts, symbol: f.symbol, change: f.amount,
    row: (bal) => billRow({ billId: f.id, ts: String(f.ts), instId: instIdOf(s), mgnMode: marginModeOf(account, f.symbol), type: "8", subType: f.amount < 0 ? "173" : "174", balChg: num(f.amount), pnl: num(f.amount) }, bal),
  };
}

export function tradeBill(account: StandInAccount, t: StandInTrade, s: SymbolState): Bill {
  const ts = String(t.ts);
  return {
    id: t.id, ts: t.ts, symbol: t.symbol, change: t.realizedPnl - t.fee,
    row: (bal) => billRow({
      billId: t.id, ts, fillTime: ts, instId: instIdOf(s), mgnMode: marginModeOf(account, t.symbol), type: "2", subType: tradeSubType(t), balChg: num(t.realizedPnl - t.fee),
      pnl: num(t.realizedPnl), fee: num(-t.fee), execType: "T", ordId: t.orderId, clOrdId: wireClientId(t.clientOrderId), px: num(t.price), sz: contracts(t.qty, s), tradeId: t.id,
      fillIdxPx: num(t.price), fillMarkPx: num(t.price),
    }, bal),
  };
}
