import { readFileSync } from "node:fs";
import path from "node:path";
import type { VenueBookView } from "../../src/core/signals/types";
import { sharedDataDir } from "../../src/history/shared-data";

import { loadBinanceFunding } from "../../src/history/shared-data";

export { loadBinanceCandles, loadBinanceFunding } from "../../src/history/shared-data";

/** The real Binance BTC funding prints of the week ending at `end` (../shared/data). */
export function realFundingWeek(end: number): { ts: number; rate: number }[] {
  return loadBinanceFunding("BTC").filter((p) => p.ts > end - 7 * 24 * 3_600_000 && p.ts <= end);
}

/**
 * The real Binance BTCUSDT perp L2 books of 2024-08-08, top 20 levels a side, one per second
 * (../shared/data, read in place; CRLF line ends).
 */
export function loadRealBooks(): VenueBookView[] {
  const file = path.join(sharedDataDir(), "orderbook_binance_20240808", "binance-usdm_BTCUSDT_l2_top20_1s.csv");
  const lines = readFileSync(file, "utf8").trim().split(/\r?\n/);
  if (lines[0] !== "event_time_ms,local_ts_ns,update_id,side,level,price,qty") throw new Error(`unexpected header in ${file}`);
  const byTs = new Map<number, { ts: number; bids: [number, number][]; asks: [number, number][] }>();
  for (const line of lines.slice(1)) {
    const [ts, , , side, , price, qty] = line.split(",");
    const key = Number(ts);
    const snapshot = byTs.get(key) ?? { ts: key, bids: [], asks: [] };
    byTs.set(key, snapshot);
    (side === "bid" ? snapshot.bids : snapshot.asks).push([Number(price), Number(qty)]);
  }
  return [...byTs.values()];
}

/** The same book reflected about its mid: bids become asks at the mirrored distance and back. */
export function mirroredBook(b: VenueBookView): VenueBookView {
  const mid = ((b.bids[0]?.[0] ?? NaN) + (b.asks[0]?.[0] ?? NaN)) / 2;
  const flip = (levels: VenueBookView["bids"]): [number, number][] => levels.map(([price, qty]) => [2 * mid - price, qty]);
  return { ts: b.ts, bids: flip(b.asks), asks: flip(b.bids) };
}
