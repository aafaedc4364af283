import Decimal from "decimal.js";
import type { Side } from "./types";

/**
 * When to warn that a position is drifting toward its liquidation price. A level is a share of the
 * distance from the entry to the liquidation price (0.5: the mark has come half-way). Each level
 * is warned about once per position; a mark that jumps past several levels at once warns once,
 * for the highest, and the lower ones count as said (a later "50%" after an "80%" would mislead).
 * Compared in exact decimals, so a mark exactly on a level has reached it.
 */
export interface LiquidationInput {
  readonly side: Side;
  readonly entryPrice: Decimal | number;
  readonly liquidationPrice: number;
  readonly markPrice: number;
}

/** The levels, each in (0, 1), ascending and distinct (LIQUIDATION_WARNING_AT). */
export type WarningLevels = readonly number[];

/**
 * How much of the way from entry to liquidation the mark has come: 0 at the entry, 1 at the
 * liquidation price, negative on the profit side. null when the terms hold no usable distance
 * (a liquidation price on the wrong side of the entry, or at it).
 */
export function liquidationProgress(input: LiquidationInput): Decimal | null {
  const entry = new Decimal(input.entryPrice);
  const toLiquidation = new Decimal(input.liquidationPrice).minus(entry);
  const adverse = input.side === "long" ? toLiquidation.lt(0) : toLiquidation.gt(0);
  if (!adverse || !Number.isFinite(input.markPrice)) return null;
  return new Decimal(input.markPrice).minus(entry).div(toLiquidation);
}

/** Whether the mark has come at least `level` of the way: (mark − entry) against level × (liquidation − entry), exactly. */
export function hasReached(input: LiquidationInput, level: number): boolean {
  const entry = new Decimal(input.entryPrice);
  const toLiquidation = new Decimal(input.liquidationPrice).minus(entry);
  const moved = new Decimal(input.markPrice).minus(entry);
  const threshold = toLiquidation.times(level);
  // A long's liquidation is below its entry (both sides negative), a short's above.
  if (input.side === "long") return toLiquidation.lt(0) && moved.lte(threshold);
  return toLiquidation.gt(0) && moved.gte(threshold);
}

/**
 * The level to warn about now: the highest level the mark has reached that is above every level
 * already warned about, or null. `warned`: the levels this position has been warned about.
 */
export function liquidationWarningDue(input: LiquidationInput, levels: WarningLevels, warned: readonly number[]): number | null {
  const highestWarned = warned.length === 0 ? -Infinity : Math.max(...warned);
  const reached = levels.filter((level) => level > highestWarned && hasReached(input, level));
  return reached.length === 0 ? null : Math.max(...reached);
}

/**
 * Where the stop stands against the mark and the liquidation price, so the warning can say
 * honestly whether the stop will act first.
 *   ahead: between the mark and the liquidation price — it should close the position first;
 *   passed: the mark is at or past it — it should have acted already (or its exit is under way);
 *   beyond-liquidation: at or past the liquidation price — the venue would liquidate first.
 */
export type StopStanding = "ahead" | "passed" | "beyond-liquidation";

export function stopStanding(side: Side, markPrice: number, stopPrice: number, liquidationPrice: number): StopStanding {
  const sign = side === "long" ? 1 : -1;
  // In "adverse distance" terms (grows toward liquidation) for either side.
  const stop = -sign * stopPrice;
  if (stop >= -sign * liquidationPrice) return "beyond-liquidation";
  return -sign * markPrice >= stop ? "passed" : "ahead";
}

/** A level as the percent text used in keys and messages: 0.5 → "50", 0.755 → "75.5". */
export const levelPercent = (level: number): string => new Decimal(level).times(100).toString();
