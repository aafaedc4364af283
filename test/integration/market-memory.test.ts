import { describe, expect, it } from "vitest";
import { loadMarketViews, loadMarketViewsFromDatabase } from "../../src/app/market-view";
import { seededRandom } from "../../src/core/random";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, fundingAnomaly } from "../../src/core/signals/funding-anomaly";
import type { SymbolMarketView } from "../../src/core/signals/types";
import { useRecordingApps } from "../support/test-env";

/**
 * The signals cycle reads its views from the process's market memory (src/app/market-memory.ts),
 * brought up to date by id before each cycle. Whatever the data and whenever it was written, the
 * views must be exactly the ones the database gives query by query: every field, every candle,
 * every funding reading, the previous book. Built on random data with the awkward cases the poll
 * and the imports produce: late (…001 ms) and doubled settlement stamps, snapshots without a rate
 * or a book, unreadable books, bars off the hour and with gaps, rows written after the memory
 * loaded with old stamps (a backfill), decision times in the past and far in the past.
 */
const HOUR = 3_600_000;
const MIN = 60_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);
const SYMBOLS = ["AAA/USDT:USDT", "BBB/USDT:USDT"];
const VENUES = ["bybit", "okx", "binanceusdm"];
const newApp = useRecordingApps();

type Db = Awaited<ReturnType<typeof newApp>>["app"]["db"];

/**
 * Market rows for [from, to): prints each 8 h (some late or doubled), hourly bars, snapshots every
 * 15 min from `denseFrom` on and every 2 h before it (enough for views in the past, and quick to write).
 */
async function write(db: Db, random: () => number, from: number, to: number, denseFrom = from): Promise<void> {
  const snapshots = [];
  const prints = [];
  const perp = [];
  const spot = [];
  for (const symbol of SYMBOLS) {
    for (const venue of VENUES) {
      for (let t = Math.ceil(from / (15 * MIN)) * 15 * MIN; t < to; t += t < denseFrom ? 2 * HOUR : 15 * MIN) {
        if (random() < 0.05) continue; // a missed poll
        const ts = t + Math.floor(random() * 40_000);
        const book = random() < 0.1 ? "{not json" : JSON.stringify({ bids: [[100 - random(), 1 + random()]], asks: [[100 + random(), 1 + random()]] });
        snapshots.push({
          venue, symbol, ts: new Date(ts), fundingRate: random() < 0.1 ? null : (random() - 0.5) * 0.001, fundingIntervalHours: 8,
          markPrice: random() < 0.1 ? null : 100 + random(), lastPrice: 100 + random(), baseVolume24h: random() < 0.1 ? null : 1000 * random(),
          bookJson: random() < 0.3 ? null : book,
        });
      }
      for (let t = Math.ceil(from / (8 * HOUR)) * 8 * HOUR; t < to; t += 8 * HOUR) {
        const late = random() < 0.3 ? 1 + Math.floor(random() * 11) : 0;
        prints.push({ venue, symbol, ts: new Date(t + late), rate: (random() - 0.5) * 0.001 });
        if (late > 0 && random() < 0.3) prints.push({ venue, symbol, ts: new Date(t), rate: 0.0002 }); // the same settlement stored twice
      }
      for (let t = Math.ceil(from / HOUR) * HOUR; t < to; t += HOUR) {
        if (random() < 0.03) continue; // a hole
        const off = random() < 0.02 ? 1_000 : 0; // a bar not on the hour
        const bar = { venue, symbol, ts: new Date(t + off), open: 100, high: 101 + random(), low: 99 - random(), close: 100 + random() - 0.5, volume: 10 * random() };
        perp.push(bar);
        if (venue !== "okx") spot.push({ ...bar, volume: 5 * random() });
      }
    }
  }
  // Shuffled, so ids do not follow stamps (as with imports and backfills).
  const shuffle = <T,>(rows: T[]): T[] => rows.map((r) => [random(), r] as const).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
  await db.marketSnapshot.createMany({ data: shuffle(snapshots) });
  await db.fundingPrint.createMany({ data: shuffle(prints) });
  await db.candle.createMany({ data: shuffle(perp) });
  await db.spotCandle.createMany({ data: shuffle(spot) });
}

async function expectSameViews(app: Awaited<ReturnType<typeof newApp>>["app"], now: number): Promise<void> {
  const fromMemory = await loadMarketViews(app, SYMBOLS, now);
  const fromDatabase = await loadMarketViewsFromDatabase(app, SYMBOLS, now);
  expect(fromMemory).toEqual(fromDatabase);
  // Views cut to the funding stream's rule (as the signals cycle asks for them) score the same.
  const cut = await loadMarketViews(app, SYMBOLS, now, { fundingRule: DEFAULT_FUNDING_ANOMALY_PARAMS });
  const score = (views: readonly SymbolMarketView[]) => views.map((v) => v.venues.map((x) => (x.funding === null ? null : fundingAnomaly(x.venue, x.funding))));
  expect(score(cut)).toEqual(score(fromDatabase));
}

describe("the market memory gives the database's views", () => {
  it("on random history, at many decision times, as rows keep arriving (some with old stamps)", async () => {
    const random = seededRandom(20261202);
    const env = await newApp({ now: T0 + 40 * DAY, settings: { symbols: SYMBOLS, venues: VENUES, tradingVenue: "bybit" } });
    const { app } = env;
    // A day is missing 10 days back (inside what the memory holds); it is backfilled piece by piece below.
    const gap = T0 + 30 * DAY;
    await write(app.db, random, T0, gap, T0 + 31 * DAY);
    await write(app.db, random, gap + DAY, T0 + 40 * DAY, T0 + 31 * DAY);
    let now = T0 + 40 * DAY - 7 * MIN;
    await expectSameViews(app, now); // the first load

    let fresh = 0;
    for (let step = 0; step < 12; step++) {
      // The next polls arrive, plus a backfill of old bars, prints and snapshots written after them.
      await write(app.db, random, now, now + 45 * MIN);
      await write(app.db, random, gap + step * 2 * HOUR, gap + (step + 1) * 2 * HOUR);
      now += 45 * MIN + Math.floor(random() * 10 * MIN);
      await expectSameViews(app, now);
      // Moments that sit on the edges: just before a settlement, at it, a stamp's width after it.
      const settlement = Math.floor(now / (8 * HOUR)) * 8 * HOUR;
      for (const at of [settlement - 1, settlement, settlement + 5, settlement + 12]) if (at <= now) await expectSameViews(app, at);
      fresh += (await loadMarketViews(app, SYMBOLS, now)).reduce((sum, v) => sum + v.venues.length, 0);
    }
    // The comparison meant something: most venue views were there, with their history.
    expect(fresh).toBeGreaterThan(12 * SYMBOLS.length * VENUES.length * 0.8);
    // The backfilled day is in the views: bars from it in the trading venue's month of perp bars.
    const backfilled = (await loadMarketViews(app, SYMBOLS, now))[0]?.venues.find((v) => v.venue === "bybit")?.perpCandles.filter((c) => c.ts >= gap && c.ts < gap + DAY);
    expect(backfilled?.length).toBeGreaterThan(20);
    const sample = (await loadMarketViews(app, SYMBOLS, now))[0]?.venues[0];
    expect(sample?.funding?.history.length).toBeGreaterThan(500);
    expect(sample?.perpCandles.length).toBeGreaterThan(24 * 30);
  }, 180_000);

  it("in the past — just before the newest rows, and beyond what it holds — by answering or asking the database", async () => {
    const random = seededRandom(7);
    const env = await newApp({ now: T0 + 50 * DAY, settings: { symbols: SYMBOLS, venues: VENUES, tradingVenue: "okx" } });
    await write(env.app.db, random, T0, T0 + 50 * DAY, T0 + 40 * DAY);
    const now = T0 + 50 * DAY - 3 * MIN;
    await expectSameViews(env.app, now);
    for (const back of [1, 17 * MIN, 2 * HOUR, 5 * HOUR, 3 * DAY, 9 * DAY, 30 * DAY]) await expectSameViews(env.app, now - back);
    // And forward again after a long time, when it lets old rows go.
    await write(env.app.db, random, T0 + 50 * DAY, T0 + 53 * DAY);
    await expectSameViews(env.app, T0 + 53 * DAY - MIN);
  }, 180_000);

  it("sees a venue's only fresh snapshot written after the memory loaded, and drops a venue gone stale", async () => {
    const env = await newApp({ now: T0 + 10 * DAY, settings: { symbols: SYMBOLS, venues: VENUES, tradingVenue: "bybit" } });
    const { app } = env;
    await write(app.db, seededRandom(3), T0, T0 + 10 * DAY, T0 + 2 * DAY);
    await expectSameViews(app, T0 + 10 * DAY);
    const later = T0 + 10 * DAY + 3 * HOUR; // every venue stale now
    expect((await loadMarketViews(app, SYMBOLS, later)).every((v) => v.venues.length === 0)).toBe(true);
    await app.db.marketSnapshot.create({ data: { venue: "okx", symbol: SYMBOLS[1] ?? "", ts: new Date(later - MIN), fundingRate: 0.0003, fundingIntervalHours: 4, markPrice: 101, lastPrice: 101, bookJson: null } });
    const views = await loadMarketViews(app, SYMBOLS, later);
    expect(views.map((v) => v.venues.map((x) => x.venue))).toEqual([[], ["okx"]]);
    expect(views[1]?.venues[0]?.funding?.current).toEqual({ ts: later - MIN, rate: 0.0003 });
    await expectSameViews(app, later);
  }, 60_000);

  it("cuts a thin funding window (fewer readings than the rule needs) to the rule's last readings, as the stream would", async () => {
    const env = await newApp({ now: T0 + 6 * DAY, settings: { symbols: SYMBOLS, venues: ["okx"], tradingVenue: "okx" } });
    const { db } = env.app;
    const symbol = SYMBOLS[0] ?? "";
    // A snapshot every 12 h and a print every 8 h: 2 + 3 readings a day, fewer than the 6 the rule needs.
    for (let t = T0; t <= T0 + 6 * DAY; t += 12 * HOUR) {
      await db.marketSnapshot.create({ data: { venue: "okx", symbol, ts: new Date(t), fundingRate: 0.0001 * ((t / HOUR) % 7), fundingIntervalHours: 8, markPrice: 100, lastPrice: 100 } });
    }
    for (let t = T0; t < T0 + 6 * DAY; t += 8 * HOUR) await db.fundingPrint.create({ data: { venue: "okx", symbol, ts: new Date(t + 3), rate: 0.00005 * ((t / HOUR) % 5) } });
    const now = T0 + 6 * DAY + MIN;
    const cut = await loadMarketViews(env.app, [symbol], now, { fundingRule: DEFAULT_FUNDING_ANOMALY_PARAMS });
    const full = await loadMarketViewsFromDatabase(env.app, [symbol], now);
    const funding = (views: readonly SymbolMarketView[]) => views[0]?.venues[0]?.funding ?? null;
    expect(funding(cut)?.history.length).toBe(DEFAULT_FUNDING_ANOMALY_PARAMS.minSamples);
    expect(funding(full)?.history.length).toBeGreaterThan(20);
    const cutFunding = funding(cut);
    const fullFunding = funding(full);
    expect(cutFunding === null ? null : fundingAnomaly("okx", cutFunding)).toEqual(fullFunding === null ? null : fundingAnomaly("okx", fullFunding));
  }, 60_000);
});
