import { afterAll, describe, expect, it } from "vitest";
import { checkSymbols } from "../../src/app/check-symbols";
import { readVenueHealth } from "../../src/app/market-health";
import { PRUNE_KEY } from "../../src/app/prune-market-history";
import { ConfigError } from "../../src/config";
import { ExchangeError } from "../../src/exchange/errors";
import type { MarketDataSource } from "../../src/exchange/market-data";
import { QUEUE } from "../../src/queue/queues";
import { startRuntime } from "../../src/runtime";
import { MarketSimulator, type SimulatedListing } from "../../src/sim/market-simulator";
import { readIntents } from "../../src/store/outbox";
import { freshPrefix, newRedis, silentLogger, tempDatabase, testSettings, useRecordingApps } from "../support/test-env";

/** The symbol check at start: lacking on one venue → reported once and skipped there; lacking everywhere → the worker refuses to start. */
const MNT = "MNT/USDT:USDT";
const NOW = Date.UTC(2026, 0, 5, 6, 0, 0);
const VENUES = ["bybit", "okx", "binanceusdm"];
const newApp = useRecordingApps();
const redis = newRedis();
afterAll(async () => {
  await redis.quit();
});

const simulator = (listings: Record<string, SimulatedListing>) =>
  new MarketSimulator({ seed: 5, start: NOW, startPrice: 0.6, episodeStartHours: 100, episodeHours: 10, venues: VENUES, listings });

describe("checkSymbols", () => {
  it("reports a symbol one venue lacks once, and lists where each symbol trades", async () => {
    const env = await newApp({ now: NOW, settings: { venues: VENUES, symbols: [MNT, "BTC/USDT:USDT"] } });
    const sim = simulator({ okx: { symbols: ["BTC/USDT:USDT"] } });
    const sources = VENUES.map((v) => sim.source(v, env.app.clock));
    const first = await checkSymbols(env.app, sources);
    expect(Object.fromEntries(first.listedOn)).toEqual({ [MNT]: ["bybit", "binanceusdm"], "BTC/USDT:USDT": VENUES });
    expect(first.unchecked).toEqual([]);
    await checkSymbols(env.app, sources);
    expect(env.notices).toEqual([{ kind: "text", text: `OKX does not list ${MNT}; it is skipped there and watched on the other venues.` }]);
  });

  it("a symbol no venue lists is a configuration error naming the venues checked", async () => {
    const env = await newApp({ now: NOW, settings: { venues: VENUES, symbols: [MNT, "NOPE/USDT:USDT"] } });
    const sim = simulator(Object.fromEntries(VENUES.map((v) => [v, { symbols: [MNT] }])));
    const error = await checkSymbols(env.app, VENUES.map((v) => sim.source(v, env.app.clock))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "SYMBOLS: NOPE/USDT:USDT is not listed as a perpetual on any venue checked (bybit, okx, binanceusdm). Check the spelling (unified ccxt form, e.g. MNT/USDT:USDT) or remove it.",
    ]);
  });

  it("a venue that cannot be asked is no verdict: no error, the pair is left to the next cycle", async () => {
    const env = await newApp({ now: NOW, settings: { venues: ["bybit"], symbols: ["NOPE/USDT:USDT"] } });
    const sim = simulator({ bybit: { symbols: [MNT] } });
    const source = sim.source("bybit", env.app.clock);
    const down: MarketDataSource = Object.assign(Object.create(source) as MarketDataSource, {
      checkSymbol: () => Promise.reject(new ExchangeError("unavailable", "bybit", "Bybit is unavailable (HTTP 502)")),
    });
    const outcome = await checkSymbols(env.app, [down]);
    expect(outcome.unchecked.map((u) => [u.venue, u.symbol])).toEqual([["bybit", "NOPE/USDT:USDT"]]);
    expect(outcome.listedOn.get("NOPE/USDT:USDT")).toEqual([]);
    // Once it answers, the verdict comes.
    await expect(checkSymbols(env.app, [source])).rejects.toThrow(/NOPE\/USDT:USDT is not listed as a perpetual on any venue checked \(bybit\)/);
  });
});

describe("the worker start", () => {
  async function start(listings: Record<string, SimulatedListing>, symbols: readonly string[] = [MNT]) {
    const { db, cleanup } = await tempDatabase();
    const sim = simulator(listings);
    const clock = (): number => NOW;
    const settings = testSettings({ venues: VENUES, symbols });
    const options = {
      db, logger: silentLogger, settings, redis, queuePrefix: freshPrefix(), clock, transports: [], schedule: false,
      sources: VENUES.map((v) => sim.source(v, clock)), roles: ["worker"] as const,
    };
    return { db, cleanup, options };
  }

  it("refuses to start when a symbol is listed nowhere, with the message naming the venues", async () => {
    const { cleanup, options } = await start(Object.fromEntries(VENUES.map((v) => [v, { symbols: ["BTC/USDT:USDT"] }])));
    try {
      await expect(startRuntime(options)).rejects.toThrow(/MNT\/USDT:USDT is not listed as a perpetual on any venue checked \(bybit, okx, binanceusdm\)/);
    } finally {
      await cleanup();
    }
  });

  it("starts with a symbol one venue lacks; the poll job (real BullMQ) skips it there and records the rest", async () => {
    const { db, cleanup, options } = await start({ okx: { symbols: ["BTC/USDT:USDT"] }, binanceusdm: { spot: false } });
    const runtime = await startRuntime(options);
    try {
      await runtime.queues[QUEUE.poll].add("poll", { reason: "test" }, { jobId: "poll-1" });
      const deadline = Date.now() + 20_000;
      while ((await db.setting.count({ where: { key: PRUNE_KEY } })) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect((await db.marketSnapshot.findMany({ select: { venue: true } })).map((s) => s.venue).sort()).toEqual(["binanceusdm", "bybit"]);
      expect(await db.bookSummary.count()).toBe(2);
      expect(await db.openInterestPrint.count()).toBe(2);
      const health = await readVenueHealth(runtime.app, VENUES);
      expect(health.get("okx")?.symbols[MNT]).toEqual({ status: "unlisted" });
      expect(health.get("binanceusdm")?.symbols[MNT]).toMatchObject({ streams: { spot: { missing: "no spot pair listed" } } });
      const texts = (await db.intent.findMany()).map((i) => i.id);
      const stored = await readIntents(db, texts);
      expect(stored.flatMap((s) => (s.intent.kind === "text" ? [s.intent.text] : []))).toEqual([`OKX does not list ${MNT}; it is skipped there and watched on the other venues.`]);
    } finally {
      await runtime.stop();
      await cleanup();
    }
  });
});
