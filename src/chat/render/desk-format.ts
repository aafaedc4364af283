import { utcMonthDay } from "../../core/grouped-number";
import { round } from "../../core/stats";
import { cutAtWord } from "./fit-text";

/**
 * Small plain-text formats shared by the desk commands (/signals, /positions, /funding, /close,
 * /report): durations, UTC times, percentages and signed amounts, the same way everywhere.
 */
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A duration as "45s", "7m", "2h13m", "3d4h": the two largest units, rounded down. */
export function duration(ms: number): string {
  if (!(ms >= MINUTE_MS)) return `${Math.max(0, Math.floor(ms / 1000))}s`;
  const minutes = Math.floor(ms / MINUTE_MS);
  if (ms < HOUR_MS) return `${minutes}m`;
  const hours = Math.floor(ms / HOUR_MS);
  if (ms < DAY_MS) return `${hours}h${String(minutes % 60).padStart(2, "0")}m`;
  return `${Math.floor(ms / DAY_MS)}d${hours % 24}h`;
}

/** "14:00 UTC" today, "Jan 6 14:00 UTC" on another day than `now`'s. */
export function utcTime(ts: number, now: number): string {
  const iso = new Date(ts).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  const day = utcMonthDay(ts);
  return `${sameDay ? "" : `${day} `}${iso.slice(11, 16)} UTC`;
}

/** A fraction as a percentage with up to `digits` decimals: 0.0001 → "0.01%". */
export const percent = (fraction: number, digits = 4): string => `${round(fraction * 100, digits)}%`;

/** A signed percentage: "+0.01%", "-0.0025%". */
export const signedPercent = (fraction: number, digits = 4): string => `${fraction > 0 ? "+" : ""}${percent(fraction, digits)}`;

/** Telegram's limit per message; Discord's transport splits longer texts itself. */
export const MAX_MESSAGE = 4096;

/**
 * Joins lines into one message within Telegram's limit: whole lines while they fit, then one line
 * saying how many were left out (a single line longer than the limit is cut at a word).
 */
export function fitLines(lines: readonly string[], max = MAX_MESSAGE): string {
  const all = lines.join("\n");
  if (all.length <= max) return all;
  const kept: string[] = [];
  let length = 0;
  const room = max - 60; // the closing note
  for (const line of lines) {
    const next = length + (kept.length > 0 ? 1 : 0) + line.length;
    if (next > room) break;
    kept.push(line);
    length = next;
  }
  if (kept.length === 0) return cutAtWord(all, max);
  return `${kept.join("\n")}\n… ${lines.length - kept.length} more lines left out (message limit).`;
}
