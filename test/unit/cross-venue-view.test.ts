import { describe, expect, it } from "vitest";
import { crossVenueView, type VenueMarketReading } from "../../src/core/market/cross-venue";

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const MIN = 60_000;
const MAX_AGE = 30 * MIN;

function reading(venue: string, rate: number, intervalHours: number, extra: Partial<VenueMarketReading> = {}): VenueMarketReading {
  const ts = NOW - 2 * MIN;
  return {
    venue, funding: { rate, intervalHours, ts },
    perpVolume: { base: 1_000, quote: 100_000, ts }, spotVolume: { base: 400, quote: 40_000, ts },
    openInterest: { amount: 5_000, value: 500_000, ts }, ...extra,
  };
}

describe("crossVenueView", () => {
  it("normalises funding to 8 h and a year, so 1 h, 4 h and 8 h venues compare", () => {
    const view = crossVenueView("BTC/USDT:USDT", NOW, [reading("bybit", 0.0001, 8), reading("okx", 0.00005, 4), reading("hl", 0.0000125, 1)], MAX_AGE);
    expect(view.funding.map((f) => [f.venue, f.rate8h])).toEqual([["bybit", 0.0001], ["okx", 0.0001], ["hl", 0.0001]]);
    for (const f of view.funding) expect(f.annualised).toBeCloseTo(0.0001 * 3 * 365, 12);
    expect(view.funding[0]).toMatchObject({ ts: NOW - 2 * MIN, ageMs: 2 * MIN, stale: false });
    expect(view.largestSpread?.spread8h).toBeCloseTo(0, 15);
  });

  it("weights funding by perp quote volume and names the widest pair", () => {
    const view = crossVenueView("BTC/USDT:USDT", NOW, [
      reading("bybit", 0.0001, 8, { perpVolume: { base: 1, quote: 300, ts: NOW - MIN } }),
      reading("okx", 0.0005, 8, { perpVolume: { base: 1, quote: 100, ts: NOW - MIN } }),
      reading("binanceusdm", 0.0003, 8, { perpVolume: { base: 1, quote: 100, ts: NOW - MIN } }),
    ], MAX_AGE);
    expect(view.weighting).toBe("volume");
    expect(view.weightedFunding8h).toBeCloseTo((0.0001 * 300 + 0.0005 * 100 + 0.0003 * 100) / 500, 15);
    expect(view.largestSpread).toMatchObject({ high: "okx", low: "bybit" });
    expect(view.largestSpread?.spread8h).toBeCloseTo(0.0004, 15);
  });

  it("falls back to equal weights when a venue's volume is unknown", () => {
    const view = crossVenueView("X", NOW, [reading("a", 0.0001, 8), reading("b", 0.0003, 8, { perpVolume: null })], MAX_AGE);
    expect(view.weighting).toBe("equal");
    expect(view.weightedFunding8h).toBeCloseTo(0.0002, 15);
  });

  it("shows stale readings with their age but leaves them out of the average and the spread; ignores anything after now", () => {
    const old = NOW - 3 * 60 * MIN;
    const view = crossVenueView("X", NOW, [
      reading("a", 0.0001, 8),
      reading("b", 0.0009, 8, { funding: { rate: 0.0009, intervalHours: 8, ts: old }, openInterest: { amount: 1, value: 2, ts: old } }),
      reading("future", 0.01, 8, { funding: { rate: 0.01, intervalHours: 8, ts: NOW + 1 } }),
    ], MAX_AGE);
    expect(view.funding.map((f) => [f.venue, f.stale, f.ageMs])).toEqual([["a", false, 2 * MIN], ["b", true, 3 * 60 * MIN]]);
    expect(view.weightedFunding8h).toBeCloseTo(0.0001, 15);
    expect(view.largestSpread).toBeNull();
    expect(view.openInterest.find((o) => o.venue === "b")).toMatchObject({ stale: true, ageMs: 3 * 60 * MIN });
  });

  it("gives perp vs spot volume per venue and open interest, each with its stamp", () => {
    const view = crossVenueView("X", NOW, [reading("a", 0.0001, 8), reading("b", 0.0001, 8, { spotVolume: null })], MAX_AGE);
    expect(view.volumes).toEqual([
      { venue: "a", perpQuote: 100_000, spotQuote: 40_000, perpToSpot: 2.5, perpTs: NOW - 2 * MIN, spotTs: NOW - 2 * MIN },
      { venue: "b", perpQuote: 100_000, spotQuote: null, perpToSpot: null, perpTs: NOW - 2 * MIN, spotTs: null },
    ]);
    expect(view.openInterest.map((o) => [o.venue, o.amount, o.value, o.ts])).toEqual([["a", 5_000, 500_000, NOW - 2 * MIN], ["b", 5_000, 500_000, NOW - 2 * MIN]]);
  });
});
