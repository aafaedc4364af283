import type { Direction } from "../signals/types";

/** Risk rules of DESIGN §1, as numbers a trader can change (defaults are the seed's). */
export interface RiskParams {
  /** Margin committed per trade, as a fraction of equity. Seed: 10%. */
  readonly positionFraction: number;
  /** Leverage we ask for; capped by the regime below. */
  readonly leverage: number;
  readonly maxLeverage: number;
  readonly maxLeverageHighVol: number;
  /** Stop loss as a fraction of position value. Seed: 2%, non-negotiable. */
  readonly stopLossFraction: number;
  /** Drawdown from the equity peak that halves position size. Seed: 5%. */
  readonly halveSizeDrawdown: number;
  /** Drawdown from the equity peak that pauses trading. Seed: 10%. */
  readonly pauseDrawdown: number;
  /** How long the drawdown pause lasts. Seed: 24 h. */
  readonly pauseHours: number;
}

export const DEFAULT_RISK_PARAMS: RiskParams = {
  positionFraction: 0.1,
  leverage: 5,
  maxLeverage: 10,
  maxLeverageHighVol: 5,
  stopLossFraction: 0.02,
  halveSizeDrawdown: 0.05,
  pauseDrawdown: 0.1,
  pauseHours: 24,
};

export type VolatilityRegime = "normal" | "high";

export function leverageFor(regime: VolatilityRegime, params: RiskParams): number {
  return Math.min(params.leverage, regime === "high" ? params.maxLeverageHighVol : params.maxLeverage);
}

/** The stop sits `stopLossFraction` of position value away from entry, on the losing side. */
export function stopPrice(side: Exclude<Direction, "neutral">, entryPrice: number, params: RiskParams): number {
  return side === "long" ? entryPrice * (1 - params.stopLossFraction) : entryPrice * (1 + params.stopLossFraction);
}
