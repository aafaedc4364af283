import type { Db } from "../../store/database";
import { readCandleFile, readCsv, settledPrints } from "../shared-data";
import { readBookSummaries } from "./book-import";
import { storeHistory, type RowOf } from "./history-store";
import { findSharedFiles, type SharedFile, type SharedFileFilter } from "./shared-files";

/**
 * Imports the CSV files of ../shared/data into the history tables. Idempotent: a re-run (or a run
 * after an interrupted one) reads each file again and stores only the rows that are missing, so
 * it both resumes and never duplicates. Funding stamps are snapped onto their settlement and a
 * settlement published twice is kept once (settledPrints, as the backtest loaders do), so the rows
 * match what the live recorder and the replay key by.
 */

export interface SharedFileReport {
  readonly file: SharedFile;
  /** Rows in the file after snapping and de-duplication. */
  readonly read: number;
  /** Rows that were not stored before. */
  readonly stored: number;
}

export interface SharedImportOptions extends SharedFileFilter {
  readonly db: Db;
  readonly dir: string;
  /** Checked before each file: true stops after the current one. */
  readonly shouldStop?: () => boolean;
  readonly onFileStart?: (file: SharedFile, index: number, count: number) => void;
  /** After each stored batch of the current file: rows handled so far, rows in the file, rows new so far. */
  readonly onFileProgress?: (done: number, total: number, stored: number) => void;
  readonly onFileDone?: (report: SharedFileReport, index: number, count: number) => void;
}

export interface SharedImportResult {
  readonly files: readonly SharedFileReport[];
  /** Files found by the filter; fewer were imported when stopped early. */
  readonly found: number;
  readonly interrupted: boolean;
}

function readRows(file: SharedFile): RowOf[typeof file.kind][] {
  switch (file.format) {
    case "candles":
      return readCandleFile(file.path);
    case "funding":
      return settledPrints(file.path, readCsv(file.path, "ts_ms,time_utc,funding_rate", [0, 2]).map(([ts = 0, rate = 0]) => ({ ts, rate })));
    case "venue-funding":
      return settledPrints(file.path, readCsv(file.path, "ts_ms,time_utc,exchange,symbol,funding_rate", [0, 4]).map(([ts = 0, rate = 0]) => ({ ts, rate })));
    default:
      return readBookSummaries(file);
  }
}

export async function importSharedData(options: SharedImportOptions): Promise<SharedImportResult> {
  const files = findSharedFiles(options.dir, options);
  const reports: SharedFileReport[] = [];
  for (const [index, file] of files.entries()) {
    if (options.shouldStop?.() === true) return { files: reports, found: files.length, interrupted: true };
    options.onFileStart?.(file, index, files.length);
    const rows = readRows(file);
    const stored = await storeHistory(options.db, file.kind, file.venue, file.symbol, rows, options.onFileProgress);
    const report = { file, read: rows.length, stored };
    reports.push(report);
    options.onFileDone?.(report, index, files.length);
  }
  return { files: reports, found: files.length, interrupted: false };
}
