import { defaultRepeatStrategy } from "bullmq";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { cronPatternOf, digestSlot, dueDigest, latestSlotAtOrBefore, nextSlotAfter, previousSlot, type DigestSchedule } from "../../src/core/digest-slots";

const LONDON: DigestSchedule = { times: ["08:00", "20:00"], zone: "Europe/London" };
const NEW_YORK: DigestSchedule = { times: ["08:00", "20:00"], zone: "America/New_York" };
const utc = (iso: string): number => Date.parse(iso);
const MIN = 60_000;
const HOUR = 3_600_000;

/** Every slot falling in [from, to] that a job running every `stepMs` would send, in order (each once). */
function sentSlots(schedule: DigestSchedule, from: number, to: number, stepMs: number): string[] {
  const sent: string[] = [];
  for (let now = from; now <= to; now += stepMs) {
    const decision = dueDigest(schedule, now);
    if (decision.kind === "send" && decision.slot.ts >= from && !sent.includes(decision.slot.key)) sent.push(decision.slot.key);
  }
  return sent;
}

describe("digest slots across daylight-saving changes", () => {
  it("Europe/London, spring forward on 2026-03-29: 08:00 is 08:00 UTC the day before and 07:00 UTC that day", () => {
    expect(digestSlot("2026-03-28", "08:00", "Europe/London").ts).toBe(utc("2026-03-28T08:00:00Z"));
    const slot = digestSlot("2026-03-29", "08:00", "Europe/London");
    expect(slot).toEqual({ key: "digest-2026-03-29T08:00-Europe/London", ts: utc("2026-03-29T07:00:00Z"), localDate: "2026-03-29", localTime: "08:00", zone: "Europe/London" });
    // The night the clocks go forward is an hour short: the 08:00 digest covers 11 hours.
    const previous = previousSlot(LONDON, slot);
    expect(previous.key).toBe("digest-2026-03-28T20:00-Europe/London");
    expect(slot.ts - previous.ts).toBe(11 * HOUR);
    expect(digestSlot("2026-03-29", "20:00", "Europe/London").ts).toBe(utc("2026-03-29T19:00:00Z"));
  });

  it("America/New_York, fall back on 2026-11-01: 08:00 moves from 12:00 to 13:00 UTC and the night is 13 hours", () => {
    expect(digestSlot("2026-10-31", "08:00", "America/New_York").ts).toBe(utc("2026-10-31T12:00:00Z"));
    const slot = digestSlot("2026-11-01", "08:00", "America/New_York");
    expect(slot.ts).toBe(utc("2026-11-01T13:00:00Z"));
    expect(slot.ts - previousSlot(NEW_YORK, slot).ts).toBe(13 * HOUR);
    expect(latestSlotAtOrBefore(NEW_YORK, utc("2026-11-01T12:59:59Z")).key).toBe("digest-2026-10-31T20:00-America/New_York");
    expect(latestSlotAtOrBefore(NEW_YORK, utc("2026-11-01T13:00:00Z")).key).toBe("digest-2026-11-01T08:00-America/New_York");
  });

  it("a job every 10 minutes over each change-over sends every local 08:00 and 20:00 exactly once, at that local time", () => {
    for (const [schedule, firstDay] of [[LONDON, "2026-03-27"], [LONDON, "2026-10-23"], [NEW_YORK, "2026-03-06"], [NEW_YORK, "2026-10-30"]] as const) {
      const start = DateTime.fromISO(firstDay, { zone: schedule.zone });
      const days = [0, 1, 2, 3].map((d) => start.plus({ days: d }).toISODate() ?? "");
      const keys = sentSlots(schedule, start.toMillis(), start.plus({ days: 4 }).toMillis() - 1, 10 * MIN);
      expect(keys).toEqual(days.flatMap((day) => [`digest-${day}T08:00-${schedule.zone}`, `digest-${day}T20:00-${schedule.zone}`]));
      for (const key of keys) {
        const local = key.slice("digest-".length, "digest-".length + 16);
        const wall = DateTime.fromMillis(digestSlot(local.slice(0, 10), local.slice(11), schedule.zone).ts, { zone: schedule.zone });
        expect(wall.toFormat("yyyy-MM-dd'T'HH:mm")).toBe(local);
      }
    }
  });

  it("a time the clocks skip is sent once, when the clocks jump past it; a time that happens twice is sent once, the first time", () => {
    const skipped = digestSlot("2026-03-29", "01:30", "Europe/London");
    expect(skipped.ts).toBe(utc("2026-03-29T01:30:00Z")); // 02:30 BST: the wall clock never showed 01:30
    expect(skipped.key).toBe("digest-2026-03-29T01:30-Europe/London");
    expect(digestSlot("2026-11-01", "01:30", "America/New_York").ts).toBe(utc("2026-11-01T05:30:00Z")); // 01:30 EDT, not EST
    expect(digestSlot("2026-10-25", "01:30", "Europe/London").ts).toBe(utc("2026-10-25T00:30:00Z")); // 01:30 BST, not GMT
    const night: DigestSchedule = { times: ["01:30"], zone: "America/New_York" };
    const keys = sentSlots(night, utc("2026-10-31T00:00:00Z"), utc("2026-11-02T12:00:00Z"), 5 * MIN);
    expect(keys).toEqual(["digest-2026-10-31T01:30-America/New_York", "digest-2026-11-01T01:30-America/New_York", "digest-2026-11-02T01:30-America/New_York"]);
  });

  it("falls exactly when BullMQ's cron scheduler fires, for every half hour of each change-over day", () => {
    const times = Array.from({ length: 48 }, (_, i) => `${String(Math.floor(i / 2)).padStart(2, "0")}:${i % 2 === 0 ? "00" : "30"}`);
    for (const [zone, day] of [["Europe/London", "2026-03-29"], ["Europe/London", "2026-10-25"], ["America/New_York", "2026-03-08"], ["America/New_York", "2026-11-01"]] as const) {
      const dayBefore = DateTime.fromISO(day, { zone }).minus({ days: 1 }).toISODate() ?? "";
      for (const time of times) {
        // The scheduler's next firing after the same time on the day before is this day's slot.
        const from = digestSlot(dayBefore, time, zone).ts;
        const fired = defaultRepeatStrategy(from, { pattern: cronPatternOf(time), tz: zone });
        expect([zone, time, fired]).toEqual([zone, time, digestSlot(day, time, zone).ts]);
      }
    }
  });

  it("any number of times, in order; the next slot after one", () => {
    const three: DigestSchedule = { times: ["06:15", "12:00", "23:45"], zone: "UTC" };
    expect(latestSlotAtOrBefore(three, utc("2026-05-02T00:10:00Z")).key).toBe("digest-2026-05-01T23:45-UTC");
    expect(nextSlotAfter(three, utc("2026-05-01T23:45:00Z")).key).toBe("digest-2026-05-02T06:15-UTC");
    expect(cronPatternOf("06:15")).toBe("0 15 6 * * *");
    expect(cronPatternOf("23:45")).toBe("0 45 23 * * *");
  });
});

describe("which digest a run sends", () => {
  const slot = utc("2026-03-29T07:00:00Z"); // 08:00 in London

  it("a run up to a minute early counts for the slot (another machine's clock may be ahead); earlier does not", () => {
    const early = dueDigest(LONDON, slot - 30_000);
    expect(early.kind === "send" && early.slot.key).toBe("digest-2026-03-29T08:00-Europe/London");
    const tooEarly = dueDigest(LONDON, slot - 2 * MIN);
    expect(tooEarly.slot.key).toBe("digest-2026-03-28T20:00-Europe/London");
  });

  it("late by up to 3 hours: sent, saying how late; later: skipped, and only ever the latest slot is considered", () => {
    const late = dueDigest(LONDON, slot + 3 * HOUR);
    expect(late).toMatchObject({ kind: "send", lateMs: 3 * HOUR, slot: { key: "digest-2026-03-29T08:00-Europe/London" }, previous: { key: "digest-2026-03-28T20:00-Europe/London" } });
    expect(dueDigest(LONDON, slot + 3 * HOUR + 1)).toMatchObject({ kind: "too-late", slot: { key: "digest-2026-03-29T08:00-Europe/London" } });
    // Back after two days down: the one latest slot, never the string of missed ones.
    expect(dueDigest(LONDON, utc("2026-03-31T19:30:00Z"))).toMatchObject({ kind: "send", slot: { key: "digest-2026-03-31T20:00-Europe/London" } });
  });
});

describe("UTC, the default zone, without luxon", () => {
  it("places every slot where luxon's path places it (Etc/UTC takes that path): 800 random instants, on a slot, a millisecond before one, and anywhere", () => {
    const schedule = (zone: string): DigestSchedule => ({ times: ["00:00", "08:00", "20:00", "23:59"], zone });
    let seed = 3;
    for (let i = 0; i < 800; i += 1) {
      seed = (seed * 16_807) % 2_147_483_647;
      const minute = Date.UTC(2019, 0, 1) + (seed % (12 * 365 * 24 * 60)) * MIN;
      // Every fourth exactly on a slot or a millisecond before it, the rest anywhere.
      const at = i % 4 === 0 ? Math.floor(minute / (24 * HOUR)) * 24 * HOUR + 8 * HOUR - (i % 8 === 0 ? 0 : 1) : minute + (i % 2);
      const fast = [latestSlotAtOrBefore(schedule("UTC"), at), nextSlotAfter(schedule("UTC"), at)];
      const luxon = [latestSlotAtOrBefore(schedule("Etc/UTC"), at), nextSlotAfter(schedule("Etc/UTC"), at)];
      expect(fast.map((s) => [s.ts, s.localDate, s.localTime, s.key]), new Date(at).toISOString()).toEqual(luxon.map((s) => [s.ts, s.localDate, s.localTime, s.key.replace("Etc/UTC", "UTC")]));
    }
    expect(() => digestSlot("2026-02-30", "08:00", "UTC")).toThrow(/Not a digest slot: 2026-02-30 08:00 in UTC/);
  });
});
