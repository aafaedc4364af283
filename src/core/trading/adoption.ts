import type Decimal from "decimal.js";
import { stopPrice, type RiskParams } from "../risk/sizing";
import { sideSign } from "../trades/pnl";
import { liquidationEstimate } from "./proposal-terms";
import type { ProposalTerms, Side } from "./types";

/**
 * Terms for a position found on the venue that the journal does not know, when the desk chose to
 * adopt such positions: the bot's own rules applied from the position's entry — the 2% stop, the
 * take-profit at REWARD_TO_RISK, the horizon from now — so from then on it is managed like any
 * trade. The leverage is the configured one (the venue's may differ; the estimate says so).
 */
export function adoptionTerms(input: {
  readonly id: string;
  readonly symbol: string;
  readonly venue: string;
  readonly side: Side;
  readonly quantity: Decimal;
  readonly entryPrice: number;
  readonly risk: RiskParams;
  readonly rewardToRisk: number;
  readonly maintenanceMarginRate: number;
  readonly horizonHours: number;
  readonly now: number;
}): ProposalTerms {
  const { side, entryPrice: price, risk } = input;
  const stop = stopPrice(side, price, risk);
  const notionalUsd = input.quantity.times(price);
  return {
    id: input.id, symbol: input.symbol, venue: input.venue, side, signalId: null, refPrice: price,
    quantity: input.quantity, notionalUsd, marginUsd: notionalUsd.div(risk.leverage), leverage: risk.leverage,
    stopPrice: stop, takeProfitPrice: price + sideSign(side) * input.rewardToRisk * Math.abs(price - stop),
    liquidationPrice: liquidationEstimate(side, price, risk.leverage, input.maintenanceMarginRate),
    expectedFeesUsd: notionalUsd.times(0), expectedFundingUsd: notionalUsd.times(0), horizonHours: input.horizonHours,
    // Valid for a minute: long enough to adopt it, and a crash in between leaves nothing to approve.
    createdAt: input.now, expiresAt: input.now + 60_000, autoExecute: false,
  };
}
