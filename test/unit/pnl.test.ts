import { describe, expect, it } from "vitest";
import { fundingCashFlow, sideSign, stopHit } from "../../src/core/trades/pnl";

describe("fundingCashFlow", () => {
  it("signs the sides", () => {
    expect(sideSign("long")).toBe(1);
    expect(sideSign("short")).toBe(-1);
  });


  it("makes longs pay and shorts receive when funding is positive", () => {
    // 1 BTC × 50,000 mark × 0.01% = 5
    expect(fundingCashFlow("long", 1, 50_000, 0.0001)).toBeCloseTo(-5, 9);
    expect(fundingCashFlow("short", 1, 50_000, 0.0001)).toBeCloseTo(5, 9);
  });

  it("reverses when funding is negative", () => {
    // 0.1 BTC × 60,000 × 0.05% = 3
    expect(fundingCashFlow("long", 0.1, 60_000, -0.0005)).toBeCloseTo(3, 9);
    expect(fundingCashFlow("short", 0.1, 60_000, -0.0005)).toBeCloseTo(-3, 9);
  });
});

describe("stopHit", () => {
  it("triggers at and beyond the stop, on the losing side only", () => {
    expect(stopHit("long", 49_000, 49_000.01)).toBe(false);
    expect(stopHit("long", 49_000, 49_000)).toBe(true);
    expect(stopHit("long", 49_000, 48_000)).toBe(true);
    expect(stopHit("short", 51_000, 50_999.99)).toBe(false);
    expect(stopHit("short", 51_000, 51_000)).toBe(true);
    expect(stopHit("short", 51_000, 52_000)).toBe(true);
  });
});
