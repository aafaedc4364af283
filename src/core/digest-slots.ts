import { DateTime, IANAZone } from "luxon";

/**
 * When the digest is due. Times are wall-clock times in one IANA zone ("08:00" in Europe/London),
 * so a digest follows the reader's day across daylight-saving changes. Each slot is named by its
 * zone-local date and time — `digest-2026-03-29T08:00-Europe/London` — and that name is the
 * outbox key: whatever fires the job (a late scheduler, a repeated one, two workers), one slot is
 * one message. Pure: luxon is only date arithmetic here; `now` is always a parameter.
 */
export interface DigestSchedule {
  /** "HH:MM", 24-hour, as configured (DIGEST_TIMES). */
  readonly times: readonly string[];
  /** An IANA zone name (DIGEST_TIME_ZONE). */
  readonly zone: string;
}

export interface DigestSlot {
  /** The outbox key: local date, local time and zone, e.g. `digest-2026-03-29T08:00-Europe/London`. */
  readonly key: string;
  /** The instant the slot falls on. */
  readonly ts: number;
  /** Zone-local date, YYYY-MM-DD. */
  readonly localDate: string;
  /** As configured, HH:MM. */
  readonly localTime: string;
  readonly zone: string;
}

export const DIGEST_TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

export const isIanaZone = (zone: string): boolean => zone.trim() !== "" && IANAZone.isValidZone(zone);

/**
 * A local time that does not exist on that day (skipped by a spring-forward change, e.g. 01:30 in
 * London on 2026-03-29) falls on the instant the clocks jumped past it, an hour later by the wall
 * clock; one that happens twice (fall-back) is taken at its first occurrence. Both are when the
 * cron scheduler fires (checked against BullMQ's own cron in the tests): a slot placed elsewhere
 * would make the job fire before its slot and find nothing due. Either way the slot keeps its
 * configured name, so it is sent exactly once that day.
 */
export function digestSlot(localDate: string, localTime: string, zone: string): DigestSlot {
  const [year = NaN, month = NaN, day = NaN] = localDate.split("-").map(Number);
  const [hour = NaN, minute = NaN] = localTime.split(":").map(Number);
  if (zone === UTC) return utcSlot(localDate, localTime, [year, month, day, hour, minute]);
  const at = DateTime.fromObject({ year, month, day, hour, minute }, { zone });
  if (!at.isValid) throw new Error(`Not a digest slot: ${localDate} ${localTime} in ${zone} (${at.invalidExplanation ?? at.invalidReason ?? "invalid"})`);
  // luxon takes the later of two occurrences; try each offset the zone has around that day, keep the earliest that shows this wall time.
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const offsets = new Set([at.offset, at.minus({ days: 1 }).offset, at.plus({ days: 1 }).offset]);
  const occurrences = [...offsets].map((offset) => wall - offset * 60_000).filter((ts) => {
    const shown = DateTime.fromMillis(ts, { zone });
    return shown.year === year && shown.month === month && shown.day === day && shown.hour === hour && shown.minute === minute;
  });
  const ts = occurrences.length > 0 ? Math.min(...occurrences) : at.toMillis();
  return { key: `digest-${localDate}T${localTime}-${zone}`, ts, localDate, localTime, zone };
}

/**
 * UTC, the default zone, without luxon: no daylight-saving change to place, and luxon's first
 * date builds an Intl formatter, which maps about 11 MB of the node binary's ICU data into the
 * process for good (src/core/grouped-number.ts). The tests hold this to the luxon path's slots.
 */
const UTC = "UTC";
const DAY_MS = 86_400_000;

function utcSlot(localDate: string, localTime: string, [year, month, day, hour, minute]: readonly number[]): DigestSlot {
  const ts = Date.UTC(year ?? NaN, (month ?? NaN) - 1, day, hour, minute);
  const back = new Date(ts);
  const valid = Number.isFinite(ts) && back.getUTCFullYear() === year && back.getUTCMonth() + 1 === month && back.getUTCDate() === day
    && back.getUTCHours() === hour && back.getUTCMinutes() === minute;
  if (!valid) throw new Error(`Not a digest slot: ${localDate} ${localTime} in ${UTC} (no such date or time)`);
  return { key: `digest-${localDate}T${localTime}-${UTC}`, ts, localDate, localTime, zone: UTC };
}

/** The zone-local date `offset` days from the day holding `around`, YYYY-MM-DD. */
function localDateAround(around: number, offset: number, zone: string): string | null {
  if (zone === UTC) return new Date((Math.floor(around / DAY_MS) + offset) * DAY_MS).toISOString().slice(0, 10);
  return DateTime.fromMillis(around, { zone }).startOf("day").plus({ days: offset }).toISODate();
}

/** Every slot of the zone-local days from `fromDay` to `toDay` days around `around`, by instant. */
function slotsAround(schedule: DigestSchedule, around: number, fromDay: number, toDay: number): DigestSlot[] {
  const slots: DigestSlot[] = [];
  for (let offset = fromDay; offset <= toDay; offset += 1) {
    const date = localDateAround(around, offset, schedule.zone);
    if (date === null) continue;
    for (const time of schedule.times) slots.push(digestSlot(date, time, schedule.zone));
  }
  return slots.sort((a, b) => a.ts - b.ts);
}

/** The latest slot at or before `at`. Two days back always holds one: every day has every time. */
export function latestSlotAtOrBefore(schedule: DigestSchedule, at: number): DigestSlot {
  const slot = slotsAround(schedule, at, -2, 1).filter((s) => s.ts <= at).at(-1);
  if (slot === undefined) throw new Error("A digest schedule needs at least one time of day.");
  return slot;
}

/** The slot before this one: where the period this slot's digest reports on starts. */
export function previousSlot(schedule: DigestSchedule, slot: DigestSlot): DigestSlot {
  return latestSlotAtOrBefore(schedule, slot.ts - 1);
}

/** The first slot after `at` (for "next digest at …"). */
export function nextSlotAfter(schedule: DigestSchedule, at: number): DigestSlot {
  const slot = slotsAround(schedule, at, -1, 2).find((s) => s.ts > at);
  if (slot === undefined) throw new Error("A digest schedule needs at least one time of day.");
  return slot;
}

export interface DigestTiming {
  /** A job that starts this much before a slot (another machine's clock a little ahead) still counts for it. */
  readonly earlyToleranceMs: number;
  /**
   * A slot's digest is sent at most this late. Later than that (the process was down over the
   * slot for hours), it is skipped: a morning digest arriving in the afternoon misleads more than
   * it helps, and the next slot's digest comes anyway. Only the latest slot is ever considered,
   * so a process back after a long stop never sends a string of stale digests.
   */
  readonly maxLateMs: number;
}

export const DEFAULT_DIGEST_TIMING: DigestTiming = { earlyToleranceMs: 60_000, maxLateMs: 3 * 3_600_000 };

export type DigestDecision =
  /** Send this slot's digest, reporting on (previous.ts, slot.ts]. */
  | { readonly kind: "send"; readonly slot: DigestSlot; readonly previous: DigestSlot; readonly lateMs: number }
  | { readonly kind: "too-late"; readonly slot: DigestSlot; readonly lateMs: number };

/** Which slot a digest run at `now` is for, and whether it may still be sent (whether it was already is the outbox's business). */
export function dueDigest(schedule: DigestSchedule, now: number, timing: DigestTiming = DEFAULT_DIGEST_TIMING): DigestDecision {
  const slot = latestSlotAtOrBefore(schedule, now + timing.earlyToleranceMs);
  const lateMs = Math.max(0, now - slot.ts);
  if (lateMs > timing.maxLateMs) return { kind: "too-late", slot, lateMs };
  return { kind: "send", slot, previous: previousSlot(schedule, slot), lateMs };
}

/** The 6-field cron pattern (seconds first) that fires at a configured HH:MM, for a BullMQ job scheduler with `tz`. */
export function cronPatternOf(localTime: string): string {
  const match = DIGEST_TIME_PATTERN.exec(localTime);
  if (match === null) throw new Error(`Not a time of day: ${localTime} (expected HH:MM)`);
  return `0 ${Number(match[2])} ${Number(match[1])} * * *`;
}
