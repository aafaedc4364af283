import type { StandInPosition } from "./exchange-account";
import type { SymbolState, VenueReply } from "./exchange-venue-formats";
import {
  fail, idOf, inWindow, isReply, lastPrice, limitParam, missing, money, ok, price, qty, symbolIdOf, symbolParam, type BinanceCall,
} from "./private-binanceusdm-wire";

/**
 * Binance USD-M account endpoints: balance (v3 account), positions (v3 and v2 positionRisk),
 * leverage brackets, leverage, margin type, position and asset modes, income and fills.
 */

/** Binance's default per-symbol leverage is 20; the account's margin arithmetic assumes 10 until told, so that is what it shows. */
const leverageOf = (call: BinanceCall, symbol: string): number => call.account.leverage.get(symbol) ?? 10;
const modeOf = (call: BinanceCall, symbol: string): "isolated" | "cross" => call.account.marginMode.get(symbol) ?? "cross";

/** A BTCUSDT-like bracket table: notional floor and cap, the leverage allowed and the maintenance rate. */
const BRACKETS = [
  { bracket: 1, initialLeverage: 125, notionalCap: 50_000, notionalFloor: 0, maintMarginRatio: 0.004, cum: 0 },
  { bracket: 2, initialLeverage: 100, notionalCap: 600_000, notionalFloor: 50_000, maintMarginRatio: 0.005, cum: 50 },
  { bracket: 3, initialLeverage: 75, notionalCap: 3_000_000, notionalFloor: 600_000, maintMarginRatio: 0.0065, cum: 950 },
  { bracket: 4, initialLeverage: 50, notionalCap: 12_000_000, notionalFloor: 3_000_000, maintMarginRatio: 0.01, cum: 11_450 },
  { bracket: 5, initialLeverage: 25, notionalCap: 70_000_000, notionalFloor: 12_000_000, maintMarginRatio: 0.02, cum: 131_450 },
] as const;
const maxNotionalFor = (leverage: number): number => [...BRACKETS].reverse().find((b) => b.initialLeverage >= leverage)?.notionalCap ?? 0;

interface PositionFigures {
  readonly amount: number; // signed: long > 0
  readonly notional: number;
  readonly unrealized: number;
  readonly initialMargin: number;
  readonly maintMargin: number;
  readonly isolatedWallet: number;
  readonly liquidation: number;
  readonly mark: number;
}

function figures(call: BinanceCall, s: SymbolState, p: StandInPosition | undefined): PositionFigures {
  const mark = lastPrice(s);
  if (p === undefined) return { amount: 0, notional: 0, unrealized: 0, initialMargin: 0, maintMargin: 0, isolatedWallet: 0, liquidation: 0, mark };
  const sign = p.side === "long" ? 1 : -1;
  const leverage = leverageOf(call, s.symbol);
  const notional = sign * p.qty * mark;
  const isolatedWallet = modeOf(call, s.symbol) === "isolated" ? (p.qty * p.entryPrice) / leverage : 0;
  // Where margin minus the loss meets maintenance (the first bracket's rate): close enough for a stand-in.
  const liquidation = p.entryPrice * (1 - sign / leverage + sign * BRACKETS[0].maintMarginRatio);
  return {
    amount: sign * p.qty, notional, unrealized: (mark - p.entryPrice) * sign * p.qty, initialMargin: Math.abs(notional) / leverage,
    maintMargin: Math.abs(notional) * BRACKETS[0].maintMarginRatio, isolatedWallet, liquidation, mark,
  };
}

/** GET /fapi/v3/positionRisk: symbols with a position or an open order only. GET /fapi/v2/positionRisk: every symbol, with leverage and margin type. */
function positionRisk(call: BinanceCall, version: 2 | 3): VenueReply {
  const only = symbolParam(call, false);
  if (isReply(only)) return only;
  const openSymbols = new Set(call.account.openOrders().map((o) => o.symbol));
  const rows = call.symbols.filter((s) => (only === null || s === only) && (version === 2 || call.account.positions.has(s.symbol) || openSymbols.has(s.symbol)));
  return ok(rows.map((s) => {
    const p = call.account.positions.get(s.symbol);
    const f = figures(call, s, p);
    const isolated = modeOf(call, s.symbol) === "isolated";
    const entry = p?.entryPrice ?? 0;
    const common = {
      symbol: idOf(s), positionSide: "BOTH", positionAmt: qty(f.amount), entryPrice: price(entry),
      breakEvenPrice: price(entry === 0 ? 0 : entry * (1 + Math.sign(f.amount) * 0.0005)), markPrice: money(f.mark),
      liquidationPrice: p === undefined ? "0" : money(f.liquidation), isolatedMargin: money(isolated ? f.isolatedWallet + f.unrealized : 0),
      notional: money(f.notional), isolatedWallet: money(f.isolatedWallet), updateTime: p?.updatedAt ?? 0,
    };
    if (version === 2) {
      return { ...common, unRealizedProfit: money(f.unrealized), marginType: isolated ? "isolated" : "cross", isAutoAddMargin: "false",
        leverage: String(leverageOf(call, s.symbol)), maxNotionalValue: String(maxNotionalFor(leverageOf(call, s.symbol))) };
    }
    return { ...common, unRealizedProfit: money(f.unrealized), marginAsset: "USDT", initialMargin: money(f.initialMargin), maintMargin: money(f.maintMargin),
      positionInitialMargin: money(f.initialMargin), openOrderInitialMargin: "0", adl: p === undefined ? 0 : 2, bidNotional: "0", askNotional: "0" };
  }));
}

/** GET /fapi/v3/account: the wallet in USDT, and the positions that are open. */
function accountInfo(call: BinanceCall): VenueReply {
  const a = call.account;
  const withPositions = call.symbols.filter((s) => a.positions.has(s.symbol));
  const all = withPositions.map((s) => ({ s, f: figures(call, s, a.positions.get(s.symbol)) }));
  const maint = all.reduce((sum, x) => sum + x.f.maintMargin, 0);
  const wallet = money(a.walletBalance);
  const lastChange = Math.max(0, ...a.trades.map((t) => t.ts), ...a.funding.map((f) => f.ts));
  const asset = {
    walletBalance: wallet, unrealizedProfit: money(a.unrealizedPnl()), marginBalance: money(a.equity()), maintMargin: money(maint),
    initialMargin: money(a.usedMargin()), positionInitialMargin: money(a.usedMargin()), openOrderInitialMargin: "0.00000000",
    crossWalletBalance: wallet, crossUnPnl: money(a.unrealizedPnl()), availableBalance: money(a.availableBalance()), maxWithdrawAmount: money(a.availableBalance()),
  };
  return ok({
    totalInitialMargin: asset.initialMargin, totalMaintMargin: asset.maintMargin, totalWalletBalance: wallet, totalUnrealizedProfit: asset.unrealizedProfit,
    totalMarginBalance: asset.marginBalance, totalPositionInitialMargin: asset.positionInitialMargin, totalOpenOrderInitialMargin: asset.openOrderInitialMargin,
    totalCrossWalletBalance: wallet, totalCrossUnPnl: asset.crossUnPnl, availableBalance: asset.availableBalance, maxWithdrawAmount: asset.maxWithdrawAmount,
    // A wallet that never changed has updateTime 0 on Binance (ccxt skips such assets): a funded one has changed.
    assets: [{ asset: "USDT", ...asset, updateTime: lastChange === 0 ? call.now : lastChange }],
    positions: all.map(({ s, f }) => ({
      symbol: idOf(s), positionSide: "BOTH", positionAmt: qty(f.amount), unrealizedProfit: money(f.unrealized),
      isolatedMargin: money(modeOf(call, s.symbol) === "isolated" ? f.isolatedWallet + f.unrealized : 0), notional: money(f.notional),
      isolatedWallet: money(f.isolatedWallet), initialMargin: money(f.initialMargin), maintMargin: money(f.maintMargin), updateTime: a.positions.get(s.symbol)?.updatedAt ?? 0,
    })),
  });
}

/** POST /fapi/v1/leverage: the same leverage again is simply accepted (Binance has no "not modified" error here). */
function setLeverage(call: BinanceCall, s: SymbolState): VenueReply {
  const raw = call.params.get("leverage");
  if (raw === null || raw === "") return missing("leverage");
  const leverage = Number(raw);
  if (!Number.isInteger(leverage) || leverage < 1 || leverage > BRACKETS[0].initialLeverage) return fail(-4028, `Leverage ${raw} is not valid`);
  const current = leverageOf(call, s.symbol);
  if (modeOf(call, s.symbol) === "isolated" && call.account.positions.has(s.symbol) && leverage < current) {
    return fail(-4161, "Leverage reduction is not supported in Isolated Margin Mode with open positions.");
  }
  call.account.setLeverage(s.symbol, leverage);
  return ok({ leverage, maxNotionalValue: String(maxNotionalFor(leverage)), symbol: idOf(s) });
}

/** POST /fapi/v1/marginType: -4046 when it is already so (ccxt turns that into success). */
function setMarginType(call: BinanceCall, s: SymbolState): VenueReply {
  const raw = call.params.get("marginType");
  if (raw === null || raw === "") return missing("marginType");
  if (raw !== "ISOLATED" && raw !== "CROSSED") return fail(-1130, "Data sent for parameter 'marginType' is not valid.");
  const wanted = raw === "ISOLATED" ? "isolated" : "cross";
  if (modeOf(call, s.symbol) === wanted) return fail(-4046, "No need to change margin type.");
  if (call.account.positions.has(s.symbol)) return fail(-4048, "Margin type cannot be changed if there exists position.");
  if (call.account.openOrders(s.symbol).length > 0) return fail(-4047, "Margin type cannot be changed if there exists open orders.");
  call.account.setMarginMode(s.symbol, wanted);
  return ok({ code: 200, msg: "success" });
}

/** GET /fapi/v1/income: funding, commission and realized PnL flows, oldest first. */
function income(call: BinanceCall): VenueReply {
  const only = symbolParam(call, false);
  if (isReply(only)) return only;
  const limit = limitParam(call, 100, 1000);
  if (isReply(limit)) return limit;
  const type = call.params.get("incomeType");
  const rows: { symbol: string; incomeType: string; income: string; asset: string; info: string; time: number; tranId: number; tradeId: string }[] = [];
  const add = (symbol: string, incomeType: string, amount: number, time: number, tranId: string, tradeId: string): void => {
    if ((type === null || type === incomeType) && (only === null || only.symbol === symbol) && inWindow(call, time)) {
      rows.push({ symbol: symbolIdOf(call, symbol), incomeType, income: money(amount), asset: "USDT", info: incomeType, time, tranId: Number(tranId), tradeId });
    }
  };
  for (const f of call.account.funding) add(f.symbol, "FUNDING_FEE", f.amount, f.ts, f.id, "");
  for (const t of call.account.visibleTrades()) {
    if (t.realizedPnl !== 0) add(t.symbol, "REALIZED_PNL", t.realizedPnl, t.ts, `${t.id}1`, t.id);
    add(t.symbol, "COMMISSION", -t.fee, t.ts, `${t.id}2`, t.id);
  }
  rows.sort((x, y) => x.time - y.time);
  return ok(call.params.has("startTime") ? rows.slice(0, limit) : rows.slice(-limit));
}

/** GET /fapi/v1/userTrades: one symbol's fills, of one order when orderId is given. Fills carry no client order id. */
function userTrades(call: BinanceCall, s: SymbolState): VenueReply {
  const limit = limitParam(call, 500, 1000);
  if (isReply(limit)) return limit;
  const orderId = call.params.get("orderId");
  const fromId = call.params.get("fromId");
  if (fromId !== null && (call.params.has("startTime") || call.params.has("endTime"))) return fail(-1128, "Combination of optional parameters invalid.");
  const rows = call.account.visibleTrades().filter((t) => t.symbol === s.symbol && (orderId === null || t.orderId === orderId)
    && (fromId === null ? orderId !== null || inWindow(call, t.ts) : Number(t.id) >= Number(fromId)));
  const picked = fromId === null && !call.params.has("startTime") ? rows.slice(-limit) : rows.slice(0, limit);
  return ok(picked.map((t) => ({
    buyer: t.side === "buy", commission: money(t.fee), commissionAsset: "USDT", id: Number(t.id), maker: false, orderId: Number(t.orderId),
    price: price(t.price), qty: qty(t.qty), quoteQty: money(t.qty * t.price), realizedPnl: money(t.realizedPnl), side: t.side.toUpperCase(),
    positionSide: "BOTH", symbol: idOf(s), time: t.ts,
  })));
}

export function accountEndpoint(call: BinanceCall): VenueReply | null {
  const route = `${call.method} ${call.path}`;
  switch (route) {
    case "GET /fapi/v3/account":
      return accountInfo(call);
    case "GET /fapi/v3/positionRisk":
      return positionRisk(call, 3);
    case "GET /fapi/v2/positionRisk":
      return positionRisk(call, 2);
    case "GET /fapi/v1/leverageBracket": {
      const only = symbolParam(call, false);
      if (isReply(only)) return only;
      const entry = (s: SymbolState) => ({ symbol: idOf(s), notionalCoef: 1.0, brackets: BRACKETS });
      return ok(only === null ? call.symbols.map(entry) : entry(only)); // one symbol asked: one object, not a list
    }
    case "GET /fapi/v1/positionSide/dual":
      return ok({ dualSidePosition: false }); // the account is one-way (positionSide BOTH) only
    case "GET /fapi/v1/multiAssetsMargin":
      return ok({ multiAssetsMargin: false });
    case "GET /fapi/v1/income":
      return income(call);
    case "POST /fapi/v1/leverage":
    case "POST /fapi/v1/marginType":
    case "GET /fapi/v1/userTrades": {
      const s = symbolParam(call, true);
      if (s === null || isReply(s)) return s ?? missing("symbol");
      if (route === "GET /fapi/v1/userTrades") return userTrades(call, s);
      return route === "POST /fapi/v1/leverage" ? setLeverage(call, s) : setMarginType(call, s);
    }
    default:
      return null;
  }
}

/**
 * The wallet (/sapi) calls ccxt makes with futures keys: /account/apiRestrictions (what the key may
 * do), and /capital/config/getall + /margin/allPairs, which loadMarkets fetches (fetchCurrencies)
 * as soon as keys are set.
 */
export function walletEndpoint(call: BinanceCall): VenueReply | null {
  if (call.method !== "GET") return null;
  const c = call.account.credentials;
  if (call.path === "/sapi/v1/account/apiRestrictions") {
    return ok({
      ipRestrict: false, createTime: 1_623_840_271_000, enableReading: true, enableWithdrawals: c.canWithdraw, enableInternalTransfer: true,
      enableMargin: false, enableFutures: c.canTrade, permitsUniversalTransfer: true, enableVanillaOptions: false, enableFixApiTrade: false,
      enableFixReadOnly: true, enableSpotAndMarginTrading: false, enablePortfolioMarginTrading: false,
    });
  }
  if (call.path === "/sapi/v1/margin/allPairs") {
    return ok(call.symbols.map((s, i) => ({ id: 351_637_150_141_315 + i, symbol: idOf(s), base: s.base, quote: s.quote, isMarginTrade: true, isBuyAllowed: true, isSellAllowed: true })));
  }
  if (call.path === "/sapi/v1/capital/config/getall") {
    const coins = [...new Set(["USDT", ...call.symbols.map((s) => s.base)])];
    return ok(coins.map((coin) => ({
      coin, depositAllEnable: true, withdrawAllEnable: true, name: coin, free: coin === "USDT" ? money(0) : "0", locked: "0", freeze: "0",
      withdrawing: "0", ipoing: "0", ipoable: "0", storage: "0", isLegalMoney: false, trading: true,
      networkList: [{
        network: "BSC", coin, withdrawIntegerMultiple: "0.00000001", isDefault: true, depositEnable: true, withdrawEnable: true, depositDesc: "",
        withdrawDesc: "", specialTips: "", specialWithdrawTips: "", name: "BNB Smart Chain (BEP20)", resetAddressStatus: false,
        addressRegex: "^(0x)[0-9A-Fa-f]{40}$", memoRegex: "", withdrawFee: "0.8", withdrawMin: "10", withdrawMax: "9999999999",
        withdrawInternalMin: "0.01", depositDust: "0.01", minConfirm: 15, unLockConfirm: 0, sameAddress: false, withdrawTag: false,
        estimatedArrivalTime: 1, busy: false, contractAddressUrl: "", contractAddress: "", denomination: 1,
      }],
    })));
  }
  return null;
}
