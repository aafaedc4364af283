import { readFileSync } from "node:fs";
import type { Candle, TimedRate, VenueBookView } from "../src/core/signals/types";

/** The shared real-data folder, read in place (never copied into the repository). */
const DATA = new URL("../../shared/data/", import.meta.url);

/** Rows without the header; the files may have CRLF line ends. */
export function readCsv(path: string): string[][] {
  return readFileSync(new URL(path, DATA), "utf8")
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line !== "")
    .map((line) => line.split(","));
}

/** `ts_ms,time_utc,open,high,low,close[,volume]` (mark files have no volume: 0). */
export function loadCandles(path: string): Candle[] {
  return readCsv(path).map((r) => ({
    ts: Number(r[0]), open: Number(r[2]), high: Number(r[3]), low: Number(r[4]), close: Number(r[5]), volume: Number(r[6] ?? 0),
  }));
}

/** Funding prints, oldest first; the rate column differs between the two funding folders. */
export function loadFunding(path: string, rateColumn: number): TimedRate[] {
  return readCsv(path).map((r) => ({ ts: Number(r[0]), rate: Number(r[rateColumn]) }));
}

/**
 * The rebuilt top-20 books, one per second (`event_time_ms,local_ts_ns,update_id,side,level,price,qty`),
 * levels best first.
 */
export function loadBooks(path: string): VenueBookView[] {
  const byTime = new Map<number, { bids: [number, number][]; asks: [number, number][] }>();
  for (const r of readCsv(path)) {
    const ts = Number(r[0]);
    let book = byTime.get(ts);
    if (book === undefined) {
      book = { bids: [], asks: [] };
      byTime.set(ts, book);
    }
    (r[3] === "bid" ? book.bids : book.asks)[Number(r[4]) - 1] = [Number(r[5]), Number(r[6])];
  }
  return [...byTime.entries()].sort(([a], [b]) => a - b).map(([ts, book]) => ({ ts, ...book }));
}

/** Index of the first element whose ts is ≥ `ts` (elements sorted by ts). */
export function lowerBound(items: readonly { readonly ts: number }[], ts: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
