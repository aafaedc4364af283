import { describe, expect, it } from "vitest";
import { ImportStopped, importFromVenue, type VenueImportOptions } from "../../src/history/import/venue-import";
import type { Db } from "../../src/store/database";
import { useFreshDatabases } from "../support/fresh-databases";
import { APR_2025, BTC, FUNDING_CSV, JAN_2024, OCT_2024, useMarketDataStandIn } from "../support/ccxt-market-data-setup";

/**
 * The paging importer through the real ccxt 4.5.84 and the exchange stand-in, into a real
 * migrated SQLite database: pages, resume, rate limits, network failures, bans, unlisted symbols.
 * The clock is shifted back to just after the seeded history (it still runs, so a venue's
 * Retry-After pause really ends), which keeps "caught up to now" a few pages away.
 */

const { server, adapter } = useMarketDataStandIn();
const HOUR = 3_600_000;
const freshDb = useFreshDatabases("import");

/** A clock that reads `at` now and keeps running. */
function clockAt(at: number): () => number {
  const offset = Date.now() - at;
  return () => Date.now() - offset;
}

const hourly = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ ts: from + i * HOUR, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 10 + i }));

async function storedCandleStamps(db: Db, venue: string): Promise<number[]> {
  return (await db.candle.findMany({ where: { venue, symbol: BTC }, orderBy: { ts: "asc" }, select: { ts: true } })).map((r) => r.ts.getTime());
}

const KLINES = { binanceusdm: /\/fapi\/v1\/klines$/, bybit: /\/v5\/market\/kline$/ } as const;

describe.each(["binanceusdm", "bybit"] as const)("importing %s perp candles", (venue) => {
  const candles = hourly(JAN_2024, 1000);
  // Half an hour after the last seeded bar closed: that bar is the newest closed one.
  const now = clockAt(JAN_2024 + 1000 * HOUR + 30 * 60_000);
  const run = (db: Db, extra: Partial<VenueImportOptions> = {}) =>
    importFromVenue({ db, source: adapter(venue, { now }), kind: "perp", symbol: BTC, sinceMs: JAN_2024, now, backoffMs: 5, ...extra });

  it("pages forward 200 bars at a time until caught up, storing every bar once", async () => {
    server.setCandles(venue, BTC, candles);
    const db = await freshDb();
    const pagesSeen: number[] = [];
    const result = await run(db, { onPage: (p) => pagesSeen.push(p.stored) });
    expect(result).toMatchObject({ outcome: "caught-up", stored: 1000, fetched: 1000 });
    expect(await storedCandleStamps(db, venue)).toEqual(candles.map((c) => c.ts));
    expect(pagesSeen.slice(0, 5)).toEqual([200, 400, 600, 800, 1000]);
    const row = await db.candle.findFirst({ where: { venue, symbol: BTC, ts: new Date(JAN_2024 + 7 * HOUR) } });
    expect(row).toMatchObject({ open: 107, high: 108, low: 106, close: 107.5, volume: 17 });
    // Each page starts after the newest stored bar.
    const starts = server.requestsTo(venue, KLINES[venue]).map((r) => Number(r.query[venue === "bybit" ? "start" : "startTime"]));
    expect(starts.slice(0, 5).map((s) => Math.ceil((s - JAN_2024) / HOUR))).toEqual([0, 200, 400, 600, 800]);
  });

  it("resumes after being stopped: the second run starts after the newest stored bar, nothing twice, nothing missing", async () => {
    server.setCandles(venue, BTC, candles);
    const db = await freshDb();
    const first = await run(db, { maxPages: 2 });
    expect(first).toMatchObject({ outcome: "page-limit", stored: 400, pages: 2 });
    let stopAfterThird = 0;
    const second = await run(db, { shouldStop: () => stopAfterThird >= 1, onPage: () => { stopAfterThird += 1; } });
    expect(second).toMatchObject({ outcome: "interrupted", stored: 200 });
    const requestsBefore = server.requestsTo(venue, KLINES[venue]).length;
    const third = await run(db);
    expect(third).toMatchObject({ outcome: "caught-up", stored: 400 });
    // The third run asked from bar 600 on, not from the start.
    const firstOfThird = server.requestsTo(venue, KLINES[venue])[requestsBefore]?.query;
    expect(Math.ceil((Number(firstOfThird?.[venue === "bybit" ? "start" : "startTime"]) - JAN_2024) / HOUR)).toBe(600);
    expect(await storedCandleStamps(db, venue)).toEqual(candles.map((c) => c.ts));
  });
});

describe("faults while importing", () => {
  const candles = hourly(JAN_2024, 1000);
  const now = clockAt(JAN_2024 + 1000 * HOUR + 30 * 60_000);
  const run = (db: Db, extra: Partial<VenueImportOptions> = {}) =>
    importFromVenue({ db, source: adapter("binanceusdm", { now }), kind: "perp", symbol: BTC, sinceMs: JAN_2024, now, backoffMs: 5, ...extra });

  it("waits out a 429's Retry-After in the middle of an import, then goes on without a gap", async () => {
    server.setCandles("binanceusdm", BTC, candles);
    const db = await freshDb();
    const waits: { ms: number; reason: string }[] = [];
    const started = Date.now();
    const result = await run(db, {
      onPage: (p) => { if (p.pages === 2) server.rateLimitNext("binanceusdm", KLINES.binanceusdm, 1); },
      onWait: (ms, reason) => waits.push({ ms, reason }),
    });
    expect(result).toMatchObject({ outcome: "caught-up", stored: 1000 });
    expect(waits).toHaveLength(1);
    expect(waits[0]?.ms).toBeGreaterThan(900);
    expect(waits[0]?.reason).toContain("asked for a pause");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(await storedCandleStamps(db, "binanceusdm")).toEqual(candles.map((c) => c.ts));
  });

  it("retries network failures with growing backoff, and gives up resumably when they go on", async () => {
    server.setCandles("binanceusdm", BTC, candles);
    const db = await freshDb();
    const waits: number[] = [];
    server.failNext("binanceusdm", KLINES.binanceusdm, 2, { status: 503, body: "Service Unavailable" });
    const recovered = await run(db, { maxPages: 1, onWait: (ms) => waits.push(ms) });
    expect(recovered).toMatchObject({ outcome: "page-limit", stored: 200 });
    expect(waits).toEqual([5, 10]);

    server.failNext("binanceusdm", KLINES.binanceusdm, 10, { status: 502, body: "Bad Gateway" });
    const stopped = await run(db, { networkRetries: 3 }).then(() => null, (e: unknown) => e);
    expect(stopped).toBeInstanceOf(ImportStopped);
    expect((stopped as ImportStopped).resumable).toBe(true);
    expect((stopped as ImportStopped).message).toMatch(/failed 4 times in a row \(unavailable\).*run the same command again to resume/);
    expect(await db.candle.count()).toBe(200);
    server.reset();
    server.setCandles("binanceusdm", BTC, candles);
    await expect(run(db)).resolves.toMatchObject({ outcome: "caught-up", stored: 800 });
    expect(await storedCandleStamps(db, "binanceusdm")).toEqual(candles.map((c) => c.ts));
  });

  it("stops at a ban, saying until when and how to resume, without asking again", async () => {
    server.setCandles("binanceusdm", BTC, candles);
    const db = await freshDb();
    const until = Date.now() + 10 * 60_000;
    server.banNext("binanceusdm", KLINES.binanceusdm, { bannedUntil: until });
    const stopped = await run(db).then(() => null, (e: unknown) => e);
    expect(stopped).toBeInstanceOf(ImportStopped);
    expect((stopped as ImportStopped).message).toMatch(/Binance USD-M has banned this IP .*until .*Run the same command after that to resume; everything before 2024-01-01T00:00:00.000Z is stored/);
    expect((stopped as ImportStopped).resumable).toBe(true);
    expect(server.requestsTo("binanceusdm", KLINES.binanceusdm)).toHaveLength(1);
  });

  it("names the venue and the symbol when the venue does not list it, and does not retry", async () => {
    const db = await freshDb();
    const stopped = await importFromVenue({ db, source: adapter("binanceusdm", { now }), kind: "perp", symbol: "MNT/USDT:USDT", sinceMs: JAN_2024, now })
      .then(() => null, (e: unknown) => e);
    expect(stopped).toBeInstanceOf(ImportStopped);
    expect((stopped as ImportStopped).resumable).toBe(false);
    expect((stopped as ImportStopped).message).toMatch(/Cannot import perp history of MNT\/USDT:USDT from Binance USD-M: .*"MNT\/USDT:USDT"/);
  });

  it("needs --since for a first import and says so", async () => {
    const db = await freshDb();
    await expect(importFromVenue({ db, source: adapter("binanceusdm", { now }), kind: "perp", symbol: BTC, sinceMs: null, now }))
      .rejects.toThrow(/No perp history of BTC\/USDT:USDT on Binance USD-M is stored yet: say where to start with --since/);
  });
});

describe("importing funding history", () => {
  it.each(["bybit", "binanceusdm"] as const)("%s: real BTC prints, then only the new ones after the venue publishes more", async (venue) => {
    const now = clockAt(APR_2025 + HOUR);
    const loaded = await server.loadRealFunding(venue, BTC, FUNDING_CSV, JAN_2024, OCT_2024);
    const db = await freshDb();
    const source = adapter(venue, { now });
    const first = await importFromVenue({ db, source, kind: "funding", symbol: BTC, sinceMs: JAN_2024, now });
    expect(first).toMatchObject({ outcome: "caught-up", stored: loaded });
    const all = await server.loadRealFunding(venue, BTC, FUNDING_CSV, JAN_2024, APR_2025);
    const second = await importFromVenue({ db, source, kind: "funding", symbol: BTC, sinceMs: JAN_2024, now });
    expect(second).toMatchObject({ outcome: "caught-up", stored: all - loaded });
    const rows = await db.fundingPrint.findMany({ where: { venue, symbol: BTC }, orderBy: { ts: "asc" } });
    expect(rows).toHaveLength(all);
    expect(new Set(rows.map((r) => r.ts.getTime())).size).toBe(all);
    expect(rows.find((r) => r.ts.getTime() === 1_740_844_800_000)?.rate).toBe(-8.58e-6);
    expect(rows.at(-1)?.ts.getTime()).toBe(1_743_436_800_000);
    const third = await importFromVenue({ db, source, kind: "funding", symbol: BTC, sinceMs: JAN_2024, now });
    expect(third).toMatchObject({ outcome: "caught-up", stored: 0 });
  });

  // More prints than the adapter's 50 pages reach paging backwards from the newest (Bybit 200 a page,
  // OKX 100): asked at once, the older part would come back missing and resuming would skip it for good.
  it.each([["bybit", 10_500], ["okx", 5_200]] as const)("%s: a first import over more than 50 backward pages stores every print, oldest included", async (venue, count) => {
    const prints = Array.from({ length: count }, (_, i) => ({ ts: JAN_2024 + i * HOUR, rate: 0.0001 + i * 1e-9 }));
    server.setFundingHistory(venue, BTC, prints);
    const now = clockAt(JAN_2024 + count * HOUR + 30 * 60_000);
    const db = await freshDb();
    const result = await importFromVenue({ db, source: adapter(venue, { now }), kind: "funding", symbol: BTC, sinceMs: JAN_2024, now });
    expect(result).toMatchObject({ outcome: "caught-up", stored: count });
    const rows = await db.fundingPrint.findMany({ where: { venue, symbol: BTC }, orderBy: { ts: "asc" }, select: { ts: true } });
    expect(rows).toHaveLength(count);
    expect(rows[0]?.ts.getTime()).toBe(JAN_2024);
  }, 120_000);

  it("snaps a late settlement stamp onto its minute, so the settlement is stored once", async () => {
    const now = clockAt(JAN_2024 + 48 * HOUR);
    server.setFundingHistory("binanceusdm", BTC, [
      { ts: JAN_2024 + 7, rate: 0.0001 },
      { ts: JAN_2024 + 8 * HOUR + 3, rate: 0.0002 },
    ]);
    const db = await freshDb();
    await importFromVenue({ db, source: adapter("binanceusdm", { now }), kind: "funding", symbol: BTC, sinceMs: JAN_2024, now });
    const rows = await db.fundingPrint.findMany({ orderBy: { ts: "asc" } });
    expect(rows.map((r) => r.ts.getTime())).toEqual([JAN_2024, JAN_2024 + 8 * HOUR]);
  });
});

describe("importing spot candles and open interest", () => {
  it("pages the matching spot pair's candles into SpotCandle, keyed by the perp's symbol", async () => {
    const now = clockAt(JAN_2024 + 500 * HOUR + 10 * 60_000);
    const candles = hourly(JAN_2024, 500);
    server.setListing("binanceusdm", BTC, { spot: true });
    server.setSpotCandles("binanceusdm", BTC, candles);
    const db = await freshDb();
    const result = await importFromVenue({ db, source: adapter("binanceusdm", { now, inject: false }), kind: "spot", symbol: BTC, sinceMs: JAN_2024, now });
    expect(result).toMatchObject({ outcome: "caught-up", stored: 500 });
    const rows = await db.spotCandle.findMany({ where: { venue: "binanceusdm", symbol: BTC }, orderBy: { ts: "asc" } });
    expect(rows.map((r) => r.ts.getTime())).toEqual(candles.map((c) => c.ts));
    expect(await db.candle.count()).toBe(0);
    expect(server.requestsTo("binanceusdm", /\/api\/v3\/klines$/).length).toBeGreaterThanOrEqual(3);
  });

  it("says a venue without the spot pair has nothing to import instead of paging empty answers", async () => {
    const now = clockAt(JAN_2024 + 500 * HOUR);
    server.setListing("bybit", BTC, { spot: false });
    const db = await freshDb();
    const result = await importFromVenue({ db, source: adapter("bybit", { now, inject: false }), kind: "spot", symbol: BTC, sinceMs: JAN_2024, now });
    expect(result).toMatchObject({ outcome: "not-offered", pages: 0, stored: 0 });
    expect(server.requestsTo("bybit", /kline$/)).toHaveLength(0);
  });

  it("imports Binance's hourly open-interest history (its last 30 days) into OpenInterestPrint, once", async () => {
    // The stand-in keeps Binance's 30-day window against the real clock, so this test does too.
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    const now = Date.now;
    const history = Array.from({ length: 300 }, (_, i) => ({ ts: end - (300 - i) * HOUR, amount: 80_000 + i, value: (80_000 + i) * 95_000 }));
    server.setOpenInterest("binanceusdm", BTC, { amount: 80_300, value: 80_300 * 95_000 }, history);
    const db = await freshDb();
    const source = adapter("binanceusdm", { now, inject: false });
    const first = await importFromVenue({ db, source, kind: "oi", symbol: BTC, sinceMs: end - 60 * 24 * HOUR, now });
    expect(first).toMatchObject({ outcome: "caught-up", stored: 300 });
    const again = await importFromVenue({ db, source, kind: "oi", symbol: BTC, sinceMs: end - 60 * 24 * HOUR, now });
    expect(again.stored).toBe(0);
    const rows = await db.openInterestPrint.findMany({ orderBy: { ts: "asc" } });
    expect(rows).toHaveLength(300);
    expect(rows[0]).toMatchObject({ venue: "binanceusdm", symbol: BTC, amount: 80_000, value: 80_000 * 95_000 });
  });
});
