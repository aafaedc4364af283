import type { StandInAccount, StandInPosition } from "./exchange-account";
import type { SymbolState, VenueReply } from "./exchange-venue-formats";
import { venueId } from "./exchange-venue-formats";
import { decimal, fail, findSymbol, lastPrice, ok, onStep, page, text, tradingRules, type BybitCall, type BybitEndpoint } from "./private-bybit-common";
import type { PrivateContext } from "./private-wire";

/**
 * Bybit v5 account endpoints of a unified trading account (UTA 2.0): the API key's own record
 * (permissions, "uta": 1), account info (margin mode), coin info, wallet balance, positions,
 * leverage and the account-wide margin mode.
 */

const MAINTENANCE_RATE = 0.005;

/** On a unified account the margin mode is the whole account's, not a symbol's. */
const accountMarginMode = new WeakMap<StandInAccount, "isolated" | "cross">();

function queryApi({ context }: BybitCall): VenueReply {
  const { canTrade, canWithdraw, apiKey } = context.account.credentials;
  return ok(context.now, {
    id: "2208369", note: "perpbot", apiKey, readOnly: canTrade ? 0 : 1, secret: "",
    permissions: {
      ContractTrade: canTrade ? ["Order", "Position"] : [], Spot: [], Wallet: ["AccountTransfer", "SubMemberTransfer", ...(canWithdraw ? ["Withdraw"] : [])],
      Options: [], Derivatives: canTrade ? ["DerivativesTrade"] : [], CopyTrading: [], BlockTrade: [], Exchange: [], NFT: [], Affiliate: [], Earn: [],
    },
    ips: ["*"], type: 1, deadlineDay: 83, expiredAt: "2099-01-01T00:00:00Z", createdAt: "2024-01-01T00:00:00Z", unified: 0, uta: 1,
    userID: 24600000, inviterID: 0, vipLevel: "No VIP", mktMakerLevel: "0", affiliateID: 0, rsaPublicKey: "", isMaster: true, parentUid: "0", kycLevel: "LEVEL_1", kycRegion: "",
  }, "");
}

function accountInfo({ context }: BybitCall): VenueReply {
  const mode = accountMarginMode.get(context.account) ?? "cross";
  return ok(context.now, {
    marginMode: mode === "isolated" ? "ISOLATED_MARGIN" : "REGULAR_MARGIN", updatedTime: "1697078946000", unifiedMarginStatus: 6,
    dcpStatus: "OFF", timeWindow: 10, smpGroup: 0, isMasterTrader: false, spotHedgingStatus: "OFF",
  });
}

/** ccxt loads currencies with the keys it was given, so this is the first signed call a client makes. */
function coinInfo({ context }: BybitCall): VenueReply {
  const coins = [...new Set(["USDT", ...context.symbols.map((s) => s.base)])];
  const rows = coins.map((coin) => ({
    name: coin, coin, remainAmount: "10000000",
    chains: [{
      chainType: "Ethereum", confirmation: "6", withdrawFee: coin === "USDT" ? "4" : "0.0005", depositMin: "0", withdrawMin: coin === "USDT" ? "10" : "0.001", chain: "ETH",
      chainDeposit: "1", chainWithdraw: "1", minAccuracy: "8", withdrawPercentageFee: "0", contractAddress: "", safeConfirmNumber: "65", withdrawMax: "10000000",
    }],
  }));
  return ok(context.now, { rows }, "success");
}

function walletBalance({ params, context }: BybitCall): VenueReply {
  const { account, now } = context;
  if (text(params, "accountType") !== "UNIFIED") return fail(now, 10001, "accountType only support UNIFIED.");
  const wallet = account.walletBalance;
  const upl = account.unrealizedPnl();
  const im = account.usedMargin();
  let mm = 0;
  for (const p of account.positions.values()) mm += p.qty * p.entryPrice * MAINTENANCE_RATE;
  const equity = wallet + upl;
  const usdt = {
    coin: "USDT", equity: decimal(equity), usdValue: decimal(equity), walletBalance: decimal(wallet), locked: "0", spotHedgingQty: "0", borrowAmount: "0",
    accruedInterest: "0", totalOrderIM: "0", totalPositionIM: decimal(im), totalPositionMM: decimal(mm), unrealisedPnl: decimal(upl), cumRealisedPnl: "0",
    bonus: "0", marginCollateral: true, collateralSwitch: true, spotBorrow: "0", free: "", availableToWithdraw: "", availableToBorrow: "",
  };
  // The account-wide figures leave isolated positions out, as Bybit's do.
  const isolated = accountMarginMode.get(account) === "isolated";
  return ok(now, { list: [{
    accountType: "UNIFIED", accountIMRate: "0", accountMMRate: "0", accountIMRateByMp: "0", accountMMRateByMp: "0", accountLTV: "0",
    totalEquity: decimal(equity), totalWalletBalance: decimal(wallet), totalMarginBalance: decimal(isolated ? wallet : equity),
    totalAvailableBalance: decimal(isolated ? wallet : Math.max(0, equity - im)), totalPerpUPL: decimal(isolated ? 0 : upl),
    totalInitialMargin: decimal(isolated ? 0 : im), totalMaintenanceMargin: decimal(isolated ? 0 : mm),
    totalInitialMarginByMp: decimal(isolated ? 0 : im), totalMaintenanceMarginByMp: decimal(isolated ? 0 : mm), coin: [usdt],
  }] });
}

function renderPosition(s: SymbolState, p: StandInPosition | undefined, context: PrivateContext): Record<string, unknown> {
  const leverage = context.account.leverage.get(s.symbol) ?? 10;
  const mark = lastPrice(s);
  const size = p?.qty ?? 0;
  const entry = p?.entryPrice ?? 0;
  const sign = p?.side === "short" ? -1 : 1;
  // Isolated liquidation: the price where the position's margin minus the maintenance margin is lost.
  const liq = p === undefined ? "" : decimal(Math.max(0, entry * (1 - sign / leverage + sign * MAINTENANCE_RATE)), 4);
  return {
    positionIdx: 0, riskId: 1, riskLimitValue: "2000000", symbol: venueId("bybit", s), side: p === undefined ? "" : p.side === "long" ? "Buy" : "Sell",
    size: decimal(size), avgPrice: decimal(entry), positionValue: decimal(size * entry), tradeMode: 0, positionStatus: "Normal", autoAddMargin: 0, adlRankIndicator: p === undefined ? 0 : 2,
    leverage: decimal(leverage), breakEvenPrice: decimal(entry), positionBalance: decimal((size * entry) / leverage), markPrice: decimal(mark), liqPrice: liq, bustPrice: "",
    positionIM: decimal((size * entry) / leverage), positionIMByMp: decimal((size * mark) / leverage), positionMM: decimal(size * entry * MAINTENANCE_RATE), positionMMByMp: decimal(size * mark * MAINTENANCE_RATE),
    takeProfit: "", stopLoss: "", trailingStop: "0", sessionAvgPrice: "", delta: "", gamma: "", vega: "", theta: "", unrealisedPnl: decimal((mark - entry) * size * sign),
    curRealisedPnl: "0", cumRealisedPnl: "0", seq: p === undefined ? -1 : 1000 + (p.updatedAt % 1_000_000), isReduceOnly: false, mmrSysUpdatedTime: "", leverageSysUpdatedTime: "",
    tpslMode: "Full", createdTime: String(p?.openedAt ?? 1_676_538_056_258), updatedTime: String(p?.updatedAt ?? 1_676_538_056_258), openTime: p?.openedAt ?? 0,
  };
}

/** With a symbol: its row even when flat (size "0"); with a settle coin: only positions that are open. */
function positionList({ params, context }: BybitCall): VenueReply {
  const { now, account } = context;
  if (text(params, "category") !== "linear") return fail(now, 10001, "Illegal category");
  const symbolId = text(params, "symbol");
  const settleCoin = text(params, "settleCoin");
  if (symbolId === undefined && settleCoin === undefined) return fail(now, 10001, "Missing some parameters that must be filled in, symbol or settleCoin");
  let rows: Record<string, unknown>[];
  if (symbolId !== undefined) {
    const s = findSymbol(context, symbolId);
    if (s === undefined) return fail(now, 10001, "params error: symbol invalid");
    rows = [renderPosition(s, account.positions.get(s.symbol), context)];
  } else {
    rows = context.symbols.filter((s) => s.quote === settleCoin && account.positions.has(s.symbol)).map((s) => renderPosition(s, account.positions.get(s.symbol), context));
  }
  const paged = page(rows, params, { max: 200, fallback: 20 });
  if ("error" in paged) return fail(now, 10001, paged.error);
  return ok(now, { list: paged.rows, nextPageCursor: paged.nextPageCursor, category: "linear" });
}

function setLeverage({ params, context }: BybitCall): VenueReply {
  const { now, account } = context;
  if (text(params, "category") !== "linear") return fail(now, 10001, "Illegal category");
  const s = findSymbol(context, text(params, "symbol"));
  if (s === undefined) return fail(now, 10001, "params error: symbol invalid");
  const buy = Number(text(params, "buyLeverage"));
  const sell = Number(text(params, "sellLeverage"));
  const rules = tradingRules(context, s);
  if (!(buy >= 1) || buy > rules.maxLeverage || !onStep(buy, 0.01)) return fail(now, 10001, `params error: leverage must be in [1, ${rules.maxLeverage}]`);
  if (buy !== sell) return fail(now, 10001, "params error: buyLeverage must be equal to sellLeverage in one-way mode");
  if ((account.leverage.get(s.symbol) ?? 10) === buy) return fail(now, 110043, "Set leverage not modified");
  account.setLeverage(s.symbol, buy);
  return ok(now, {});
}

/**
 * UTA: one margin mode for the whole account. Asking for the mode it already has is accepted; a
 * switch is refused while positions or orders are open.
 */
function setMarginMode({ params, context }: BybitCall): VenueReply {
  const { now, account } = context;
  const wanted = text(params, "setMarginMode");
  if (wanted !== "ISOLATED_MARGIN" && wanted !== "REGULAR_MARGIN" && wanted !== "PORTFOLIO_MARGIN") return fail(now, 10001, "params error: setMarginMode invalid");
  if (wanted === "PORTFOLIO_MARGIN") {
    return fail(now, 3400045, "Set margin mode failed", { reasons: [{ reasonCode: "3400000", reasonMsg: "Equity needs to be equal to or greater than 1000 USDC" }] });
  }
  const mode = wanted === "ISOLATED_MARGIN" ? "isolated" : "cross";
  const current = accountMarginMode.get(account) ?? "cross";
  if (mode !== current && (account.positions.size > 0 || account.openOrders().length > 0)) {
    return fail(now, 3400045, "Set margin mode failed", { reasons: [{ reasonCode: "3400052", reasonMsg: "You have positions or active orders; the margin mode cannot be switched." }] });
  }
  accountMarginMode.set(account, mode);
  for (const s of context.symbols) account.setMarginMode(s.symbol, mode);
  return ok(now, { reasons: [] }, "Request accepted");
}

/** The classic account's per-symbol switch; a unified account must use set-margin-mode. */
function switchIsolated({ context }: BybitCall): VenueReply {
  return fail(context.now, 100028, "unified account is forbidden");
}

export const ACCOUNT_ENDPOINTS: Readonly<Record<string, { readonly method: "GET" | "POST"; readonly trading: boolean; readonly handle: BybitEndpoint }>> = {
  "/v5/user/query-api": { method: "GET", trading: false, handle: queryApi },
  "/v5/account/info": { method: "GET", trading: false, handle: accountInfo },
  "/v5/asset/coin/query-info": { method: "GET", trading: false, handle: coinInfo },
  "/v5/account/wallet-balance": { method: "GET", trading: false, handle: walletBalance },
  "/v5/position/list": { method: "GET", trading: false, handle: positionList },
  "/v5/position/set-leverage": { method: "POST", trading: true, handle: setLeverage },
  "/v5/position/switch-isolated": { method: "POST", trading: true, handle: switchIsolated },
  "/v5/account/set-margin-mode": { method: "POST", trading: true, handle: setMarginMode },
};
