import { defaultRepeatStrategy, type RepeatOptions, type RepeatStrategy } from "bullmq";

/**
 * BullMQ's `settings.repeatStrategy` for every queue and worker: when a cron scheduler fires next.
 *
 * BullMQ's own strategy parses the pattern with cron-parser, which computes dates with luxon,
 * which builds an `Intl.DateTimeFormat` even for UTC. That first Intl formatter maps the node
 * binary's ICU locale and time-zone data into the process for good: about 11 MB resident
 * (/proc/self/smaps on node 20), a fifteenth of the whole bot's 150 MB budget, spent on the
 * monthly recalibration's and the default digest's schedule. Both are UTC and of one shape —
 * "second minute hour * * *" (daily) or "second minute hour day * *" (monthly) — so they are
 * computed here with `Date.UTC`. Anything else (a digest in Europe/London, a start date, an end
 * date) goes to BullMQ's strategy, unchanged; the tests hold the two to the same instants.
 */
const UTC_FIXED_TIME = /^(\d{1,2}) (\d{1,2}) (\d{1,2}) (\*|\d{1,2}) \* \*$/;
const DAY_MS = 86_400_000;

/** The first instant strictly after `after` that the pattern names, or null when this module does not handle the pattern. */
export function nextUtcCronMillis(pattern: string, after: number): number | null {
  const match = UTC_FIXED_TIME.exec(pattern);
  if (match === null) return null;
  const [second, minute, hour] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  const day = match[4] === "*" ? null : Number(match[4]);
  if (second > 59 || minute > 59 || hour > 23 || (day !== null && (day < 1 || day > 31))) return null;
  const start = new Date(after);
  const [year, month] = [start.getUTCFullYear(), start.getUTCMonth()];
  if (day === null) {
    const today = Date.UTC(year, month, start.getUTCDate(), hour, minute, second);
    return today > after ? today : today + DAY_MS;
  }
  // A day-of-month some months lack (31) skips them, as cron does; every 4 years hold each day.
  for (let k = 0; k <= 48; k += 1) {
    const at: number = Date.UTC(year, month + k, day, hour, minute, second);
    if (new Date(at).getUTCDate() === day && at > after) return at;
  }
  return null;
}

const handledHere = (opts: RepeatOptions): boolean =>
  opts.tz === "UTC" && opts.startDate === undefined && opts.endDate === undefined && opts.immediately !== true;

export const perpbotRepeatStrategy: RepeatStrategy = (millis, opts) => {
  if (opts.pattern !== undefined && handledHere(opts)) {
    const next = nextUtcCronMillis(opts.pattern, millis);
    if (next !== null) return next;
  }
  return defaultRepeatStrategy(millis, opts);
};
