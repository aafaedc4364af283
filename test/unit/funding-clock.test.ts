import { describe, expect, it } from "vitest";
import { nextFundingTime, settlementsBetween } from "../../src/core/funding-clock";

const utc = (h: number, m = 0, s = 0, day = 15): number => Date.UTC(2025, 4, day, h, m, s);

describe("nextFundingTime", () => {
  it("on the 8 h grid: 07:59:59 → 08:00, exactly 08:00 → 16:00", () => {
    expect(nextFundingTime(utc(7, 59, 59), 8)).toBe(utc(8));
    expect(nextFundingTime(utc(8), 8)).toBe(utc(16));
    expect(nextFundingTime(utc(8) + 1, 8)).toBe(utc(16));
    expect(nextFundingTime(utc(0), 8)).toBe(utc(8));
    // After 16:00 the next one is midnight of the next day.
    expect(nextFundingTime(utc(23, 30), 8)).toBe(utc(0, 0, 0, 16));
  });

  it("on the 1 h and 4 h grids", () => {
    expect(nextFundingTime(utc(10, 30), 1)).toBe(utc(11));
    expect(nextFundingTime(utc(11), 1)).toBe(utc(12));
    expect(nextFundingTime(utc(10, 59, 59), 1)).toBe(utc(11));
    expect(nextFundingTime(utc(3, 59, 59), 4)).toBe(utc(4));
    expect(nextFundingTime(utc(4), 4)).toBe(utc(8));
  });

  it("honours an anchor offset", () => {
    // An 8 h grid anchored at 04:00: 04, 12, 20.
    expect(nextFundingTime(utc(5), 8, 4)).toBe(utc(12));
    expect(nextFundingTime(utc(4), 8, 4)).toBe(utc(12));
    expect(nextFundingTime(utc(3), 8, 4)).toBe(utc(4));
  });
});

describe("settlementsBetween", () => {
  it("covers the half-open interval (from, to]", () => {
    // From a settlement to the next: only the later one.
    expect(settlementsBetween(utc(8), utc(16), 8)).toEqual([utc(16)]);
    expect(settlementsBetween(utc(7, 59, 59), utc(16), 8)).toEqual([utc(8), utc(16)]);
    expect(settlementsBetween(utc(8), utc(15, 59, 59), 8)).toEqual([]);
    expect(settlementsBetween(utc(8), utc(8), 8)).toEqual([]);
  });

  it("counts every hour on a 1 h grid", () => {
    expect(settlementsBetween(utc(0), utc(3), 1)).toEqual([utc(1), utc(2), utc(3)]);
    expect(settlementsBetween(utc(0, 30), utc(3, 30), 1)).toEqual([utc(1), utc(2), utc(3)]);
  });

  it("spans midnight and is empty for a reversed interval", () => {
    expect(settlementsBetween(utc(12), utc(9, 0, 0, 16), 8)).toEqual([utc(16), utc(0, 0, 0, 16), utc(8, 0, 0, 16)]);
    expect(settlementsBetween(utc(16), utc(8), 8)).toEqual([]);
  });
});
