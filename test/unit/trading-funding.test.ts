import { describe, expect, it } from "vitest";
import { fundingDue, snapSettlement } from "../../src/core/trading";

const HOUR = Date.parse("2026-01-05T08:00:00.000Z");
const H = 3_600_000;

describe("snapSettlement", () => {
  it.each([
    ["11 ms late (Binance)", HOUR + 11, HOUR],
    ["1 ms late", HOUR + 1, HOUR],
    ["on the dot", HOUR, HOUR],
    ["a little early", HOUR - 3, HOUR],
    ["a 4 h venue's minute", HOUR + 4 * H + 7, HOUR + 4 * H],
    ["an odd minute, 999 ms late", HOUR + 17 * 60_000 + 999, HOUR + 17 * 60_000],
    ["not near a minute", HOUR + 30_000, HOUR + 30_000],
    ["just beyond the tolerance", HOUR + 1_001, HOUR + 1_001],
  ])("%s", (_name, ts, expected) => {
    expect(snapSettlement(ts)).toBe(expected);
  });
  it("takes a tolerance", () => {
    expect(snapSettlement(HOUR + 1_500, 2_000)).toBe(HOUR);
    expect(snapSettlement(HOUR + 11, 10)).toBe(HOUR + 11);
  });
});

describe("fundingDue", () => {
  const position = { entryTs: HOUR - 2 * H, fundingSettlements: [HOUR] };
  const prints = [
    { ts: HOUR + 8 * H + 3, rate: 0.0003 },
    { ts: HOUR - 8 * H + 5, rate: 0.0009 }, // before the entry
    { ts: HOUR + 11, rate: 0.0001 }, // already booked (snaps onto HOUR)
    { ts: HOUR + 4 * H + 2, rate: 0.0002 },
    { ts: HOUR + 4 * H, rate: 0.0002 }, // the same settlement twice
    { ts: HOUR + 16 * H, rate: 0.0004 }, // not yet
  ];
  it("returns the venue's settled, unbooked prints after the entry, snapped and in order", () => {
    expect(fundingDue(position, prints, HOUR + 9 * H)).toEqual([{ ts: HOUR + 4 * H, rate: 0.0002 }, { ts: HOUR + 8 * H, rate: 0.0003 }]);
  });
  it("stops at the close", () => {
    expect(fundingDue(position, prints, HOUR + 20 * H, HOUR + 5 * H)).toEqual([{ ts: HOUR + 4 * H, rate: 0.0002 }]);
  });
  it("includes a settlement at `now`, excludes one at the entry", () => {
    expect(fundingDue({ entryTs: HOUR, fundingSettlements: [] }, [{ ts: HOUR + 4, rate: 1 }, { ts: HOUR + H, rate: 2 }], HOUR + H)).toEqual([{ ts: HOUR + H, rate: 2 }]);
  });
  it("keeps extra fields of a print", () => {
    expect(fundingDue({ entryTs: 0, fundingSettlements: [] }, [{ ts: HOUR + 9, rate: 1, markPrice: 3 }], HOUR)).toEqual([{ ts: HOUR, rate: 1, markPrice: 3 }]);
  });
});
