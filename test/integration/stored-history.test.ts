import { describe, expect, it } from "vitest";
import { collectDecisionRows } from "../../src/history/backtest-decisions";
import { importSharedData } from "../../src/history/import/shared-import";
import { HOUR_MS, loadAssetHistory } from "../../src/history/replay";
import { sharedDataDir } from "../../src/history/shared-data";
import { commonGapHours, loadStoredHistory } from "../../src/history/stored-history";
import { useFreshDatabases } from "../support/fresh-databases";

/**
 * A backtest reads the database as it reads ../shared/data (issue 10, point 1: "stored history,
 * imported, recorded or ../shared/data"): a coin imported into a real migrated SQLite database
 * gives the same history, and the same decisions, as its CSV files.
 */
const freshDb = useFreshDatabases("stored-history");

describe("history from the database", () => {
  it("an imported coin (SOL) is the same history as its files, and the replay decides the same", async () => {
    const db = await freshDb();
    await importSharedData({ db, dir: sharedDataDir(), symbol: "SOL/USDT:USDT" });
    const stored = await loadStoredHistory(db, "SOL");
    const files = loadAssetHistory("SOL");
    expect(stored.history).toEqual(files);
    expect(stored.rows.perp).toBe(files.perp.length);
    expect(stored.newest).toBe(Math.max(files.perp.at(-1)?.ts ?? 0, files.funding[0]?.prints.at(-1)?.ts ?? 0));
    const span = { from: Date.UTC(2025, 8, 1), to: Date.UTC(2025, 9, 1) };
    const fromDb = collectDecisionRows(stored.history, span);
    expect(fromDb.length).toBeGreaterThan(80);
    expect(fromDb).toEqual(collectDecisionRows(files, span));
    expect(fromDb.some((r) => r.streams.some((s) => s.stream === "funding-anomaly" && s.available))).toBe(true);
  }, 120_000);

  it("reads a venue's funding interval from what the bot polled, and puts the trading venue first", async () => {
    const db = await freshDb();
    const symbol = "MNT/USDT:USDT";
    const base = Date.UTC(2026, 10, 1);
    await db.fundingPrint.createMany({
      data: [
        ...Array.from({ length: 12 }, (_, i) => ({ venue: "okx", symbol, ts: new Date(base + i * 4 * HOUR_MS), rate: 0.0001 })),
        ...Array.from({ length: 6 }, (_, i) => ({ venue: "binanceusdm", symbol, ts: new Date(base + i * 8 * HOUR_MS), rate: 0.0002 })),
        ...Array.from({ length: 24 }, (_, i) => ({ venue: "bitget", symbol, ts: new Date(base + i * HOUR_MS), rate: 0.00001 })),
      ],
    });
    // OKX's interval as its API reported it (the prints alone would say 4 h too, but the poll is the source).
    await db.marketSnapshot.create({ data: { venue: "okx", symbol, ts: new Date(base), fundingRate: 0.0001, fundingIntervalHours: 2 } });
    const stored = await loadStoredHistory(db, "MNT");
    expect(stored.history.funding.map((f) => [f.venue, f.intervalHours, f.prints.length])).toEqual([["binanceusdm", 8, 6], ["bitget", 1, 24], ["okx", 2, 12]]);
    expect(stored.history.perp).toEqual([]);
    expect((await loadStoredHistory(db, "XRP")).newest).toBeNull();
  });

  it("takes the most common gap between prints, among the intervals venues use", () => {
    const at = (...hours: number[]) => hours.map((h) => ({ ts: h * HOUR_MS, rate: 0 }));
    expect(commonGapHours(at(0, 4, 8, 12, 20))).toBe(4);
    expect(commonGapHours(at(0, 1, 2, 3, 11))).toBe(1);
    expect(commonGapHours(at(0, 3, 6))).toBe(8);
    expect(commonGapHours([])).toBe(8);
  });
});
