import { readFileSync } from "node:fs";
import { summarizeBook, type SummaryLevel } from "../../core/market/book-summary";
import type { BookSummaryRow } from "./history-store";
import type { SharedFile } from "./shared-files";

/**
 * Recorded L2 books (orderbook_binance_20240808) reduced to BookSummary rows, one per snapshot:
 * the top-20 book rebuilt every second (stamped with the exchange's event time) and the one REST
 * snapshot of 1,000 levels a side (stamped with its local receive time, the only time it has).
 * Both files list one row per level: side, level (1 = best), price, size in base units.
 */

interface LevelRow { readonly stamp: number; readonly side: "bid" | "ask"; readonly level: number; readonly price: number; readonly size: number }

const LAYOUTS = {
  "book-top20": { header: "event_time_ms,local_ts_ns,update_id,side,level,price,qty", stampColumn: 0, stampDivisor: 1, side: 3, level: 4, price: 5, size: 6 },
  "book-snapshot": { header: "local_ts_ns,last_update_id,side,level,price,qty", stampColumn: 0, stampDivisor: 1_000_000, side: 2, level: 3, price: 4, size: 5 },
} as const;

function readLevels(file: SharedFile): LevelRow[] {
  if (file.format !== "book-top20" && file.format !== "book-snapshot") throw new Error(`${file.name} is not an order-book file`);
  const layout = LAYOUTS[file.format];
  const [header, ...lines] = readFileSync(file.path, "utf8").split(/\r?\n/);
  if (header !== layout.header) throw new Error(`Unexpected header in ${file.name}: "${header ?? ""}" (expected "${layout.header}").`);
  const rows: LevelRow[] = [];
  for (const line of lines) {
    if (line === "") continue;
    const cells = line.split(",");
    const side = cells[layout.side];
    // Nanosecond stamps exceed a double's exact range; to the millisecond they are exact enough.
    const stamp = Math.floor(Number(cells[layout.stampColumn]) / layout.stampDivisor);
    const level = Number(cells[layout.level]);
    const price = Number(cells[layout.price]);
    const size = Number(cells[layout.size]);
    if ((side !== "bid" && side !== "ask") || ![stamp, level, price, size].every(Number.isFinite)) throw new Error(`Bad row in ${file.name}: ${line}`);
    rows.push({ stamp, side, level, price, size });
  }
  return rows;
}

/** One summary per snapshot in the file, oldest first; a snapshot with an empty side is left out. */
export function readBookSummaries(file: SharedFile): BookSummaryRow[] {
  const snapshots = new Map<number, LevelRow[]>();
  for (const row of readLevels(file)) {
    const levels = snapshots.get(row.stamp) ?? [];
    levels.push(row);
    snapshots.set(row.stamp, levels);
  }
  const summaries: BookSummaryRow[] = [];
  for (const [ts, levels] of [...snapshots.entries()].sort(([a], [b]) => a - b)) {
    const side = (which: "bid" | "ask"): SummaryLevel[] =>
      levels.filter((l) => l.side === which).sort((a, b) => a.level - b.level).map((l) => [l.price, l.size] as const);
    const summary = summarizeBook(side("bid"), side("ask"));
    if (summary === null) continue;
    const { bestBid, bestAsk, bidSize, askSize, depth, walls } = summary;
    summaries.push({ ts, bestBid, bestAsk, bidSize, askSize, depth, walls });
  }
  return summaries;
}
