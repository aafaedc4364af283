import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Candle, TimedRate } from "../core/signals/types";
import { snapSettlement } from "../core/trading/funding";
import { PROJECT_ROOT } from "../project-root";

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

/** `<repo>/../shared/data/`. */
export function sharedDataDir(): string {
  return path.resolve(PROJECT_ROOT, "../shared/data") + path.sep;
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

/**
 * Numeric columns of a CSV, one array per row, header checked; CRLF or LF line ends; blank lines
 * ignored. Scans with indexOf instead of split/regex: the hourly files have 50–75k rows and a
 * backtest loads several of them.
 */
export function readCsv(path: string, expectedHeader: string, columns: readonly number[]): number[][] {
  const text = readFileSync(path, "utf8");
  const headerEnd = text.indexOf("\n");
  const header = text.slice(0, headerEnd < 0 ? text.length : headerEnd).replace(/\r$/, "");
  if (header !== expectedHeader) throw new Error(`Unexpected header in ${path}: "${header}" (expected "${expectedHeader}").`);
  const rows: number[][] = [];
  let start = headerEnd < 0 ? text.length : headerEnd + 1;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const lineEnd = text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (lineEnd > start) rows.push(parseFields(path, text, start, lineEnd, columns));
    start = end + 1;
  }
  return rows;
}

function parseFields(path: string, text: string, start: number, end: number, columns: readonly number[]): number[] {
  const values: number[] = [];
  let column = 0;
  let fieldStart = start;
  let wanted = 0;
  while (fieldStart <= end && wanted < columns.length) {
    let fieldEnd = text.indexOf(",", fieldStart);
    if (fieldEnd < 0 || fieldEnd > end) fieldEnd = end;
    if (column === columns[wanted]) {
      const raw = text.slice(fieldStart, fieldEnd);
      const value = raw === "" ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) throw new Error(`Bad number "${raw}" in column ${column} of ${path}: ${text.slice(start, end)}`);
      values.push(value);
      wanted++;
    }
    column++;
    fieldStart = fieldEnd + 1;
  }
  if (wanted < columns.length) throw new Error(`Short row in ${path}: ${text.slice(start, end)}`);
  return values;
}

/** Timestamps must strictly increase: the replay's moving indices rely on it. */
function assertAscending(path: string, series: readonly { ts: number }[]): void {
  for (let i = 1; i < series.length; i++) {
    const prev = series[i - 1];
    const cur = series[i];
    if (prev !== undefined && cur !== undefined && cur.ts <= prev.ts) throw new Error(`${path}: timestamps not strictly increasing at row ${i + 1} (${cur.ts}).`);
  }
}

/**
 * How far a funding stamp may sit from a whole minute and still count as that minute's
 * settlement: 1 s, the core's `snapSettlement` default. Binance publishes some stamps 1–16 ms
 * after the settlement (`…:00:00.001`; 680 of SOL's and DOGE's prints in
 * `binance_perp_panel_1h/`) and 46 settlements twice, a few ms apart. Every funding loader snaps
 * here, once, at load time, so nothing downstream (the replay's "latest settled at or before the
 * decision", the funding baseline's window, the funding paid over a horizon) ever compares a
 * jittered stamp with a decision time. No file holds a stamp further off a minute than 16 ms.
 */
export const SETTLEMENT_TOLERANCE_MS = 1_000;

/**
 * Funding prints keyed by the settlement they belong to: each stamp snapped onto its minute
 * (within `SETTLEMENT_TOLERANCE_MS`), one print per settlement. A settlement published twice
 * with the same rate is kept once; twice with different rates is not jitter, and fails loudly.
 */
export function settledPrints(path: string, raw: readonly TimedRate[]): TimedRate[] {
  const prints: TimedRate[] = [];
  for (const p of raw) {
    const ts = snapSettlement(p.ts, SETTLEMENT_TOLERANCE_MS);
    const prev = prints.at(-1);
    if (prev !== undefined && prev.ts === ts) {
      if (prev.rate !== p.rate) throw new Error(`${path}: settlement ${new Date(ts).toISOString()} printed twice with different rates (${prev.rate}, ${p.rate}).`);
      continue;
    }
    prints.push({ ts, rate: p.rate });
  }
  assertAscending(path, prints);
  return prints;
}

export type Market = "spot" | "perp";

/** One Binance hourly OHLCV file (ts_ms,time_utc,open,high,low,close,volume), checked ascending. */
export function readCandleFile(path: string): Candle[] {
  const candles = readCsv(path, "ts_ms,time_utc,open,high,low,close,volume", [0, 2, 3, 4, 5, 6]).map(([ts = 0, open = 0, high = 0, low = 0, close = 0, volume = 0]) => ({
    ts, open, high, low, close, volume,
  }));
  assertAscending(path, candles);
  return candles;
}

/** Binance hourly candles (open-time stamps), 2018– for spot, 2019– for the USDⓈ-M perp. */
export function loadBinanceCandles(asset: Asset, market: Market, dir = sharedDataDir()): Candle[] {
  const name = market === "spot" ? `binance_spot_${asset}USDT_1h_ohlcv.csv` : `binance_usdm_${asset}USDT_perp_1h_ohlcv.csv`;
  const path = dataPath(`binance_spot_perp_1h/${name}`, dir);
  return readCandleFile(path);
}

/** Binance USDⓈ-M settled funding prints, 2019–2026 (a superset of the multi-exchange Binance file). */
export function loadBinanceFunding(asset: Asset, dir = sharedDataDir()): TimedRate[] {
  const path = dataPath(`binance_spot_perp_1h/binance_usdm_${asset}USDT_funding.csv`, dir);
  return settledPrints(path, readCsv(path, "ts_ms,time_utc,funding_rate", [0, 2]).map(([ts = 0, rate = 0]) => ({ ts, rate })));
}

/** Settled funding prints of one venue from `funding_multi_exchange/` (2020–2023). */
export function loadVenueFunding(asset: Asset, file: string, dir = sharedDataDir()): TimedRate[] {
  const path = dataPath(`funding_multi_exchange/${asset}-USDT_${file}_funding.csv`, dir);
  return settledPrints(path, readCsv(path, "ts_ms,time_utc,exchange,symbol,funding_rate", [0, 4]).map(([ts = 0, rate = 0]) => ({ ts, rate })));
}

/** The other Binance USDⓈ-M perps of `binance_perp_panel_1h/` (2025–2026; Binance only, no spot). */
export type PanelCoin = "SOL" | "DOGE" | "LINK" | "ARB";
export const PANEL_COINS: readonly PanelCoin[] = ["SOL", "DOGE", "LINK", "ARB"];

/** Hourly perp candles of a panel coin (open-time stamps). */
export function loadPanelCandles(coin: PanelCoin, dir = sharedDataDir()): Candle[] {
  const path = dataPath(`binance_perp_panel_1h/binance_usdm_${coin}USDT_perp_1h_ohlcv.csv`, dir);
  return readCandleFile(path);
}

/** Settled funding prints of a panel coin, as Binance publishes them (late and doubled stamps included), snapped. */
export function loadPanelFunding(coin: PanelCoin, dir = sharedDataDir()): TimedRate[] {
  const path = dataPath(`binance_perp_panel_1h/binance_usdm_${coin}USDT_funding.csv`, dir);
  return settledPrints(path, readCsv(path, "ts_ms,time_utc,funding_rate", [0, 2]).map(([ts = 0, rate = 0]) => ({ ts, rate })));
}
