import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../src/core/random";
import { groupedNumber, utcMonthDay, utcWeekdayDayMonthTime } from "../../src/core/grouped-number";

/** The ICU-free formatters write what en-US toLocaleString (and luxon) write, character for character. */
const DIGITS = [[2, 2], [0, 6], [0, 0], [0, 2], [1, 3], [0, 9]] as const;

describe("groupedNumber against toLocaleString('en-US')", () => {
  it("ties, carries, tiny and huge values, signs and non-finite values", () => {
    const values = [0, -0, 0.5, 1.5, 2.5, -2.5, 1.005, 1.015, 999.995, 9.9999999, 99.5, 0.0000001, 5e-7, 4.99e-7, 123456789.125, 1e21, 1.2345e25, -1234567.891, NaN, Infinity, -Infinity];
    for (const v of values) {
      for (const [min, max] of DIGITS) {
        expect(groupedNumber(v, { minimumFractionDigits: min, maximumFractionDigits: max }), `${v} ${min}..${max}`).toBe(v.toLocaleString("en-US", { minimumFractionDigits: min, maximumFractionDigits: max }));
      }
    }
    // The shortest decimal is rounded, not the binary value: toFixed says 1.00 here.
    expect(groupedNumber(1.005, { minimumFractionDigits: 2, maximumFractionDigits: 2 })).toBe("1.01");
  });

  it("50,000 random values over 30 orders of magnitude, with and without a tie at the cut", () => {
    const random = seededRandom(20261204);
    for (let i = 0; i < 50_000; i += 1) {
      let v = (random() - 0.3) * 10 ** (Math.floor(random() * 30) - 12);
      if (random() < 0.3) v = Math.round(v * 1000) / 1000 + (random() < 0.5 ? 0.0005 : 0.005);
      const [min, max] = DIGITS[i % DIGITS.length] as readonly [number, number];
      const expected = v.toLocaleString("en-US", { minimumFractionDigits: min, maximumFractionDigits: max });
      if (groupedNumber(v, { minimumFractionDigits: min, maximumFractionDigits: max }) !== expected) {
        expect(groupedNumber(v, { minimumFractionDigits: min, maximumFractionDigits: max }), `${v} ${min}..${max}`).toBe(expected);
      }
    }
  });
});

describe("UTC dates without Intl", () => {
  it("month and day as toLocaleString writes them, weekday-day-month-time as luxon's en-US format", () => {
    const random = seededRandom(7);
    for (let i = 0; i < 2_000; i += 1) {
      const ts = Date.UTC(2019, 0, 1) + Math.floor(random() * 12 * 365 * 86_400_000);
      expect(utcMonthDay(ts)).toBe(new Date(ts).toLocaleString("en-US", { month: "short", day: "numeric", timeZone: "UTC" }));
      expect(utcWeekdayDayMonthTime(ts)).toBe(DateTime.fromMillis(ts, { zone: "UTC", locale: "en-US" }).toFormat("ccc d LLL HH:mm"));
    }
  });
});
