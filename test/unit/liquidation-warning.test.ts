import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { hasReached, levelPercent, liquidationProgress, liquidationWarningDue, stopStanding } from "../../src/core/trading/liquidation-warning";

const LEVELS = [0.5, 0.8];
const long = (markPrice: number) => ({ side: "long" as const, entryPrice: new Decimal(100), liquidationPrice: 80, markPrice });
const short = (markPrice: number) => ({ side: "short" as const, entryPrice: 100, liquidationPrice: 120, markPrice });

describe("liquidation warning levels", () => {
  it("a long reaches a level exactly on it, not a hair before", () => {
    expect(liquidationWarningDue(long(90.000001), LEVELS, [])).toBeNull();
    expect(liquidationWarningDue(long(90), LEVELS, [])).toBe(0.5);
    expect(liquidationWarningDue(long(84.000001), LEVELS, [0.5])).toBeNull();
    expect(liquidationWarningDue(long(84), LEVELS, [0.5])).toBe(0.8);
  });

  it("a short reaches a level exactly on it, not a hair before", () => {
    expect(liquidationWarningDue(short(109.999999), LEVELS, [])).toBeNull();
    expect(liquidationWarningDue(short(110), LEVELS, [])).toBe(0.5);
    expect(liquidationWarningDue(short(115.999999), LEVELS, [0.5])).toBeNull();
    expect(liquidationWarningDue(short(116), LEVELS, [0.5])).toBe(0.8);
  });

  it("is exact where binary floating point is not: entry 0.51, liquidation 0.408, half-way 0.459", () => {
    const at = (markPrice: number) => ({ side: "long" as const, entryPrice: 0.51, liquidationPrice: 0.408, markPrice });
    expect(hasReached(at(0.459), 0.5)).toBe(true);
    expect(hasReached(at(0.45900001), 0.5)).toBe(false);
    // The same comparison in floats misses the exact boundary.
    expect(0.51 - 0.459 >= 0.5 * (0.51 - 0.408)).toBe(false);
  });

  it("says each level once, and a jump past both once, for the higher; never a lower level afterwards", () => {
    expect(liquidationWarningDue(long(90), LEVELS, [0.5])).toBeNull();
    expect(liquidationWarningDue(long(83), LEVELS, [])).toBe(0.8);
    expect(liquidationWarningDue(long(83), LEVELS, [0.8])).toBeNull();
    expect(liquidationWarningDue(long(90), LEVELS, [0.8])).toBeNull();
    expect(liquidationWarningDue(long(70), LEVELS, [0.5, 0.8])).toBeNull();
  });

  it("nothing on the profit side, nor for terms without an adverse distance", () => {
    expect(liquidationWarningDue(long(120), LEVELS, [])).toBeNull();
    expect(liquidationWarningDue(short(60), LEVELS, [])).toBeNull();
    expect(liquidationWarningDue({ side: "long", entryPrice: 100, liquidationPrice: 110, markPrice: 50 }, LEVELS, [])).toBeNull();
    expect(liquidationWarningDue({ side: "short", entryPrice: 100, liquidationPrice: 100, markPrice: 150 }, LEVELS, [])).toBeNull();
    expect(liquidationProgress({ side: "long", entryPrice: 100, liquidationPrice: 110, markPrice: 50 })).toBeNull();
  });

  it("progress runs from 0 at the entry to 1 at the liquidation price", () => {
    expect(liquidationProgress(long(100))?.isZero()).toBe(true);
    expect(liquidationProgress(long(90))?.toNumber()).toBe(0.5);
    expect(liquidationProgress(short(120))?.toNumber()).toBe(1);
    expect(liquidationProgress(short(90))?.toNumber()).toBe(-0.5);
  });

  it("knows where the stop stands: ahead of the mark, passed, or beyond the liquidation price", () => {
    expect(stopStanding("long", 95, 90, 80)).toBe("ahead");
    expect(stopStanding("long", 90, 90, 80)).toBe("passed");
    expect(stopStanding("long", 88, 90, 80)).toBe("passed");
    expect(stopStanding("long", 95, 79, 80)).toBe("beyond-liquidation");
    expect(stopStanding("short", 105, 110, 120)).toBe("ahead");
    expect(stopStanding("short", 111, 110, 120)).toBe("passed");
    expect(stopStanding("short", 105, 120, 120)).toBe("beyond-liquidation");
  });

  it("names levels as percents", () => {
    expect(levelPercent(0.5)).toBe("50");
    expect(levelPercent(0.755)).toBe("75.5");
  });
});
