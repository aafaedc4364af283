import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findSharedFiles } from "../../src/history/import/shared-files";
import { importSharedData } from "../../src/history/import/shared-import";
import { loadPanelCandles, loadPanelFunding, sharedDataDir } from "../../src/history/shared-data";
import { useFreshDatabases } from "../support/fresh-databases";

/**
 * The CSV import of ../shared/data into a real migrated SQLite database: any coin the files hold,
 * stamps snapped like the backtest loaders snap them, idempotent, absent files not an error.
 */

const SHARED = sharedDataDir();
const freshDb = useFreshDatabases("shared-import");
/** Folders of trimmed copies of real files. */
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-shared-files-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A shared-data folder holding the first `lines` lines of some real files (a 73k-row file takes ~25 s to store on a busy 2-core box). */
function sliceOfShared(files: readonly string[], lines: number): string {
  const dir = mkdtempSync(path.join(scratch, "data-"));
  for (const relative of files) {
    const text = readFileSync(path.join(SHARED, relative), "utf8").split("\n").slice(0, lines + 1).join("\n");
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), text);
  }
  return dir;
}

describe("finding the shared files", () => {
  it("finds every coin by file name, maps the multi-exchange venues to ccxt ids, and leaves out what has no table", () => {
    const all = findSharedFiles(SHARED);
    const coins = new Set(all.map((f) => f.symbol));
    expect([...coins].sort()).toEqual(["ARB/USDT:USDT", "BTC/USDT:USDT", "DOGE/USDT:USDT", "ETH/USDT:USDT", "LINK/USDT:USDT", "SOL/USDT:USDT"]);
    const sol = findSharedFiles(SHARED, { symbol: "SOL/USDT:USDT" });
    expect(sol.map((f) => `${f.kind}:${f.venue}`)).toEqual(["funding:binanceusdm", "perp:binanceusdm"]);
    const btcFundingVenues = findSharedFiles(SHARED, { symbol: "BTC/USDT:USDT", kinds: ["funding"] }).map((f) => f.venue);
    expect(btcFundingVenues).toEqual(["binanceusdm", "binanceusdm", "bybit", "dydx", "gate", "htx", "kucoinfutures", "mexc"]);
    expect(all.some((f) => /mark_ohlc|trades|bookticker|binance-spot|hyperliquid|freqtrade/.test(f.name))).toBe(false);
    // The books come last.
    expect(all.at(-1)?.kind).toBe("book");
    expect(findSharedFiles(SHARED, { symbol: "XRP/USDT:USDT" })).toEqual([]);
    expect(findSharedFiles(path.join(scratch, "no-such-folder"))).toEqual([]);
  });
});

describe("importing the shared CSV files", () => {
  it("imports a panel coin (SOL): perp candles and snapped funding, no spot file and no error, then nothing on a re-run", async () => {
    const db = await freshDb();
    const first = await importSharedData({ db, dir: SHARED, symbol: "SOL/USDT:USDT" });
    const funding = loadPanelFunding("SOL");
    const candles = loadPanelCandles("SOL");
    expect(first.files.map((f) => [f.file.kind, f.read, f.stored])).toEqual([["funding", funding.length, funding.length], ["perp", candles.length, candles.length]]);
    const prints = await db.fundingPrint.findMany({ where: { venue: "binanceusdm", symbol: "SOL/USDT:USDT" }, orderBy: { ts: "asc" } });
    // Binance's late stamps (…:00.001) are stored on their settlement minute, each settlement once.
    expect(prints.map((p) => p.ts.getTime())).toEqual(funding.map((p) => p.ts));
    expect(prints.every((p) => p.ts.getTime() % 60_000 === 0)).toBe(true);
    expect(await db.candle.count({ where: { venue: "binanceusdm", symbol: "SOL/USDT:USDT" } })).toBe(candles.length);
    expect(await db.spotCandle.count()).toBe(0);

    const again = await importSharedData({ db, dir: SHARED, symbol: "SOL/USDT:USDT" });
    expect(again.files.map((f) => f.stored)).toEqual([0, 0]);
    expect(await db.fundingPrint.count()).toBe(funding.length);
    expect(await db.candle.count()).toBe(candles.length);
  }, 90_000); // 12,700 rows twice: ~15 s on a busy 2-core machine

  it("imports BTC spot candles into SpotCandle under the perp's symbol, idempotently, filling in what is missing", async () => {
    const dir = sliceOfShared(["binance_spot_perp_1h/binance_spot_BTCUSDT_1h_ohlcv.csv"], 3_000);
    const db = await freshDb();
    // An earlier, interrupted import stored a few rows: they are kept, the rest are added.
    await db.spotCandle.create({ data: { venue: "binanceusdm", symbol: "BTC/USDT:USDT", ts: new Date(Date.UTC(2018, 0, 1, 5)), open: 1, high: 1, low: 1, close: 1, volume: 1 } });
    const first = await importSharedData({ db, dir, symbol: "BTC/USDT:USDT", kinds: ["spot"] });
    expect(first.files.map((f) => [f.file.name, f.read, f.stored])).toEqual([["binance_spot_perp_1h/binance_spot_BTCUSDT_1h_ohlcv.csv", 3_000, 2_999]]);
    const rows = await db.spotCandle.findMany({ where: { venue: "binanceusdm", symbol: "BTC/USDT:USDT" }, orderBy: { ts: "asc" } });
    expect(rows).toHaveLength(3_000);
    expect(rows[0]).toMatchObject({ ts: new Date(Date.UTC(2018, 0, 1)), open: 13_715.65, high: 13_715.65, low: 13_400.01, close: 13_529.01, volume: 443.356199 });
    const again = await importSharedData({ db, dir, kinds: ["spot"] });
    expect(again.files.map((f) => f.stored)).toEqual([0]);
    expect(await db.spotCandle.count()).toBe(3_000);
    expect(await db.candle.count()).toBe(0);
  });

  it("stores funding_multi_exchange prints per venue, the Binance ones once beside the binance_spot_perp_1h file", async () => {
    const dir = sliceOfShared([
      "binance_spot_perp_1h/binance_usdm_BTCUSDT_funding.csv",
      "funding_multi_exchange/BTC-USDT_binance_funding.csv",
      "funding_multi_exchange/BTC-USDT_bybit_funding.csv",
    ], 2_000);
    const db = await freshDb();
    const result = await importSharedData({ db, dir, symbol: "BTC/USDT:USDT" });
    const byName = new Map(result.files.map((f) => [f.file.name.split("/")[1] ?? "", f]));
    expect(byName.get("BTC-USDT_bybit_funding.csv")).toMatchObject({ read: 2_000, stored: 2_000 });
    // The two Binance sources agree on every stamp they share: nothing twice.
    const binance = await db.fundingPrint.count({ where: { venue: "binanceusdm" } });
    expect(binance).toBe((byName.get("binance_usdm_BTCUSDT_funding.csv")?.stored ?? 0) + (byName.get("BTC-USDT_binance_funding.csv")?.stored ?? 0));
    expect(byName.get("BTC-USDT_binance_funding.csv")?.stored).toBeLessThan(2_000);
    expect(await db.fundingPrint.count({ where: { venue: "bybit", symbol: "BTC/USDT:USDT" } })).toBe(2_000);
  });

  it("reduces each recorded Binance perp L2 snapshot to one BookSummary row", async () => {
    const db = await freshDb();
    const result = await importSharedData({ db, dir: SHARED, kinds: ["book"] });
    expect(result.files.map((f) => [f.file.format, f.stored])).toEqual([["book-snapshot", 1], ["book-top20", 345]]);
    const rows = await db.bookSummary.findMany({ where: { venue: "binanceusdm", symbol: "BTC/USDT:USDT" }, orderBy: { ts: "asc" } });
    expect(rows).toHaveLength(346);
    expect(rows.every((r) => r.bestBid < r.bestAsk)).toBe(true);
    // The first top-20 sample: best bid 61800.00 × 18.957 at event time 1723161257032.
    const first20 = rows.find((r) => r.ts.getTime() === 1_723_161_257_032);
    expect(first20).toMatchObject({ bestBid: 61_800, bidSize: 18.957 });
    const depth = JSON.parse(first20?.depthJson ?? "{}") as Record<string, [number, number]>;
    expect(Object.keys(depth).sort()).toEqual(["10", "100", "200", "50"]);
    expect(depth["10"]?.[0]).toBeGreaterThanOrEqual(18.957);
    expect((await importSharedData({ db, dir: SHARED, kinds: ["book"] })).files.map((f) => f.stored)).toEqual([0, 0]);
  });

  it("finds nothing for a coin the files do not hold, and a missing folder is no error", async () => {
    const db = await freshDb();
    await expect(importSharedData({ db, dir: SHARED, symbol: "MNT/USDT:USDT" })).resolves.toMatchObject({ found: 0, files: [] });
    await expect(importSharedData({ db, dir: path.join(scratch, "absent") })).resolves.toMatchObject({ found: 0 });
  });
});
