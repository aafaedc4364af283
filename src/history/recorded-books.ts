import { readFileSync } from "node:fs";
import type { FillBook } from "../core/trading/paper-fill";
import { findSharedFiles } from "./import/shared-files";
import { TRADING_VENUE } from "./replay";

/**
 * Order books recorded on the trading venue, for the backtest's fills: a fill at a time with a
 * book recorded just before it walks that book (`paperOrderFill`, the paper broker's own code);
 * at any other time it fills at the candle price plus the fixed slippage. In ../shared/data that
 * is `orderbook_binance_20240808/binance-usdm_<COIN>USDT_l2_top20_1s.csv`: BTC's perp book, top 20
 * levels a side, rebuilt every second over 2024-08-08 23:54:15 .. 2024-08-09 00:00:01 UTC, so an
 * order at the 00:00 candle open on 2024-08-09 fills against the real book of 23:59:59.
 */
export interface RecordedBooks {
  /** The file, relative to the data folder (for the report). */
  readonly file: string;
  /** First and last snapshot stamps (the exchange's event time, ms). */
  readonly from: number;
  readonly to: number;
  readonly snapshots: number;
  /** The latest book stamped at or before `ts` and at most `BOOK_MAX_AGE_MS` older; else null. */
  readonly bookAt: (ts: number) => RecordedBook | null;
  /** Every snapshot's stamp, ascending. */
  readonly stamps: readonly number[];
}

export interface RecordedBook extends FillBook {
  /** When it was recorded (the exchange's event time, ms). */
  readonly ts: number;
}

/**
 * A book older than this is not the book the order met: 5 s, five of the file's one-second
 * snapshots. Only books stamped at or before the fill are ever returned (no lookahead).
 */
export const BOOK_MAX_AGE_MS = 5_000;

const HEADER = "event_time_ms,local_ts_ns,update_id,side,level,price,qty";

interface Snapshot { readonly ts: number; readonly bids: [number, number, number][]; readonly asks: [number, number, number][] }

/** The trading venue's recorded top-of-book snapshots for `coin` under `dir`, or null when there are none. */
export function loadRecordedBooks(coin: string, dir: string): RecordedBooks | null {
  const file = findSharedFiles(dir, { symbol: `${coin}/USDT:USDT`, venue: TRADING_VENUE, kinds: ["book"] }).find((f) => f.format === "book-top20");
  if (file === undefined) return null;
  const [header, ...lines] = readFileSync(file.path, "utf8").split(/\r?\n/);
  if (header !== HEADER) throw new Error(`Unexpected header in ${file.name}: "${header ?? ""}" (expected "${HEADER}").`);
  const byStamp = new Map<number, Snapshot>();
  for (const line of lines) {
    if (line === "") continue;
    const [stamp, , , side, level, price, size] = line.split(",");
    const values = [Number(stamp), Number(level), Number(price), Number(size)];
    if ((side !== "bid" && side !== "ask") || !values.every(Number.isFinite)) throw new Error(`Bad row in ${file.name}: ${line}`);
    const [ts = 0, rank = 0, px = 0, qty = 0] = values;
    const snapshot = byStamp.get(ts) ?? { ts, bids: [], asks: [] };
    byStamp.set(ts, snapshot);
    (side === "bid" ? snapshot.bids : snapshot.asks).push([rank, px, qty]);
  }
  const best = (levels: [number, number, number][]): [number, number][] => levels.sort((a, b) => a[0] - b[0]).map(([, px, qty]) => [px, qty]);
  const books = [...byStamp.values()].sort((a, b) => a.ts - b.ts).map((s): RecordedBook => ({ ts: s.ts, bids: best(s.bids), asks: best(s.asks) }));
  const first = books[0];
  const last = books.at(-1);
  if (first === undefined || last === undefined) return null;
  const bookAt = (ts: number): RecordedBook | null => {
    if (ts < first.ts || ts - last.ts > BOOK_MAX_AGE_MS) return null;
    // The last snapshot stamped ≤ ts (binary search).
    let lo = 0;
    let hi = books.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((books[mid]?.ts ?? Infinity) <= ts) lo = mid;
      else hi = mid - 1;
    }
    const found = books[lo];
    return found !== undefined && found.ts <= ts && ts - found.ts <= BOOK_MAX_AGE_MS ? found : null;
  };
  return { file: file.name, from: first.ts, to: last.ts, snapshots: books.length, bookAt, stamps: books.map((b) => b.ts) };
}
