import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Candle, TimedRate } from "../core/signals/types";

/**
 * Loaders for the real market data in `../shared/data` (see its README). The folder sits beside
 * the repository and is read in place, never copied in: the licences differ per source and the
 * files are large. Every file has CRLF line ends; gaps (missing hours, a missing month on Gate)
 * are left as gaps — the replay decides what a gap means, the loader never fills one.
 */
export type Asset = "BTC" | "ETH";
export const ASSETS: readonly Asset[] = ["BTC", "ETH"];

/** The seven venues of `funding_multi_exchange/`, named by their ccxt ids as the live bot names them. */
export interface MultiExchangeVenue {
  /** Name in the file names (`BTC-USDT_<file>_funding.csv`). */
  readonly file: string;
  /** ccxt id, as in the live configuration and journal. */
  readonly venue: string;
  readonly intervalHours: number;
}

export const MULTI_EXCHANGE_VENUES: readonly MultiExchangeVenue[] = [
  { file: "binance", venue: "binanceusdm", intervalHours: 8 },
  { file: "bybit", venue: "bybit", intervalHours: 8 },
  { file: "gate", venue: "gate", intervalHours: 8 },
  { file: "htx", venue: "htx", intervalHours: 8 },
  { file: "kucoin", venue: "kucoinfutures", intervalHours: 8 },
  { file: "mexc", venue: "mexc", intervalHours: 8 },
  // dYdX v3 settles every hour: its rate is per hour, not per 8 h.
  { file: "dydx", venue: "dydx", intervalHours: 1 },
];

/** `<repo>/../shared/data`, from this file's place in `src/history/`. */
export function sharedDataDir(): string {
  return fileURLToPath(new URL("../../../shared/data/", import.meta.url));
}

function dataPath(relative: string, dir: string): string {
  const full = `${dir.replace(/\/+$/, "")}/${relative}`;
  if (!existsSync(full)) {
    throw new Error(
      `Shared market data not found: ${full}. The data folder must sit beside the repository ` +
        `(<repo>/../shared/data, here ${dir}); check it out or mount it there — it is never copied into the repo.`,
    );
  }
  return full;
}

/** Rows of a CSV as string arrays, header checked; CRLF or LF line ends; blank lines ignored. */
function readCsv(path: string, expectedHeader: string): string[][] {
  const lines = readFileSync(path, "utf8").split(/\r?\n/);
  if (lines[0] !== expectedHeader) throw new Error(`Unexpected header in ${path}: "${lines[0] ?? ""}" (expected "${expectedHeader}").`);
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined || line === "") continue;
    rows.push(line.split(","));
  }
  return rows;
}

function num(path: string, row: readonly string[], column: number): number {
  const raw = row[column];
  const value = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) throw new Error(`Bad number "${raw ?? ""}" in column ${column} of ${path}: ${row.join(",")}`);
  return value;
}

/** Timestamps must strictly increase: the replay's moving indices rely on it. */
function assertAscending(path: string, series: readonly { ts: number }[]): void {
  for (let i = 1; i < series.length; i++) {
    const prev = series[i - 1];
    const cur = series[i];
    if (prev !== undefined && cur !== undefined && cur.ts <= prev.ts) throw new Error(`${path}: timestamps not strictly increasing at row ${i + 1} (${cur.ts}).`);
  }
}

export type Market = "spot" | "perp";

/** Binance hourly candles (open-time stamps), 2018– for spot, 2019– for the USDⓈ-M perp. */
export function loadBinanceCandles(asset: Asset, market: Market, dir = sharedDataDir()): Candle[] {
  const name = market === "spot" ? `binance_spot_${asset}USDT_1h_ohlcv.csv` : `binance_usdm_${asset}USDT_perp_1h_ohlcv.csv`;
  const path = dataPath(`binance_spot_perp_1h/${name}`, dir);
  const candles = readCsv(path, "ts_ms,time_utc,open,high,low,close,volume").map((r) => ({
    ts: num(path, r, 0), open: num(path, r, 2), high: num(path, r, 3), low: num(path, r, 4), close: num(path, r, 5), volume: num(path, r, 6),
  }));
  assertAscending(path, candles);
  return candles;
}

/** Binance USDⓈ-M settled funding prints, 2019–2026 (a superset of the multi-exchange Binance file). */
export function loadBinanceFunding(asset: Asset, dir = sharedDataDir()): TimedRate[] {
  const path = dataPath(`binance_spot_perp_1h/binance_usdm_${asset}USDT_funding.csv`, dir);
  const prints = readCsv(path, "ts_ms,time_utc,funding_rate").map((r) => ({ ts: num(path, r, 0), rate: num(path, r, 2) }));
  assertAscending(path, prints);
  return prints;
}

/** Settled funding prints of one venue from `funding_multi_exchange/` (2020–2023). */
export function loadVenueFunding(asset: Asset, file: string, dir = sharedDataDir()): TimedRate[] {
  const path = dataPath(`funding_multi_exchange/${asset}-USDT_${file}_funding.csv`, dir);
  const prints = readCsv(path, "ts_ms,time_utc,exchange,symbol,funding_rate").map((r) => ({ ts: num(path, r, 0), rate: num(path, r, 4) }));
  assertAscending(path, prints);
  return prints;
}
