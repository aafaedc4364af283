import type { PrivateContext } from "./private-wire";
import { checkTradePermission } from "./private-okx-auth";
import { fundingBill, positionRow, tradeBill, type Bill } from "./private-okx-render";
import {
  badParam, fail, field, findInstrument, instIdOf, MAX_LEVERAGE, marginModeOf, missingParam, num, ok, okxState, pageLimit, param, type OkxRoute,
} from "./private-okx-wire";

/**
 * The account side of OKX v5: /account/balance, /account/positions, /account/config (which also
 * tells the key's permissions), /account/set-leverage (leverage per instrument and margin mode —
 * OKX has no separate margin-mode switch: the mode is chosen per order with tdMode),
 * /account/set-position-mode, /account/bills and -archive (funding is type 8), and
 * /asset/currencies, which ccxt loads with the markets whenever it holds a key.
 */

const DAY = 86_400_000;

const markOf = (context: PrivateContext, symbol: string): number => {
  const s = context.symbols.find((x) => x.symbol === symbol);
  return s?.ticker?.last ?? s?.current?.markPrice ?? 100;
};

export const getBalance: OkxRoute = ({ query }, context) => {
  const wanted = param(query, "ccy")?.split(",");
  const account = context.account;
  const now = String(context.now);
  const equity = account.equity();
  const used = account.usedMargin();
  const upl = account.unrealizedPnl();
  const isolated = [...account.positions.values()].filter((p) => marginModeOf(account, p.symbol) === "isolated");
  const isoEq = isolated.reduce((sum, p) => sum + (p.qty * p.entryPrice) / (account.leverage.get(p.symbol) ?? 10) + (markOf(context, p.symbol) - p.entryPrice) * p.qty * (p.side === "long" ? 1 : -1), 0);
  const usdt = {
    accAvgPx: "", availBal: num(account.availableBalance()), availEq: num(account.availableBalance()), borrowFroz: "", cashBal: num(account.walletBalance), ccy: "USDT",
    clSpotInUseAmt: "", colBorrAutoConversion: "0", collateralEnabled: false, crossLiab: "", disEq: num(equity), eq: num(equity), eqUsd: num(equity), fixedBal: "0",
    frozenBal: num(used), imr: "", interest: "", isoEq: num(isoEq), isoLiab: "", isoUpl: "", liab: "", maxLoan: "", maxSpotInUse: "", mgnRatio: "", mmr: "",
    notionalLever: "", openAvgPx: "", ordFrozen: "0", rewardBal: "0", smtSyncEq: "0", spotBal: "", spotCopyTradingEq: "0", spotInUseAmt: "", spotIsoBal: "0",
    spotUpl: "", spotUplRatio: "", stgyEq: "0", totalPnl: "", totalPnlRatio: "", twap: "0", uTime: now, upl: num(upl), uplLiab: "",
  };
  const details = wanted === undefined || wanted.includes("USDT") ? [usdt] : [];
  return ok([{
    adjEq: "", availEq: "", borrowFroz: "", details, imr: "", isoEq: num(isoEq), mgnRatio: "", mmr: "", notionalUsd: "", notionalUsdForBorrow: "",
    notionalUsdForFutures: "", notionalUsdForOption: "", notionalUsdForSwap: "", ordFroz: "", totalEq: num(equity), uTime: now, upl: num(upl),
  }]);
};

export const getPositions: OkxRoute = ({ query }, context) => {
  const instType = param(query, "instType");
  if (instType !== undefined && !["MARGIN", "SWAP", "FUTURES", "OPTION"].includes(instType)) return badParam("instType");
  const instIds = param(query, "instId")?.split(",");
  if (instIds !== undefined && instIds.length > 10) return badParam("instId");
  const posId = param(query, "posId");
  if (instType !== undefined && instType !== "SWAP") return ok([]);
  const rows = [...context.account.positions.values()].flatMap((p) => {
    const s = context.symbols.find((x) => x.symbol === p.symbol);
    if (s === undefined || (instIds !== undefined && !instIds.includes(instIdOf(s)))) return [];
    const row = positionRow(context.account, p, s, markOf(context, p.symbol));
    return posId === undefined || row.posId === posId ? [row] : [];
  });
  return ok(rows);
};

export const getConfig: OkxRoute = (_request, context) => {
  const { canTrade, canWithdraw } = context.account.credentials;
  const perm = ["read_only", ...(canWithdraw ? ["withdraw"] : []), ...(canTrade ? ["trade"] : [])].join(",");
  return ok([{
    acctLv: "2", acctStpMode: "cancel_maker", autoLoan: false, ctIsoMode: "automatic", enableSpotBorrow: false, greeksType: "PA", feeType: "0", ip: "",
    type: "0", kycLv: "2", label: "perpbot", level: "Lv1", levelTmp: "", liquidationGear: "-1", mainUid: "44705892343619584", mgnIsoMode: "automatic",
    opAuth: "0", perm, posMode: okxState(context.account).posMode, roleType: "0", spotBorrowAutoRepay: false, spotOffsetType: "", spotRoleType: "0",
    spotTraderInsts: [], stgyType: "0", traderInsts: [], uid: "44705892343619584", settleCcy: "USDT", settleCcyList: ["USD", "USDC", "USDG"],
  }]);
};

export const setLeverage: OkxRoute = ({ body }, context) => {
  const refused = checkTradePermission(context);
  if (refused !== null) return refused;
  const instId = field(body, "instId");
  if (instId === undefined) return missingParam("instId");
  const s = findInstrument(context, instId);
  if (s === undefined) return fail("51001", "Instrument ID or Spread ID doesn't exist.");
  const lever = Number(field(body, "lever"));
  if (!Number.isFinite(lever) || lever < 0.01) return badParam("lever");
  if (lever > MAX_LEVERAGE) return fail("59102", "Leverage exceeds the maximum leverage. Please adjust the leverage.");
  const mgnMode = field(body, "mgnMode");
  if (mgnMode !== "cross" && mgnMode !== "isolated") return badParam("mgnMode");
  const posSide = field(body, "posSide");
  if (posSide !== undefined && posSide !== "net") return badParam("posSide"); // the account is in net mode
  const account = context.account;
  // A position keeps the margin mode it was opened in; leverage of the other mode does not touch it.
  const held = account.positions.has(s.symbol) ? marginModeOf(account, s.symbol) : null;
  if (held === null || held === mgnMode) {
    account.setLeverage(s.symbol, lever);
    account.setMarginMode(s.symbol, mgnMode);
  }
  return ok([{ lever: num(lever), mgnMode, instId, posSide: "net" }]);
};

export const setPositionMode: OkxRoute = ({ body }, context) => {
  const refused = checkTradePermission(context);
  if (refused !== null) return refused;
  const posMode = field(body, "posMode");
  if (posMode !== "net_mode" && posMode !== "long_short_mode") return badParam("posMode");
  if (context.account.positions.size > 0 || context.account.openOrders().length > 0) {
    return fail("59000", "Settings failed. Close any open positions or orders before modifying settings.");
  }
  okxState(context.account).posMode = posMode;
  return ok([{ posMode }]);
};

/** Every bill (trades and funding), oldest first, with the balance after each: the wallet walked back from now. */
function billsWithBalance(context: PrivateContext): { bill: Bill; balanceAfter: number }[] {
  const account = context.account;
  const bills: Bill[] = [];
  for (const t of account.visibleTrades()) {
    const s = context.symbols.find((x) => x.symbol === t.symbol);
    if (s !== undefined) bills.push(tradeBill(account, t, s));
  }
  for (const f of account.funding) {
    const s = context.symbols.find((x) => x.symbol === f.symbol);
    if (s !== undefined) bills.push(fundingBill(account, f, s));
  }
  bills.sort((a, b) => a.ts - b.ts || Number(a.id) - Number(b.id));
  let balance = account.walletBalance;
  const withBalance: { bill: Bill; balanceAfter: number }[] = [];
  for (let i = bills.length - 1; i >= 0; i--) {
    const bill = bills[i];
    if (bill === undefined) continue;
    withBalance.unshift({ bill, balanceAfter: balance });
    balance -= bill.change;
  }
  return withBalance;
}

function bills(days: number): OkxRoute {
  return ({ query }, context) => {
    const limit = pageLimit(query);
    if (limit === null) return badParam("limit");
    const instType = param(query, "instType");
    const ccy = param(query, "ccy");
    const ctType = param(query, "ctType");
    const instId = param(query, "instId");
    const type = param(query, "type");
    const subType = param(query, "subType");
    const mgnMode = param(query, "mgnMode");
    const after = param(query, "after"); // older than this billId
    const before = param(query, "before"); // newer than this billId
    const begin = Number(param(query, "begin") ?? 0);
    const end = Number(param(query, "end") ?? Number.MAX_SAFE_INTEGER);
    if ((instType !== undefined && instType !== "SWAP") || (ccy !== undefined && ccy !== "USDT") || (ctType !== undefined && ctType !== "linear")) return ok([]);
    const rows = billsWithBalance(context)
      .map(({ bill, balanceAfter }) => ({ bill, row: bill.row(balanceAfter) }))
      .filter(({ bill, row }) =>
        context.now - bill.ts <= days * DAY && bill.ts >= begin && bill.ts <= end
        && (type === undefined || row.type === type) && (subType === undefined || row.subType === subType)
        && (instId === undefined || row.instId === instId) && (mgnMode === undefined || row.mgnMode === mgnMode)
        && (after === undefined || Number(bill.id) < Number(after)) && (before === undefined || Number(bill.id) > Number(before)))
      .reverse().slice(0, limit)
      .map(({ row }) => row);
    return ok(rows);
  };
}
export const getBills = bills(7);
export const getBillsArchive = bills(90);

/** ccxt reads deposit/withdrawal networks from here while loading markets; the answer only has to be well-formed. */
export const getCurrencies: OkxRoute = ({ query }, context) => {
  const wanted = param(query, "ccy")?.split(",");
  const codes = [...new Set(["USDT", ...context.symbols.map((s) => s.base)])].filter((c) => wanted === undefined || wanted.includes(c));
  const chains = (ccy: string): string[] => (ccy === "USDT" ? ["USDT-TRC20", "USDT-ERC20"] : [`${ccy}-${ccy}`]);
  return ok(codes.flatMap((ccy) => chains(ccy).map((chain) => ({
    burningFeeRate: "", canDep: true, canInternal: true, canWd: true, ccy, chain, ctAddr: "", depEstOpenTime: "", depQuotaFixed: "", depQuoteDailyLayer2: "",
    fee: "1", logoLink: "", mainNet: true, maxFee: "1", maxFeeForCtAddr: "", maxWd: "1000000", minDep: "0.00001", minDepArrivalConfirm: "64", minFee: "1",
    minFeeForCtAddr: "", minInternal: "0.00001", minWd: "0.0001", minWdUnlockConfirm: "96", name: ccy, needTag: false, usedDepQuotaFixed: "",
    usedWdQuota: "0", wdEstOpenTime: "", wdQuota: "10000000", wdTickSz: "8",
  }))));
};
