import { describe, expect, it } from "vitest";
import { loadMarketView, loadMarketViews } from "../../src/app/market-view";
import { recordMarket } from "../../src/app/record-market";
import { DEFAULT_ENGINE_PARAMS, streamsFor } from "../../src/core/signals/engine";
import { volumeDivergence } from "../../src/core/signals/volume-divergence";
import { MarketSimulator } from "../../src/sim/market-simulator";
import { seedSnapshot } from "../support/fixtures";
import { useRecordingApps } from "../support/test-env";

/** The live market view reads spot bars, honours MAX_DATA_AGE_MINUTES and never reads at or after `now`. */
const MNT = "MNT/USDT:USDT";
const HOUR = 3_600_000;
const MIN = 60_000;
const T = Date.UTC(2026, 0, 5, 12, 0, 0);
const newApp = useRecordingApps();

const bar = (venue: string, ts: number, volume = 10) => ({ venue, symbol: MNT, ts: new Date(ts), open: 1, high: 1, low: 1, close: 1, volume });

describe("spot bars in the market view", () => {
  it("reads closed spot bars only: the bar that closes exactly at now is in, the one still forming (or stamped later) is not", async () => {
    const env = await newApp({ now: T });
    await seedSnapshot(env.app, { price: 1, ts: T - 5 * MIN });
    await env.app.db.spotCandle.createMany({ data: [bar("bybit", T - 2 * HOUR), bar("bybit", T - HOUR), bar("bybit", T), bar("bybit", T + HOUR), bar("okx", T - 2 * HOUR)] });
    const view = await loadMarketView(env.app, MNT, T);
    expect(view.venues[0]?.spotCandles.map((c) => c.ts)).toEqual([T - 2 * HOUR, T - HOUR]);
    // One millisecond earlier the T - 1 h bar has not closed yet.
    const earlier = await loadMarketView(env.app, MNT, T - 1);
    expect(earlier.venues[0]?.spotCandles.map((c) => c.ts)).toEqual([T - 2 * HOUR]);
  });

  it("makes volume divergence available live per venue from recorded polls, and it sees a perp-led run", async () => {
    // The simulated crowded-long episode began 6 h before the decision: spot's share of volume fell.
    const venues = ["bybit", "okx"];
    const env = await newApp({ now: T, settings: { venues } });
    const sim = new MarketSimulator({ seed: 11, start: T, startPrice: 0.6, episodeStartHours: -6, episodeHours: 10, venues, listings: { okx: { spot: false } } });
    await recordMarket(env.app, venues.map((v) => sim.source(v, env.app.clock)));
    const view = await loadMarketView(env.app, MNT, T + MIN);
    const bybit = view.venues.find((v) => v.venue === "bybit");
    expect(bybit?.spotCandles.length).toBeGreaterThanOrEqual(7 * 24 + 4);
    const stream = bybit === undefined ? null : volumeDivergence(bybit, T + MIN);
    expect(stream?.available).toBe(true);
    expect(stream?.numbers.z).toBeGreaterThan(2);
    // The engine runs it on the live view: available where the venue has a spot pair, nowhere else.
    const available = streamsFor(view, DEFAULT_ENGINE_PARAMS).filter((s) => s.stream === "volume-divergence" && s.available).map((s) => s.venue);
    expect(available).toEqual(["bybit"]);
  });
});

describe("freshness and lookahead", () => {
  it("uses MAX_DATA_AGE_MINUTES, not the poll interval, to decide what is too old", async () => {
    const young = await newApp({ now: T, settings: { pollIntervalMinutes: 60, marketData: { bookDepth: 20, maxDataAgeMs: 10 * MIN, retentionDays: 730, bookRetentionDays: 3 } } });
    await seedSnapshot(young.app, { price: 1, ts: T - 20 * MIN });
    expect((await loadMarketView(young.app, MNT, T)).venues).toEqual([]);
    await seedSnapshot(young.app, { price: 1, ts: T - 10 * MIN });
    expect((await loadMarketView(young.app, MNT, T)).venues.map((v) => v.venue)).toEqual(["bybit"]);
  });

  it("never reads a funding print stamped after now, even one whose late stamp would snap to a settlement before it", async () => {
    const now = T + 500; // half a second after the settlement at T
    const env = await newApp({ now });
    await seedSnapshot(env.app, { price: 1, ts: now });
    // Stamped 700 ms after the minute: 200 ms in the future, yet it snaps to T, before the snapshot.
    await env.app.db.fundingPrint.create({ data: { venue: "bybit", symbol: MNT, ts: new Date(T + 700), rate: 0.003 } });
    await env.app.db.fundingPrint.create({ data: { venue: "bybit", symbol: MNT, ts: new Date(T - 8 * HOUR + 3), rate: 0.0001 } });
    // Both readers: the database one (a single symbol) and the signals cycle's market memory (which
    // answers from memory once the pair has a book before the latest snapshot; rate-less, so the
    // history is unchanged).
    await env.app.db.marketSnapshot.create({ data: { venue: "bybit", symbol: MNT, ts: new Date(now - 15 * MIN), markPrice: 1, lastPrice: 1, bookJson: JSON.stringify({ bids: [[0.99, 5]], asks: [[1.01, 5]] }) } });
    const [memoryView] = await loadMarketViews(env.app, [MNT], now);
    for (const view of [await loadMarketView(env.app, MNT, now), memoryView]) {
      expect(view?.venues[0]?.funding?.history.map((h) => [h.ts, h.rate])).toEqual([[T - 8 * HOUR, 0.0001]]);
    }
    // A moment later it has happened and is read, as the settlement at T.
    env.setNow(T + 800);
    const [memoryLater] = await loadMarketViews(env.app, [MNT], T + 800);
    for (const later of [await loadMarketView(env.app, MNT, T + 800), memoryLater]) {
      expect(later?.venues[0]?.funding?.history.map((h) => h.ts)).toEqual([T - 8 * HOUR, T]);
    }
  });
});
