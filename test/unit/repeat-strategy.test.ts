import { defaultRepeatStrategy } from "bullmq";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../src/core/random";
import { nextUtcCronMillis, perpbotRepeatStrategy } from "../../src/queue/repeat-strategy";

/**
 * perpbot's repeat strategy computes UTC fixed-time patterns itself (no cron-parser, so no luxon
 * and no ICU: about 11 MB resident) and must fire exactly when BullMQ's own strategy would.
 */
const PATTERNS = ["0 10 0 1 * *", "0 0 8 * * *", "0 0 20 * * *", "0 30 23 * * *", "0 59 23 * * *", "0 0 0 * * *", "0 0 0 31 * *", "0 0 12 29 * *", "15 45 6 * * *"];

describe("perpbot's repeat strategy", () => {
  it("fires when BullMQ's cron strategy fires: random instants, exact firing times and a millisecond or a second either side", () => {
    const random = seededRandom(11);
    for (let i = 0; i < 1_500; i += 1) {
      const pattern = PATTERNS[i % PATTERNS.length] as string;
      const [second = 0, minute = 0, hour = 0] = pattern.split(" ").map(Number);
      const day = Date.UTC(2020, 0, 1) + Math.floor(random() * 12 * 365) * 86_400_000;
      const exact = day + ((hour * 60 + minute) * 60 + second) * 1000;
      for (const at of [day + Math.floor(random() * 86_400_000), exact, exact - 1, exact + 1, exact - 1000, exact + 999, exact + 1000]) {
        expect(perpbotRepeatStrategy(at, { pattern, tz: "UTC" }), `${pattern} after ${new Date(at).toISOString()}`).toBe(defaultRepeatStrategy(at, { pattern, tz: "UTC" }));
      }
    }
  });

  it("a day some months lack is skipped to the next month that has it", () => {
    expect(new Date(nextUtcCronMillis("0 0 0 31 * *", Date.UTC(2026, 3, 1)) ?? 0).toISOString()).toBe("2026-05-31T00:00:00.000Z");
    expect(new Date(nextUtcCronMillis("0 0 0 29 * *", Date.UTC(2027, 1, 1)) ?? 0).toISOString()).toBe("2027-03-29T00:00:00.000Z");
  });

  it("anything else is BullMQ's: other zones, other shapes, start dates", () => {
    expect(nextUtcCronMillis("0 */5 * * * *", 0)).toBeNull();
    expect(nextUtcCronMillis("0 0 8 * * 1", 0)).toBeNull();
    expect(nextUtcCronMillis("0 0 24 * * *", 0)).toBeNull();
    const at = Date.UTC(2026, 2, 28, 12);
    for (const opts of [{ pattern: "0 0 8 * * *", tz: "Europe/London" }, { pattern: "0 */5 * * * *", tz: "UTC" }, { pattern: "0 0 8 * * *", tz: "UTC", startDate: Date.UTC(2026, 5, 1) }]) {
      expect(perpbotRepeatStrategy(at, opts), JSON.stringify(opts)).toBe(defaultRepeatStrategy(at, opts));
    }
  });
});
