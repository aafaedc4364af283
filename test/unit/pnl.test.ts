import { describe, expect, it } from "vitest";
import { fundingCashFlow, netPnl, pricePnl, sideSign, stopHit, tradingCost } from "../../src/core/trades/pnl";

describe("pricePnl", () => {
  it("gains for a long when price rises and for a short when it falls", () => {
    // 0.1 BTC × (51,000 − 50,000) = 100
    expect(pricePnl("long", 0.1, 50_000, 51_000)).toBeCloseTo(100, 9);
    expect(pricePnl("short", 0.1, 50_000, 51_000)).toBeCloseTo(-100, 9);
    expect(pricePnl("short", 2_000, 0.8, 0.76)).toBeCloseTo(80, 9); // 2,000 MNT × 0.04
    expect(pricePnl("long", 1, 100, 100)).toBe(0);
    expect(sideSign("long")).toBe(1);
    expect(sideSign("short")).toBe(-1);
  });
});

describe("fundingCashFlow", () => {
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

describe("tradingCost", () => {
  it("charges bps on the absolute notional", () => {
    expect(tradingCost(5_000, 5.5)).toBeCloseTo(2.75, 12); // 5,000 × 0.055%
    expect(tradingCost(-5_000, 5.5)).toBeCloseTo(2.75, 12);
    expect(tradingCost(5_000, 0)).toBe(0);
  });
});

describe("netPnl", () => {
  it("is the price move minus fees plus funding received", () => {
    // short 0.1 BTC 50,000 → 49,000: +100; fees 5.5; funding received 1.5 → 96
    expect(netPnl({ side: "short", quantity: 0.1, entryPrice: 50_000, exitPrice: 49_000, fees: 5.5, funding: 1.5 })).toBeCloseTo(96, 9);
    // long stopped out 2% lower: −100, fees 5.5, funding paid 2 → −107.5
    expect(netPnl({ side: "long", quantity: 0.1, entryPrice: 50_000, exitPrice: 49_000, fees: 5.5, funding: -2 })).toBeCloseTo(-107.5, 9);
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
