import { describe, expect, it } from "vitest";
import { recordMarket } from "../../src/app/record-market";
import { readVenueHealth } from "../../src/app/market-health";
import { pruneMarketHistory, pruneMarketHistoryIfDue } from "../../src/app/prune-market-history";
import { ExchangeError } from "../../src/exchange/errors";
import type { MarketDataSource } from "../../src/exchange/market-data";
import { MarketSimulator, type SimulatedListing } from "../../src/sim/market-simulator";
import { useRecordingApps, type RecordingApp } from "../support/test-env";

/**
 * What a poll stores beyond funding and the book (spot, open interest, book summaries, spot bars),
 * how missing optional data is named without failing the poll, and the retention rule, on the
 * built-in simulator and a real SQLite file. (The same recording against the ccxt adapter and the
 * exchange stand-in belongs with the stand-in's own tests.)
 */
const MNT = "MNT/USDT:USDT";
const START = Date.UTC(2026, 0, 5, 0, 7, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const newApp = useRecordingApps();

async function setup(venues: readonly string[], listings: Record<string, SimulatedListing> = {}, settings: Parameters<typeof newApp>[0] = {}) {
  const env = await newApp({ now: START, ...settings, settings: { symbols: [MNT], venues: [...venues], ...settings.settings } });
  const sim = new MarketSimulator({ seed: 3, start: START, startPrice: 0.6, episodeStartHours: 100, episodeHours: 10, venues, listings });
  const sources = venues.map((v) => sim.source(v, env.app.clock));
  return { ...env, sim, sources };
}

/** A source whose named methods answer with the given error instead; counts every call. */
function faulty(source: MarketDataSource, faults: Partial<Record<keyof MarketDataSource, () => Error>>): MarketDataSource & { calls: number } {
  const wrapped = { calls: 0, venue: source.venue } as MarketDataSource & { calls: number };
  for (const name of ["checkSymbol", "fetchFunding", "fetchFundingHistory", "fetchOrderBook", "fetchTicker", "fetchPerpCandles", "fetchSpotTicker", "fetchSpotCandles", "fetchOpenInterest", "fetchOpenInterestHistory", "close"] as const) {
    const fault = faults[name];
    (wrapped as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      wrapped.calls += 1;
      if (fault !== undefined) return Promise.reject(fault());
      return (source[name] as (...a: unknown[]) => Promise<unknown>).apply(source, args);
    };
  }
  return wrapped;
}

const texts = (env: RecordingApp): string[] => env.notices.flatMap((n) => (n.kind === "text" ? [n.text] : []));

describe("recording all four streams", () => {
  it("stores spot volume, open interest, a book summary and closed spot bars per venue; a venue without a spot pair is named, not failed", async () => {
    const env = await setup(["bybit", "okx"], { okx: { spot: false } });
    const outcome = await recordMarket(env.app, env.sources);
    expect(outcome.recorded).toBe(2);
    expect(outcome.failures).toEqual([]);

    const bybit = await env.app.db.marketSnapshot.findFirstOrThrow({ where: { venue: "bybit" } });
    expect(bybit.spotLastPrice).toBeCloseTo(env.sim.priceAt(START, "bybit") * (1 - 0.0003), 9);
    expect(bybit.spotBaseVolume24h).toBeGreaterThan(0);
    // The spot ticker's 24 h volume is the sum of the spot bars stored for the same day.
    const day = await env.app.db.spotCandle.findMany({ where: { venue: "bybit", ts: { gte: new Date(Math.floor(START / HOUR) * HOUR - DAY) } } });
    expect(day).toHaveLength(24);
    expect(bybit.spotBaseVolume24h).toBeCloseTo(day.reduce((s, c) => s + c.volume, 0), 3);
    expect(bybit.openInterest).toBeCloseTo(env.sim.openInterestAt(START, "bybit"), 3);
    expect(bybit.openInterestValue).toBeCloseTo((bybit.openInterest ?? 0) * env.sim.priceAt(START, "bybit"), 3);
    expect(await env.app.db.openInterestPrint.count({ where: { venue: "bybit", ts: new Date(START) } })).toBe(1);

    // Spot bars: the 8-day backfill from the first whole hour (8 days before 00:07 → 01:00), closed
    // bars only (the bar opened at 00:00 is still forming at 00:07).
    const spotBars = await env.app.db.spotCandle.findMany({ where: { venue: "bybit" }, orderBy: { ts: "asc" } });
    expect(spotBars).toHaveLength(8 * 24 - 1);
    expect(spotBars[0]?.ts.getTime()).toBe(Date.UTC(2025, 11, 28, 1));
    expect(spotBars.at(-1)?.ts.getTime()).toBe(Date.UTC(2026, 0, 4, 23));
    expect(await env.app.db.spotCandle.count({ where: { venue: "okx" } })).toBe(0);

    const summary = await env.app.db.bookSummary.findFirstOrThrow({ where: { venue: "bybit" } });
    expect(summary.ts.getTime()).toBe(bybit.ts.getTime());
    expect(summary.bestBid).toBe(bybit.bid);
    expect(summary.bestAsk).toBe(bybit.ask);
    expect(Object.keys(JSON.parse(summary.depthJson) as object)).toEqual(["10", "50", "100", "200"]);

    const okx = await env.app.db.marketSnapshot.findFirstOrThrow({ where: { venue: "okx" } });
    expect(okx.spotLastPrice).toBeNull();
    expect(okx.openInterest).not.toBeNull();
    expect(outcome.missing).toEqual([
      { venue: "okx", symbol: MNT, stream: "spot", reason: "no spot pair listed", structural: true },
      { venue: "okx", symbol: MNT, stream: "spotCandles", reason: "no spot pair listed", structural: true },
    ]);
    const health = await readVenueHealth(env.app, ["bybit", "okx"]);
    expect(health.get("okx")?.symbols[MNT]).toMatchObject({ status: "recorded", streams: { spot: { missing: "no spot pair listed" }, funding: { ts: START } } });
    const bybitStreams = health.get("bybit")?.symbols[MNT];
    expect(bybitStreams?.status === "recorded" ? Object.keys(bybitStreams.streams).sort() : []).toEqual(
      ["book", "funding", "openInterest", "perpCandles", "perpVolume", "spot", "spotCandles"],
    );

    // The next poll adds only what is new: no spot bar twice, one more book summary.
    env.setNow(START + HOUR);
    await recordMarket(env.app, env.sources);
    expect(await env.app.db.spotCandle.count({ where: { venue: "bybit" } })).toBe(8 * 24);
    expect(await env.app.db.bookSummary.count({ where: { venue: "bybit" } })).toBe(2);
  });

  it("optional data failing does not fail the poll: each missing stream is named with its reason", async () => {
    const env = await setup(["bybit", "okx"]);
    const bybit = faulty(env.sources[0] as MarketDataSource, {
      fetchSpotTicker: () => new ExchangeError("unavailable", "bybit", "Bybit is unavailable (HTTP 502)"),
      fetchOpenInterest: () => new ExchangeError("timeout", "bybit", "Bybit did not answer in time"),
      fetchSpotCandles: () => new ExchangeError("unavailable", "bybit", "Bybit is unavailable (HTTP 503)"),
    });
    const outcome = await recordMarket(env.app, [bybit, env.sources[1] as MarketDataSource]);
    expect(outcome.recorded).toBe(2);
    expect(outcome.failures).toEqual([]);
    expect(outcome.cooling).toEqual([]);
    expect(outcome.missing).toEqual([
      { venue: "bybit", symbol: MNT, stream: "spot", reason: "Bybit is unavailable (HTTP 502)", structural: false },
      { venue: "bybit", symbol: MNT, stream: "openInterest", reason: "Bybit did not answer in time", structural: false },
      { venue: "bybit", symbol: MNT, stream: "spotCandles", reason: "Bybit is unavailable (HTTP 503)", structural: false },
    ]);
    const snapshot = await env.app.db.marketSnapshot.findFirstOrThrow({ where: { venue: "bybit" } });
    expect([snapshot.fundingRate !== null, snapshot.spotLastPrice, snapshot.openInterest]).toEqual([true, null, null]);
    expect(await env.app.db.openInterestPrint.count({ where: { venue: "bybit" } })).toBe(0);
    expect(await env.app.db.bookSummary.count({ where: { venue: "bybit" } })).toBe(1);
    expect((await readVenueHealth(env.app, ["bybit"])).get("bybit")?.symbols[MNT]).toMatchObject({
      status: "recorded", streams: { spot: { missing: "Bybit is unavailable (HTTP 502)" }, openInterest: { missing: "Bybit did not answer in time" }, book: { ts: START } },
    });
  });

  it("a ban answered on an optional stream cools the venue down: no further request until it ends", async () => {
    const env = await setup(["bybit", "okx"]);
    const ban = () => new ExchangeError("banned", "bybit", "Bybit has banned this IP", { retryAfterMs: 30 * 60_000, bannedUntil: START + 30 * 60_000 });
    const bybit = faulty(env.sources[0] as MarketDataSource, { fetchPerpCandles: ban });
    const first = await recordMarket(env.app, [bybit, env.sources[1] as MarketDataSource]);
    expect(first.recorded).toBe(2); // what came before the ban is kept
    expect(first.cooling).toMatchObject([{ venue: "bybit", kind: "banned", until: START + 30 * 60_000 }]);
    expect(first.missing.filter((m) => m.venue === "bybit").map((m) => [m.stream, m.reason])).toEqual([
      ["perpCandles", "Bybit has banned this IP"], ["spotCandles", "not asked: the venue asked for a pause"],
    ]);
    const calls = bybit.calls;
    env.setNow(START + 15 * 60_000);
    const second = await recordMarket(env.app, [bybit, env.sources[1] as MarketDataSource]);
    expect(second.cooling.map((c) => c.venue)).toEqual(["bybit"]);
    expect(bybit.calls).toBe(calls);
    expect(texts(env)).toHaveLength(1);
  });

  it("skips a symbol a venue does not list, and says so once", async () => {
    const env = await setup(["bybit", "okx"], { okx: { symbols: ["BTC/USDT:USDT"] } });
    for (const t of [START, START + 15 * 60_000]) {
      env.setNow(t);
      const outcome = await recordMarket(env.app, env.sources);
      expect(outcome.recorded).toBe(1);
      expect(outcome.unlisted).toEqual([{ venue: "okx", symbol: MNT }]);
    }
    expect(await env.app.db.marketSnapshot.count({ where: { venue: "okx" } })).toBe(0);
    expect(await env.app.db.marketSnapshot.count({ where: { venue: "bybit" } })).toBe(2);
    expect(texts(env)).toEqual([`OKX does not list ${MNT}; it is skipped there and watched on the other venues.`]);
  });

  it("polls a pair whose listing check failed, and asks again next cycle", async () => {
    const env = await setup(["bybit"]);
    let down = true;
    let checks = 0;
    const bybit = env.sources[0] as MarketDataSource;
    const flaky = faulty(bybit, {});
    flaky.checkSymbol = (symbol) => {
      checks += 1;
      return down ? Promise.reject(new ExchangeError("timeout", "bybit", "no answer")) : bybit.checkSymbol(symbol);
    };
    expect((await recordMarket(env.app, [flaky])).recorded).toBe(1);
    down = false;
    for (const t of [START + 15 * 60_000, START + 30 * 60_000]) {
      env.setNow(t);
      expect((await recordMarket(env.app, [flaky])).recorded).toBe(1);
    }
    expect(checks).toBe(2); // failed, answered, then remembered
    expect(await env.app.db.marketSnapshot.count()).toBe(3);
  });
});

describe("retention", () => {
  it("deletes history older than retentionDays, drops full books older than bookRetentionDays, keeps summaries, funding prints and candles", async () => {
    const env = await setup(["bybit"], {}, { settings: { marketData: { bookDepth: 20, maxDataAgeMs: 30 * 60_000, retentionDays: 10, bookRetentionDays: 2 } } });
    await recordMarket(env.app, env.sources);
    env.setNow(START + 3 * DAY);
    await recordMarket(env.app, env.sources);
    const fundingPrints = await env.app.db.fundingPrint.count();
    const outcome = await pruneMarketHistory(env.app);
    const cutoff = START + 3 * DAY - 10 * DAY;
    expect(outcome).toMatchObject({ historyBefore: cutoff, bookBefore: START + DAY, booksDropped: 1 });
    // Hourly candles stay (imported years of them are what backtests replay): the perp backfill reached 31 days back.
    expect(await env.app.db.candle.count({ where: { ts: { lt: new Date(cutoff) } } })).toBeGreaterThan(0);
    const snapshots = await env.app.db.marketSnapshot.findMany({ orderBy: { ts: "asc" } });
    expect(snapshots.map((s) => s.bookJson === null)).toEqual([true, false]);
    expect(await env.app.db.bookSummary.count()).toBe(2);
    expect(await env.app.db.fundingPrint.count()).toBe(fundingPrints);
  });

  it("a later prune sweeps only books not swept yet, also after the book retention is shortened; unconfigured symbols are left alone", async () => {
    const marketData = { bookDepth: 20, maxDataAgeMs: 30 * 60_000, retentionDays: 10, bookRetentionDays: 5 };
    const env = await setup(["bybit"], {}, { settings: { marketData } });
    await recordMarket(env.app, env.sources);
    await env.app.db.marketSnapshot.create({ data: { venue: "bybit", symbol: "OLD/USDT:USDT", ts: new Date(START - 20 * DAY), bookJson: "{}" } });
    env.setNow(START + 3 * DAY);
    await recordMarket(env.app, env.sources);
    expect((await pruneMarketHistoryIfDue(env.app))?.booksDropped).toBe(0); // both books younger than 5 days
    // A book older than that run's sweep window (it was swept then) is not looked at again.
    await env.app.db.marketSnapshot.create({ data: { venue: "bybit", symbol: MNT, ts: new Date(START - 4 * DAY), bookJson: "{}" } });
    env.setNow(START + 3 * DAY + HOUR);
    const shorter = { ...env.app, settings: { ...env.app.settings, marketData: { ...marketData, bookRetentionDays: 2 } } };
    const outcome = await pruneMarketHistoryIfDue(shorter);
    expect(outcome?.booksDropped).toBe(1); // the START book, 3 days old
    const books = await env.app.db.marketSnapshot.findMany({ orderBy: { ts: "asc" }, select: { symbol: true, ts: true, bookJson: true } });
    expect(books.map((b) => [b.symbol, (b.ts.getTime() - START) / DAY, b.bookJson !== null])).toEqual([
      ["OLD/USDT:USDT", -20, true], [MNT, -4, true], [MNT, 0, false], [MNT, 3, true],
    ]);
  });

  it("runs from the poll at most once an hour", async () => {
    const env = await setup(["bybit"]);
    expect(await pruneMarketHistoryIfDue(env.app)).not.toBeNull();
    env.setNow(START + HOUR - 1);
    expect(await pruneMarketHistoryIfDue(env.app)).toBeNull();
    env.setNow(START + HOUR);
    expect(await pruneMarketHistoryIfDue(env.app)).not.toBeNull();
  });
});
