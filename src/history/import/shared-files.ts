import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { MULTI_EXCHANGE_VENUES } from "../shared-data";
import type { HistoryKind } from "./history-store";

/**
 * Which files of ../shared/data (see its README) the import reads, for any coin they hold: the
 * files are found by name pattern, never by a list of coins, so a coin added to a folder is
 * imported too, and a coin, venue or spot file that is not there is simply not imported.
 *
 * Names in the database: symbols are ccxt unified perps (SOL/USDT:USDT); Binance files go to
 * `binanceusdm` (spot candles too: SpotCandle is keyed by the venue and the perp's symbol, as the
 * live recorder keys them). funding_multi_exchange's venues keep the ccxt ids the backtest replay
 * already uses (shared-data.ts MULTI_EXCHANGE_VENUES: binanceusdm, bybit, gate, htx,
 * kucoinfutures, mexc, dydx): the live bot only ever reads its configured venues, so the others
 * are history for backtests and harm nothing; `--venue` limits an import to one of them. dYdX's
 * prints are hourly rates of its USD-margined BTC-USD, stored under BTC/USDT:USDT like the replay
 * treats them.
 *
 * Not imported, because no table holds them: mark-price candles, trades, bookTicker, the raw
 * WebSocket captures, the Binance spot order book (BookSummary is the perp book per venue), the
 * Hyperliquid snapshots and freqtrade_testdata (an unnamed venue).
 */
export type SharedFormat = "candles" | "funding" | "venue-funding" | "book-top20" | "book-snapshot";

export interface SharedFile {
  /** Absolute path. */
  readonly path: string;
  /** Folder/name, for messages. */
  readonly name: string;
  readonly kind: HistoryKind;
  readonly format: SharedFormat;
  readonly venue: string;
  readonly symbol: string;
}

interface Rule {
  readonly folders: readonly string[];
  /** The first group is the coin; a second, where present, the venue's file name. */
  readonly pattern: RegExp;
  readonly kind: HistoryKind;
  readonly format: SharedFormat;
}

const BINANCE_HOURLY = ["binance_spot_perp_1h", "binance_perp_panel_1h"];

/** In import order: order books last (the slowest to reduce and the least needed). */
const RULES: readonly Rule[] = [
  { folders: BINANCE_HOURLY, pattern: /^binance_usdm_([A-Z0-9]+)USDT_funding\.csv$/, kind: "funding", format: "funding" },
  { folders: BINANCE_HOURLY, pattern: /^binance_usdm_([A-Z0-9]+)USDT_perp_1h_ohlcv\.csv$/, kind: "perp", format: "candles" },
  { folders: BINANCE_HOURLY, pattern: /^binance_spot_([A-Z0-9]+)USDT_1h_ohlcv\.csv$/, kind: "spot", format: "candles" },
  { folders: ["funding_multi_exchange"], pattern: /^([A-Z0-9]+)-USDT_([a-z0-9]+)_funding\.csv$/, kind: "funding", format: "venue-funding" },
  { folders: ["orderbook_binance_20240808"], pattern: /^binance-usdm_([A-Z0-9]+)USDT_l2_rest_snapshot\.csv$/, kind: "book", format: "book-snapshot" },
  { folders: ["orderbook_binance_20240808"], pattern: /^binance-usdm_([A-Z0-9]+)USDT_l2_top20_1s\.csv$/, kind: "book", format: "book-top20" },
];

/** The ccxt id a funding_multi_exchange file name stands for; a venue not in the table keeps its file name. */
function multiExchangeVenue(file: string): string {
  return MULTI_EXCHANGE_VENUES.find((v) => v.file === file)?.venue ?? file;
}

function filesIn(folder: string): string[] {
  return existsSync(folder) ? readdirSync(folder).sort() : [];
}

export interface SharedFileFilter {
  readonly symbol?: string;
  readonly venue?: string;
  readonly kinds?: readonly HistoryKind[];
}

/** Every importable file under `dir` that passes the filter; a missing folder adds nothing. */
export function findSharedFiles(dir: string, filter: SharedFileFilter = {}): SharedFile[] {
  const found: SharedFile[] = [];
  for (const rule of RULES) {
    for (const folder of rule.folders) {
      for (const fileName of filesIn(path.join(dir, folder))) {
        const match = rule.pattern.exec(fileName);
        const coin = match?.[1];
        if (coin === undefined) continue;
        const venue = rule.format === "venue-funding" ? multiExchangeVenue(match?.[2] ?? "") : "binanceusdm";
        const file: SharedFile = { path: path.join(dir, folder, fileName), name: `${folder}/${fileName}`, kind: rule.kind, format: rule.format, venue, symbol: `${coin}/USDT:USDT` };
        if (filter.symbol !== undefined && file.symbol !== filter.symbol) continue;
        if (filter.venue !== undefined && file.venue !== filter.venue) continue;
        if (filter.kinds !== undefined && !filter.kinds.includes(file.kind)) continue;
        found.push(file);
      }
    }
  }
  return found;
}
