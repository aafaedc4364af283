import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { loadMarketView } from "../../src/app/market-view";
import { recordMarket } from "../../src/app/record-market";
import { DEFAULT_ENGINE_PARAMS, streamsFor } from "../../src/core/signals/engine";
import { createCcxtMarketData } from "../../src/exchange/ccxt-market-data";
import type { MarketDataSource } from "../../src/exchange/market-data";
import { ExchangeServer } from "../stand-ins/exchange-server";
import { loadSharedScenario } from "../stand-ins/shared-scenario";
import { useRecordingApps } from "../support/test-env";

/**
 * One poll of the real ccxt against a Binance USD-M stand-in serving two coins as ../shared/data
 * recorded them: BTC (perp and spot files) and SOL (a panel coin: perp only, so the venue has no
 * spot pair). The poll must store spot bars and volumes where they exist, name what is missing
 * where they do not, and the volume-divergence stream must be available live for BTC only.
 */
const HOUR = 3_600_000;
const AT = Date.UTC(2026, 3, 1, 0, 7);
const BTC = "BTC/USDT:USDT";
const SOL = "SOL/USDT:USDT";
const started = Date.now();
const clock = (): number => AT + (Date.now() - started);
const server = new ExchangeServer({ now: clock });
const newApp = useRecordingApps();
let source: MarketDataSource;

beforeAll(async () => {
  await server.start();
  source = createCcxtMarketData({ venue: "binanceusdm", logger: pino({ level: "silent" }), hostOverride: server.url, timeoutMs: 5_000, now: clock });
});
afterAll(async () => {
  await source.close();
  await server.stop();
});

describe("a poll of a venue serving ../shared/data", () => {
  it("records spot bars and volumes for BTC, names SOL's missing spot pair, and feeds volume divergence where spot exists", async () => {
    const btc = await loadSharedScenario(server, "binanceusdm", BTC, { at: AT });
    const sol = await loadSharedScenario(server, "binanceusdm", SOL, { at: AT });
    expect(btc.spotCandles).toBeGreaterThan(900);
    expect(sol.spotCandles).toBe(0);
    const env = await newApp({ now: AT, settings: { symbols: [BTC, SOL], venues: ["binanceusdm"] } });

    const outcome = await recordMarket(env.app, [source]);
    expect(outcome.recorded).toBe(2);
    expect(outcome.failures).toEqual([]);
    expect(outcome.missing.filter((m) => m.symbol === BTC && m.stream !== "openInterest")).toEqual([]);
    expect(outcome.missing.find((m) => m.symbol === SOL && m.stream === "spot")).toMatchObject({ structural: true });

    const snapshot = await env.app.db.marketSnapshot.findFirstOrThrow({ where: { symbol: BTC } });
    expect(snapshot.lastPrice).toBe(btc.lastClose);
    expect(snapshot.spotBaseVolume24h).toBeGreaterThan(0);
    expect((await env.app.db.marketSnapshot.findFirstOrThrow({ where: { symbol: SOL } })).spotBaseVolume24h).toBeNull();
    // Eight days of spot bars on first sight, every one closed before the poll.
    const spotBars = await env.app.db.spotCandle.findMany({ where: { symbol: BTC }, orderBy: { ts: "asc" } });
    expect(spotBars.length).toBeGreaterThanOrEqual(8 * 24 - 1);
    expect(spotBars.every((b) => b.ts.getTime() + HOUR <= AT)).toBe(true);
    expect(await env.app.db.spotCandle.count({ where: { symbol: SOL } })).toBe(0);
    expect(await env.app.db.fundingPrint.count({ where: { symbol: SOL } })).toBeGreaterThanOrEqual(20);
    expect(await env.app.db.bookSummary.count()).toBe(2);
    expect(await env.app.db.marketSnapshot.count()).toBe(2);

    // The perp backfill reaches a month back one venue page (200 bars) per poll: a first start
    // catches up over a few polls, after which the recent hours are there too.
    expect((await env.app.db.candle.findFirstOrThrow({ where: { symbol: BTC }, orderBy: { ts: "desc" } })).ts.getTime()).toBeLessThan(AT - 20 * 24 * HOUR);
    for (let poll = 0; poll < 4; poll += 1) await recordMarket(env.app, [source]);
    expect((await env.app.db.candle.findFirstOrThrow({ where: { symbol: BTC }, orderBy: { ts: "desc" } })).ts.getTime()).toBe(Math.floor(AT / HOUR) * HOUR - HOUR);

    const divergence = async (symbol: string) =>
      streamsFor(await loadMarketView(env.app, symbol, env.app.clock()), DEFAULT_ENGINE_PARAMS).find((s) => s.stream === "volume-divergence");
    expect((await divergence(BTC))?.available).toBe(true);
    expect((await divergence(SOL))?.available).toBe(false);
  }, 60_000);
});
