import Decimal from "decimal.js";
import { leverageFor, stopPrice, type RiskParams, type VolatilityRegime } from "../risk/sizing";
import { sideSign } from "../trades/pnl";
import type { ProposalTerms, Side } from "./types";

/** What a venue allows for one symbol (the caller supplies defaults for unknown markets). */
export interface MarketSpec {
  readonly lotSize: number;
  readonly minQty: number;
  readonly minNotional: number;
  readonly tickSize: number;
  readonly maintenanceMarginRate: number;
}

export interface TermsParams {
  readonly risk: RiskParams;
  /** Take-profit distance as a multiple of the stop distance (e.g. 1.5). */
  readonly rewardToRisk: number;
  readonly takerFeeBps: number;
  readonly slippageBps: number;
  readonly ttlMinutes: number;
  readonly autoExecute: boolean;
}

export interface TermsInput {
  readonly id: string;
  readonly symbol: string;
  readonly venue: string;
  readonly side: Side;
  readonly signalId: number | null;
  readonly now: number;
  readonly equity: Decimal;
  /** Reference (mark) price. */
  readonly price: number;
  readonly regime: VolatilityRegime;
  readonly sizeHalved: boolean;
  readonly market: MarketSpec;
  readonly fundingRate: number | null;
  readonly fundingIntervalHours: number;
  readonly horizonHours: number;
  readonly params: TermsParams;
}

export type TermsResult = { readonly ok: true; readonly terms: ProposalTerms } | { readonly ok: false; readonly reason: string };

/**
 * Rounds a price to the tick towards `anchor` (the entry): a rounded stop is never further from
 * the entry than the 2% rule, and a rounded take-profit never promises more than reward-to-risk ×
 * the stop distance; a rounded liquidation estimate errs on the near (cautious) side.
 */
function toTick(price: number, anchor: number, tick: number): number {
  if (!(tick > 0)) return price;
  const steps = new Decimal(price).div(tick);
  return (price < anchor ? steps.ceil() : steps.floor()).times(tick).toNumber();
}

export function liquidationEstimate(side: Side, price: number, leverage: number, maintenanceMarginRate: number): number {
  return side === "long"
    ? price * (1 - 1 / leverage + maintenanceMarginRate)
    : price * (1 + 1 / leverage - maintenanceMarginRate);
}

export function buildProposalTerms(input: TermsInput): TermsResult {
  const { side, market, params, price, symbol } = input;
  const { risk } = params;
  if (!input.equity.isFinite() || input.equity.lte(0)) {
    return { ok: false, reason: `Equity is ${input.equity.toString()} USDT, so there is nothing to size a trade with. Fund the account or check the equity setting.` };
  }
  if (!(Number.isFinite(price) && price > 0)) return { ok: false, reason: `There is no usable price for ${symbol} (got ${price}).` };
  if (!(input.horizonHours > 0) || !(input.fundingIntervalHours > 0)) {
    return { ok: false, reason: `The horizon (${input.horizonHours} h) and the funding interval (${input.fundingIntervalHours} h) must be positive.` };
  }

  const leverage = leverageFor(input.regime, risk);
  const targetMargin = input.equity.times(risk.positionFraction).times(input.sizeHalved ? 0.5 : 1);
  const targetNotional = targetMargin.times(leverage);
  const lot = new Decimal(market.lotSize);
  const raw = targetNotional.div(price);
  const quantity = lot.gt(0) ? raw.div(lot).floor().times(lot) : raw;
  const notionalUsd = quantity.times(price);
  const marginUsd = notionalUsd.div(leverage);
  const sizing = `${(risk.positionFraction * 100).toFixed(0)}% of ${input.equity.toFixed(2)} USDT equity${input.sizeHalved ? ", halved by the drawdown rule," : ""} at ${leverage}x`;
  if (quantity.lt(market.minQty) || quantity.lte(0)) {
    return {
      ok: false,
      reason: `Too small to trade: ${sizing} buys ${quantity.toString()} ${symbol} (lot ${market.lotSize}), below the venue's minimum of ${market.minQty}. Add equity or trade a symbol with a smaller minimum.`,
    };
  }
  if (notionalUsd.lt(market.minNotional)) {
    return {
      ok: false,
      reason: `Too small to trade: ${sizing} is ${notionalUsd.toFixed(2)} USDT of ${symbol}, below the venue's minimum order of ${market.minNotional} USDT. Add equity or trade a symbol with a smaller minimum.`,
    };
  }

  const stop = toTick(stopPrice(side, price, risk), price, market.tickSize);
  const stopDistance = Math.abs(price - stop);
  if (!(stopDistance > 0)) {
    return { ok: false, reason: `The tick size ${market.tickSize} of ${symbol} is too coarse for a ${(risk.stopLossFraction * 100).toFixed(1)}% stop at ${price}.` };
  }
  const takeProfitPrice = toTick(price + sideSign(side) * params.rewardToRisk * stopDistance, price, market.tickSize);
  const liquidationPrice = toTick(liquidationEstimate(side, price, leverage, market.maintenanceMarginRate), price, market.tickSize);
  const liquidationBeyondStop = side === "long" ? liquidationPrice < stop : liquidationPrice > stop;
  if (!liquidationBeyondStop) {
    return {
      ok: false,
      reason: `The stop (${stop}) would be behind the liquidation price (${liquidationPrice}) at ${leverage}x, so the position would be liquidated before the stop could act. Lower LEVERAGE.`,
    };
  }

  const costBps = 2 * (params.takerFeeBps + params.slippageBps);
  const expectedFeesUsd = notionalUsd.times(costBps).div(10_000);
  const expectedFundingUsd = input.fundingRate === null
    ? new Decimal(0)
    : notionalUsd.times(input.fundingRate).times(input.horizonHours / input.fundingIntervalHours).times(-sideSign(side));

  return {
    ok: true,
    terms: {
      id: input.id,
      symbol,
      venue: input.venue,
      side,
      signalId: input.signalId,
      refPrice: price,
      quantity,
      notionalUsd,
      marginUsd,
      leverage,
      stopPrice: stop,
      takeProfitPrice,
      liquidationPrice,
      expectedFeesUsd,
      expectedFundingUsd,
      horizonHours: input.horizonHours,
      createdAt: input.now,
      expiresAt: input.now + params.ttlMinutes * 60_000,
      autoExecute: params.autoExecute,
    },
  };
}
