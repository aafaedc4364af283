import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { recordMarket } from "../../src/app/record-market";
import { MarketSimulator } from "../../src/sim/market-simulator";
import { useRecordingApps } from "../support/test-env";

/**
 * How much recorded history costs: one simulated day of 15-minute polls (96) of one symbol on four
 * venues, after a warm-up day (the first poll's backfills are a one-off), into a fresh SQLite file.
 * Measured on compacted copies (VACUUM INTO), with the full books kept and with them dropped as
 * MARKET_BOOK_RETENTION_DAYS does. `MEASURE_PRINT=1` prints the figures (README, "Recorded history").
 */
const MNT = "MNT/USDT:USDT";
const VENUES = ["bybit", "okx", "binanceusdm", "bitget"];
const START = Date.UTC(2026, 0, 5, 0, 0, 0);
const STEP = 15 * 60_000;
const POLLS_PER_DAY = 96;
const newApp = useRecordingApps();
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-size-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Bytes of a compacted copy of the database, with and without its full books. */
function compactSizes(file: string, name: string): { withBooks: number; withoutBooks: number } {
  const withBooks = path.join(scratch, `${name}.db`);
  const withoutBooks = path.join(scratch, `${name}-nobooks.db`);
  const source = new Database(file);
  source.pragma("wal_checkpoint(TRUNCATE)");
  source.exec(`VACUUM INTO '${withBooks}'`);
  source.close();
  const copy = new Database(withBooks);
  copy.exec("UPDATE MarketSnapshot SET bookJson = NULL");
  copy.exec(`VACUUM INTO '${withoutBooks}'`);
  copy.close();
  return { withBooks: statSync(withBooks).size, withoutBooks: statSync(withoutBooks).size };
}

describe("recorded history size", () => {
  it("costs a bounded number of bytes per symbol-venue-day, most of it the full books", async () => {
    const env = await newApp({ now: START, settings: { venues: VENUES, symbols: [MNT] } });
    const dbFile = (await env.app.db.$queryRawUnsafe<{ file: string }[]>("PRAGMA database_list"))[0]?.file ?? "";
    const sim = new MarketSimulator({ seed: 9, start: START, startPrice: 0.6, episodeStartHours: 30, episodeHours: 10, venues: VENUES });
    const sources = VENUES.map((v) => sim.source(v, env.app.clock));
    const day = async (index: number): Promise<void> => {
      for (let i = 0; i < POLLS_PER_DAY; i += 1) {
        env.setNow(START + (index * POLLS_PER_DAY + i) * STEP);
        expect((await recordMarket(env.app, sources)).recorded).toBe(VENUES.length);
      }
    };
    await day(0);
    const before = compactSizes(dbFile, "day1");
    await day(1);
    const after = compactSizes(dbFile, "day2");
    const perDay = (bytes: number): number => Math.round(bytes / VENUES.length);
    const withBooks = perDay(after.withBooks - before.withBooks);
    const withoutBooks = perDay(after.withoutBooks - before.withoutBooks);
    const secondDay = { gte: new Date(START + POLLS_PER_DAY * STEP) };
    const rows = {
      snapshots: await env.app.db.marketSnapshot.count({ where: { venue: "bybit", ts: secondDay } }),
      bookSummaries: await env.app.db.bookSummary.count({ where: { venue: "bybit", ts: secondDay } }),
      openInterestPrints: await env.app.db.openInterestPrint.count({ where: { venue: "bybit", ts: secondDay } }),
      perpBars: await env.app.db.candle.count({ where: { venue: "bybit", ts: { gte: new Date(START + POLLS_PER_DAY * STEP - 3_600_000) } } }),
      spotBars: await env.app.db.spotCandle.count({ where: { venue: "bybit", ts: { gte: new Date(START + POLLS_PER_DAY * STEP - 3_600_000) } } }),
    };
    if (process.env.MEASURE_PRINT) process.stdout.write(`${JSON.stringify({ bookDepth: env.app.settings.marketData.bookDepth, withBooks, withoutBooks, rows })}\n`);
    expect(rows).toEqual({ snapshots: 96, bookSummaries: 96, openInterestPrints: 96, perpBars: 24, spotBars: 24 });
    expect(withoutBooks).toBeGreaterThan(10_000);
    expect(withoutBooks).toBeLessThan(withBooks / 2);
    // The README states the figure: a change that doubles it should be noticed and the README updated.
    expect(withBooks).toBeLessThan(400_000);
    expect(withoutBooks).toBeLessThan(100_000);
  }, 240_000);
});
