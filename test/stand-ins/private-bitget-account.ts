import { dec, fail, MARGIN_COIN, ok } from "./public-bitget-rules";
import { page, productTypeProblem, symbolParam, text, unknownSymbol, type BitgetEndpoint, type BitgetRequest } from "./private-bitget-request";
import { bitgetSymbol, extrasOf, toBitgetMode } from "./private-bitget-views";
import type { VenueReply } from "./exchange-venue-formats";

/**
 * Bitget v2 account endpoints: all-position, accounts (futures balance), set-leverage,
 * set-margin-mode, account bills (funding is businessType contract_settle_fee) and the spot
 * account info whose `authorities` list the key's permissions ("wwow": withdraw).
 */

const KEEP_MARGIN_RATE = 0.004;

function mayTrade(request: BitgetRequest): VenueReply | null {
  return request.context.account.credentials.canTrade ? null : fail("40014", "Incorrect permissions, need contract trade permissions", request.context.now);
}

function lastOf(request: BitgetRequest, symbol: string): number | undefined {
  const s = request.context.symbols.find((x) => x.symbol === symbol);
  return s?.ticker?.last ?? s?.current?.markPrice ?? s?.book?.bids[0]?.[0];
}

export const allPositions: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request);
  if (problem !== null) return problem;
  const rows = [...account.positions.values()].map((p) => {
    const leverage = account.leverage.get(p.symbol) ?? 10;
    const mark = lastOf(request, p.symbol) ?? p.entryPrice;
    const direction = p.side === "long" ? 1 : -1;
    const margin = (p.qty * p.entryPrice) / leverage;
    const isolated = toBitgetMode(account.marginMode.get(p.symbol)) === "isolated";
    // Isolated: the price at which the margin is gone down to the maintenance rate.
    const liquidation = isolated ? (p.entryPrice - (direction * margin) / p.qty) / (1 - direction * KEEP_MARGIN_RATE) : 0;
    const funding = account.funding.filter((f) => f.symbol === p.symbol && f.ts >= p.openedAt).reduce((sum, f) => sum + f.amount, 0);
    const protective = account.openOrders(p.symbol).map((o) => ({ order: o, planType: extrasOf(account).get(o.id)?.planType }));
    const stop = protective.find((x) => x.planType === "pos_loss")?.order;
    const target = protective.find((x) => x.planType === "pos_profit")?.order;
    return {
      marginCoin: MARGIN_COIN, symbol: bitgetSymbol(p.symbol), holdSide: p.side, openDelegateSize: "0", marginSize: dec(margin), available: dec(p.qty), locked: "0",
      total: dec(p.qty), leverage: String(leverage), achievedProfits: "0", openPriceAvg: dec(p.entryPrice), marginMode: toBitgetMode(account.marginMode.get(p.symbol)),
      posMode: "one_way_mode", unrealizedPL: dec((mark - p.entryPrice) * p.qty * direction), liquidationPrice: dec(Math.max(0, liquidation)),
      keepMarginRate: dec(KEEP_MARGIN_RATE), markPrice: dec(mark), breakEvenPrice: dec(p.entryPrice), totalFee: funding === 0 ? "" : dec(funding), deductedFee: "0",
      takeProfit: target?.triggerPrice == null ? "" : dec(target.triggerPrice), stopLoss: stop?.triggerPrice == null ? "" : dec(stop.triggerPrice),
      takeProfitId: target?.id ?? "", stopLossId: stop?.id ?? "", marginRatio: "0.01", assetMode: "single", cTime: String(p.openedAt), uTime: String(p.updatedAt),
    };
  });
  return ok(rows, now);
};

export const accounts: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request);
  if (problem !== null) return problem;
  const available = account.availableBalance();
  const unrealized = account.unrealizedPnl();
  return ok([{
    marginCoin: MARGIN_COIN, locked: "0", available: dec(available), crossedMaxAvailable: dec(available), isolatedMaxAvailable: dec(available),
    maxTransferOut: dec(available), accountEquity: dec(account.equity()), usdtEquity: dec(account.equity()), btcEquity: "0", crossedRiskRate: "0",
    unrealizedPL: dec(unrealized), coupon: "0", unionTotalMagin: "0", unionAvailable: "0", unionMm: "0", assetList: [],
    isolatedMargin: dec(account.usedMargin()), crossedMargin: "0", crossedUnrealizedPL: "0", isolatedUnrealizedPL: dec(unrealized), assetMode: "single",
  }], now);
};

function leverageData(request: BitgetRequest, symbol: string): Record<string, unknown> {
  const { account } = request.context;
  const leverage = String(account.leverage.get(symbol) ?? 10);
  return { symbol: bitgetSymbol(symbol), marginCoin: MARGIN_COIN, longLeverage: leverage, shortLeverage: leverage, crossMarginLeverage: leverage, marginMode: toBitgetMode(account.marginMode.get(symbol)) };
}

export const setLeverage: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request) ?? mayTrade(request);
  if (problem !== null) return problem;
  const s = symbolParam(request);
  if (s === undefined) return fail("40019", "Parameter symbol cannot be empty", now);
  if (s === null) return unknownSymbol(request);
  const leverage = Number(text(request.params, "leverage") ?? text(request.params, "longLeverage"));
  if (!Number.isInteger(leverage) || leverage < 1 || leverage > 125) return fail("40020", "Parameter leverage error", now);
  // Bitget answers an unchanged leverage with an error, not a success.
  if ((account.leverage.get(s.symbol) ?? 10) === leverage) return fail("40814", "No change in leverage", now);
  account.setLeverage(s.symbol, leverage);
  return ok(leverageData(request, s.symbol), now);
};

export const setMarginMode: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request) ?? mayTrade(request);
  if (problem !== null) return problem;
  const s = symbolParam(request);
  if (s === undefined) return fail("40019", "Parameter symbol cannot be empty", now);
  if (s === null) return unknownSymbol(request);
  const wanted = text(request.params, "marginMode");
  if (wanted !== "isolated" && wanted !== "crossed") return fail("40020", "Parameter marginMode error", now);
  if (toBitgetMode(account.marginMode.get(s.symbol)) !== wanted) {
    if (account.positions.has(s.symbol) || account.openOrders(s.symbol).length > 0) return fail("45117", "Currently holding positions or orders, the margin mode cannot be adjusted", now);
    account.setMarginMode(s.symbol, wanted === "isolated" ? "isolated" : "cross");
  }
  return ok(leverageData(request, s.symbol), now);
};

export const accountBill: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const problem = productTypeProblem(request);
  if (problem !== null) return problem;
  const s = symbolParam(request);
  if (s === null) return unknownSymbol(request);
  const businessType = text(request.params, "businessType");
  // The stand-in's only bills are funding settlements.
  const payments = businessType === undefined || businessType === "contract_settle_fee" ? account.funding.filter((f) => s === undefined || f.symbol === s.symbol) : [];
  const { rows, endId } = page(request, payments, (f) => f.ts, (f) => f.id);
  const bills = rows.map((f) => ({
    billId: f.id, symbol: bitgetSymbol(f.symbol), amount: dec(f.amount), fee: "0", feeByCoupon: "", businessType: "contract_settle_fee", coin: MARGIN_COIN,
    balance: dec(account.walletBalance), cTime: String(f.ts),
  }));
  return ok({ bills, endId }, now);
};

/** GET /api/v2/spot/account/info: the key's permissions (read-only ones always; write ones as granted). */
export const spotAccountInfo: BitgetEndpoint = (request) => {
  const { account, now } = request.context;
  const { canTrade, canWithdraw } = account.credentials;
  const authorities = ["coor", "cpor", "stor", "wtor", ...(canTrade ? ["coow", "cpow", "stow"] : []), ...(canWithdraw ? ["wwow"] : [])];
  return ok({ userId: "6093521784", inviterId: "", ips: "", authorities, parentId: 6093521784, traderType: "not_trader", channelCode: "", channel: "", regisTime: "1672531200000" }, now);
};
