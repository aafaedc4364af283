import { maxDrawdown } from "./metrics";
import { seededRandom } from "./random";

/**
 * What the method's results are set against. Pure.
 *
 * - Random entries: the method's own decision times, horizons and regimes, each side a seeded
 *   coin flip. Traded under the same risk rules, they isolate what the method's direction adds;
 *   many seeds give the spread luck alone produces.
 * - Holding the asset: bought at the first candle's open, sold at the last close, 1x, with the
 *   same taker fee and slippage on both legs.
 */
export interface Decided {
  readonly ts: number;
  readonly side: "long" | "short";
}

/** The same decisions with each side drawn from `seed` (same seed → same sides). */
export function randomSides<D extends Decided>(decisions: readonly D[], seed: number): D[] {
  const random = seededRandom(seed);
  return decisions.map((d) => ({ ...d, side: random() < 0.5 ? "long" : "short" }));
}

export interface HoldResult {
  readonly entryTs: number;
  readonly exitTs: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly pnl: number;
  /** pnl / starting equity. */
  readonly totalReturn: number;
  /** Of the hourly close-marked value of the holding. */
  readonly maxDrawdown: number;
  readonly finalEquity: number;
  /** Taker fees of both legs. */
  readonly fees: number;
  /** The holding's value at each candle close (for Sharpe and Sortino on the same footing as the method's curve). */
  readonly curve: readonly { readonly ts: number; readonly equity: number }[];
}

/**
 * Buy and hold over `candles` (open-time stamped, ascending, already cut to the period): the
 * whole `startingEquity` buys at the first open plus slippage, paying the taker fee out of it
 * (notional = equity / (1 + fee)); it sells at the last close minus slippage, paying the fee again.
 */
export function buyAndHold(
  candles: readonly { readonly ts: number; readonly open: number; readonly close: number }[], startingEquity: number,
  costs: { readonly takerFeeBps: number; readonly slippageBps: number }, candleMs = 3_600_000,
): HoldResult | null {
  const first = candles[0];
  const last = candles.at(-1);
  if (first === undefined || last === undefined) return null;
  const fee = costs.takerFeeBps / 10_000;
  const slip = costs.slippageBps / 10_000;
  const entryPrice = first.open * (1 + slip);
  const quantity = startingEquity / (1 + fee) / entryPrice;
  const value = (price: number): number => quantity * price * (1 - slip) * (1 - fee);
  const curve = candles.map((c) => ({ ts: c.ts + candleMs, equity: value(c.close) }));
  const finalEquity = value(last.close);
  return {
    entryTs: first.ts, exitTs: last.ts + candleMs, entryPrice, exitPrice: last.close * (1 - slip),
    fees: startingEquity - startingEquity / (1 + fee) + quantity * last.close * (1 - slip) * fee,
    pnl: finalEquity - startingEquity, totalReturn: finalEquity / startingEquity - 1, maxDrawdown: maxDrawdown([startingEquity, ...curve.map((p) => p.equity)]), finalEquity, curve,
  };
}
