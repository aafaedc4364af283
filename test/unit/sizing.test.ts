import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_PARAMS, leverageFor, sizePosition, stopPrice, type RiskParams } from "../../src/core/risk/sizing";

const P = DEFAULT_RISK_PARAMS;

describe("sizePosition", () => {
  it("commits 10% of equity as margin at the configured leverage", () => {
    // 10,000 equity → 1,000 margin; 5x → 5,000 notional; at 50,000 → 0.1 BTC.
    const size = sizePosition({ side: "long", equity: 10_000, price: 50_000, regime: "normal", sizeMultiplier: 1, params: P });
    expect(size.marginUsd).toBeCloseTo(1_000, 9);
    expect(size.leverage).toBe(5);
    expect(size.notionalUsd).toBeCloseTo(5_000, 9);
    expect(size.quantity).toBeCloseTo(0.1, 12);
  });

  it("caps leverage at 10x, and at 5x in a high-volatility regime", () => {
    const asked: RiskParams = { ...P, leverage: 20 };
    const normal = sizePosition({ side: "short", equity: 10_000, price: 2, regime: "normal", sizeMultiplier: 1, params: asked });
    expect(normal.leverage).toBe(10);
    expect(normal.notionalUsd).toBeCloseTo(10_000, 9); // 1,000 × 10
    expect(normal.quantity).toBeCloseTo(5_000, 9); // 10,000 / 2
    const high = sizePosition({ side: "short", equity: 10_000, price: 2, regime: "high", sizeMultiplier: 1, params: asked });
    expect(high.leverage).toBe(5);
    expect(high.notionalUsd).toBeCloseTo(5_000, 9);

    expect(leverageFor("normal", { ...P, leverage: 10 })).toBe(10);
    expect(leverageFor("high", { ...P, leverage: 10 })).toBe(5);
    expect(leverageFor("high", { ...P, leverage: 3 })).toBe(3); // below both caps: as asked
    expect(leverageFor("normal", { ...P, leverage: 11 })).toBe(10);
  });

  it("halves the size while the drawdown rule says so", () => {
    const half = sizePosition({ side: "long", equity: 10_000, price: 50_000, regime: "normal", sizeMultiplier: 0.5, params: P });
    expect(half.marginUsd).toBeCloseTo(500, 9);
    expect(half.notionalUsd).toBeCloseTo(2_500, 9);
    expect(half.quantity).toBeCloseTo(0.05, 12);
  });

  it("puts the stop 2% below entry for a long and 2% above for a short", () => {
    const long = sizePosition({ side: "long", equity: 10_000, price: 50_000, regime: "normal", sizeMultiplier: 1, params: P });
    expect(long.stopPrice).toBeCloseTo(49_000, 9);
    const short = sizePosition({ side: "short", equity: 10_000, price: 50_000, regime: "normal", sizeMultiplier: 1, params: P });
    expect(short.stopPrice).toBeCloseTo(51_000, 9);
    // The loss at the stop is 2% of position value: 0.1 BTC × 1,000 = 100 = 2% of 5,000.
    expect(long.quantity * (50_000 - long.stopPrice)).toBeCloseTo(0.02 * long.notionalUsd, 9);
    expect(stopPrice("long", 0.8, P)).toBeCloseTo(0.784, 12);
    expect(stopPrice("short", 0.8, P)).toBeCloseTo(0.816, 12);
  });

  it("sizes nothing from non-positive equity", () => {
    const size = sizePosition({ side: "long", equity: -500, price: 100, regime: "normal", sizeMultiplier: 1, params: P });
    expect(size.marginUsd).toBe(0);
    expect(size.quantity).toBe(0);
  });

  it("throws on a non-positive or missing price", () => {
    for (const price of [0, -1, Number.NaN]) {
      expect(() => sizePosition({ side: "long", equity: 10_000, price, regime: "normal", sizeMultiplier: 1, params: P })).toThrow(RangeError);
    }
    expect(() => sizePosition({ side: "short", equity: 10_000, price: 0, regime: "normal", sizeMultiplier: 1, params: P })).toThrow(/price must be positive/);
  });

  it("has the seed's defaults", () => {
    expect(P).toMatchObject({ positionFraction: 0.1, maxLeverage: 10, maxLeverageHighVol: 5, stopLossFraction: 0.02, halveSizeDrawdown: 0.05, pauseDrawdown: 0.1, pauseHours: 24 });
  });
});
