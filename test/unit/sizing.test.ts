import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_PARAMS, leverageFor, stopPrice } from "../../src/core/risk/sizing";

// Sizing itself (10% margin, halving, lot rounding) is tested through buildProposalTerms in trading-proposal-terms.test.ts.
const P = DEFAULT_RISK_PARAMS;

describe("risk parameters", () => {
  it("caps leverage at 10x, and at 5x in a high-volatility regime", () => {
    expect(leverageFor("normal", { ...P, leverage: 10 })).toBe(10);
    expect(leverageFor("high", { ...P, leverage: 10 })).toBe(5);
    expect(leverageFor("high", { ...P, leverage: 3 })).toBe(3); // below both caps: as asked
    expect(leverageFor("normal", { ...P, leverage: 11 })).toBe(10);
  });

  it("puts the stop 2% below entry for a long and 2% above for a short", () => {
    expect(stopPrice("long", 0.8, P)).toBeCloseTo(0.784, 12);
    expect(stopPrice("short", 0.8, P)).toBeCloseTo(0.816, 12);
  });

  it("has the seed's defaults", () => {
    expect(P).toMatchObject({ positionFraction: 0.1, maxLeverage: 10, maxLeverageHighVol: 5, stopLossFraction: 0.02, halveSizeDrawdown: 0.05, pauseDrawdown: 0.1, pauseHours: 24 });
  });
});
