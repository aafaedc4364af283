import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app/context";
import { recordMarket } from "../../src/app/record-market";
import { createCcxtMarketData, type BulkTickerMode, type CcxtVenue } from "../../src/exchange/ccxt-market-data";
import { ExchangeError } from "../../src/exchange/errors";
import type { BulkTicker, MarketDataSource } from "../../src/exchange/market-data";
import { venueDescriptor } from "../../src/exchange/venues/registry";
import { BULK_TICKERS, ExchangeServer, type RequestMatch } from "../stand-ins/exchange-server";
import { useRecordingApps, type RecordingApp } from "../support/test-env";

/**
 * Issue 8 point 2, bulk endpoints: a venue's perp and spot 24 h tickers in one request each per
 * poll, through the REAL ccxt 4.5.84 clients (rate limiter on) against the exchange stand-in, which
 * answers each venue's bulk endpoints in its real format (Bybit /v5/market/tickers without a symbol,
 * Binance /fapi/v1/ticker/24hr without one and /api/v3/ticker/24hr?symbols=[…], OKX
 * /api/v5/market/tickers?instType=SWAP|SPOT, Bitget /api/v2/mix/market/tickers and
 * /api/v2/spot/market/tickers). What the poll stores must not depend on which path brought it.
 */

const VENUES: readonly CcxtVenue[] = ["bybit", "binanceusdm", "okx", "bitget"];
const SYMBOLS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"] as const;
const ETH = "ETH/USDT:USDT";
const NOW = Date.UTC(2026, 0, 5, 0, 7, 0);
const HOUR = 3_600_000;
const CONTRACT: Record<string, number> = { "BTC/USDT:USDT": 0.01, "ETH/USDT:USDT": 0.1, "SOL/USDT:USDT": 1 };

/** Each venue's single-symbol ticker requests (Bybit's perp one is also its funding request, so it is not counted here). */
const SINGLE: Record<CcxtVenue, { perp: RequestMatch | null; spot: RequestMatch }> = {
  bybit: { perp: null, spot: { path: /\/v5\/market\/tickers$/, query: (q) => q.get("category") === "spot" && q.get("symbol") !== null } },
  binanceusdm: { perp: { path: /\/fapi\/v1\/ticker\/24hr$/, query: (q) => q.get("symbol") !== null }, spot: { path: /\/api\/v3\/ticker\/24hr$/, query: (q) => q.get("symbol") !== null } },
  okx: { perp: { path: /\/api\/v5\/market\/ticker$/, query: (q) => q.get("instId")?.endsWith("-SWAP") === true }, spot: { path: /\/api\/v5\/market\/ticker$/, query: (q) => q.get("instId")?.endsWith("-SWAP") === false } },
  bitget: { perp: { path: /\/api\/v2\/mix\/market\/ticker$/ }, spot: { path: /\/api\/v2\/spot\/market\/tickers$/, query: (q) => q.get("symbol") !== null } },
};

const newApp = useRecordingApps();
let standInNow = NOW;
const server = new ExchangeServer({ now: () => standInNow });
const open: MarketDataSource[] = [];

beforeAll(() => Promise.all([server.start(), ...VENUES.map((venue) => venueDescriptor(venue).loadClass())]));
afterAll(() => server.stop());
beforeEach(() => {
  standInNow = NOW;
  server.reset();
  SYMBOLS.forEach((symbol, i) => {
    const price = [64_000, 3_400, 150][i] ?? 1;
    for (const venue of VENUES) {
      server.addMarket(venue, symbol, venue === "okx" ? { contractSize: CONTRACT[symbol] ?? 1 } : {});
      server.setCurrentFunding(venue, symbol, { rate: 0.0001 * (i + 1), nextFundingTs: NOW + HOUR, intervalHours: 8, markPrice: price, indexPrice: price * 0.9999 });
      server.setTicker(venue, symbol, { last: price, bid: price - 0.5, ask: price + 0.5, baseVolume24h: 1_000 * (i + 1), quoteVolume24h: 1_000 * (i + 1) * price });
      server.setSpotTicker(venue, symbol, { last: price * 0.9995, bid: price * 0.9994, ask: price * 0.9996, baseVolume24h: 400 * (i + 1), quoteVolume24h: 400 * (i + 1) * price });
      server.setBook(venue, symbol, { bids: [[price - 0.5, 2], [price - 1, 5]], asks: [[price + 0.5, 3], [price + 1, 4]] });
      server.setOpenInterest(venue, symbol, { amount: 5_000 * (i + 1), value: 5_000 * (i + 1) * price });
    }
  });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Listings loaded from the stand-in (perps and spot pairs), as in production. */
function sources(mode: BulkTickerMode, timeoutMs = 2_000): MarketDataSource[] {
  const made = VENUES.map((venue) => createCcxtMarketData({ venue, logger: pino({ level: "silent" }), hostOverride: server.url, timeoutMs, now: () => NOW, bulkTickers: mode }));
  open.push(...made);
  return made;
}

async function app(): Promise<RecordingApp> {
  return newApp({ now: NOW, settings: { symbols: [...SYMBOLS], venues: [...VENUES] } });
}

/** Every stored row of a poll, without row ids. */
async function stored(a: App) {
  const order = [{ venue: "asc" as const }, { symbol: "asc" as const }];
  const strip = <T extends { id: unknown }>(rows: T[]) => rows.map(({ id: _id, ...rest }) => rest);
  return {
    snapshots: strip(await a.db.marketSnapshot.findMany({ orderBy: order })),
    books: strip(await a.db.bookSummary.findMany({ orderBy: order })),
    openInterest: strip(await a.db.openInterestPrint.findMany({ orderBy: order })),
  };
}

const count = (venue: CcxtVenue, match: RequestMatch | null): number => (match === null ? 0 : server.requestsTo(venue, match).length);
const texts = (env: RecordingApp): string[] => env.notices.flatMap((n) => (n.kind === "text" ? [n.text] : []));

describe.each(VENUES)("%s bulk tickers in the adapter", (venue) => {
  it("are ccxt's: the class has fetchTickers, and the descriptor names the costs it compares", async () => {
    const Class = await venueDescriptor(venue).loadClass();
    expect(new Class().has["fetchTickers"]).toBe(true);
    expect(venueDescriptor(venue).bulkTickers).toBeDefined();
  });

  it("give per symbol exactly what the single requests give, stamps validated the same way", async () => {
    const source = sources("always").find((s) => s.venue === venue) as MarketDataSource;
    const perp = await source.fetchTickers?.(SYMBOLS);
    const spot = await source.fetchSpotTickers?.(SYMBOLS);
    for (const symbol of SYMBOLS) {
      expect(perp?.get(symbol), symbol).toEqual(await source.fetchTicker(symbol));
      expect(spot?.get(symbol), symbol).toEqual(await source.fetchSpotTicker(symbol));
    }
    const first = perp?.get(SYMBOLS[0]);
    expect(first instanceof ExchangeError ? first : first?.ts).toBe(NOW); // Bybit's too: its envelope's time, not our clock

    // The venue's clock 5 minutes ahead of ours: each symbol's ticker is refused, as the single request refuses it.
    standInNow = NOW + 5 * 60_000;
    const ahead = await source.fetchTickers?.(SYMBOLS);
    const single = await source.fetchTicker(SYMBOLS[1]).then(() => null, (e: unknown) => e);
    expect(single).toBeInstanceOf(ExchangeError);
    const refused: BulkTicker | undefined = ahead?.get(SYMBOLS[1]);
    expect(refused).toBeInstanceOf(ExchangeError);
    expect((refused as ExchangeError).message).toBe((single as ExchangeError).message);
    expect((refused as ExchangeError).message).toMatch(/300 s in the future/);
  });
});

describe("bulk 24 h tickers through real ccxt", () => {
  it("asks each venue once for its perp tickers and once for its spot tickers, and stores what the per-symbol path stores", async () => {
    const single = await app();
    const perSymbol = await recordMarket(single.app, sources("never"));
    expect(perSymbol).toMatchObject({ recorded: 12, failures: [], cooling: [] });
    const singleRequests = new Map(VENUES.map((v) => [v, server.requestsTo(v).length]));
    for (const venue of VENUES) {
      expect(count(venue, BULK_TICKERS[venue].perp), venue).toBe(0);
      expect(count(venue, BULK_TICKERS[venue].spot), venue).toBe(0);
    }

    server.requests.length = 0;
    const bulk = await app();
    const outcome = await recordMarket(bulk.app, sources("always"));
    expect(outcome).toMatchObject({ recorded: 12, failures: [], cooling: [], missing: perSymbol.missing });
    for (const venue of VENUES) {
      expect(count(venue, BULK_TICKERS[venue].perp), venue).toBe(1);
      expect(count(venue, BULK_TICKERS[venue].spot), venue).toBe(1);
      expect(count(venue, SINGLE[venue].perp), venue).toBe(0);
      expect(count(venue, SINGLE[venue].spot), venue).toBe(0);
      // Two requests in place of one perp and one spot ticker per symbol; everything else as before.
      expect(server.requestsTo(venue).length, venue).toBe((singleRequests.get(venue) ?? 0) - 2 * SYMBOLS.length + 2);
    }
    // What ccxt sends: Binance's spot request names its pairs, the perp one none; the others every market of the type.
    expect(server.requestsTo("binanceusdm", BULK_TICKERS.binanceusdm.spot)[0]?.query).toEqual({ symbols: JSON.stringify(["BTCUSDT", "ETHUSDT", "SOLUSDT"]) });
    expect(server.requestsTo("binanceusdm", BULK_TICKERS.binanceusdm.perp)[0]?.query).toEqual({});
    expect(server.requestsTo("bybit", BULK_TICKERS.bybit.perp)[0]?.query).toEqual({ category: "linear" });
    expect(server.requestsTo("okx", BULK_TICKERS.okx.spot)[0]?.query).toEqual({ instType: "SPOT" });
    expect(server.requestsTo("bitget", BULK_TICKERS.bitget.perp)[0]?.query).toEqual({ productType: "USDT-FUTURES" });

    const [a, b] = [await stored(single.app), await stored(bulk.app)];
    expect(b.snapshots).toHaveLength(12);
    expect(b).toEqual(a);
    // The volumes really came (OKX's perp volume in base units, not contracts; spot from the spot pair).
    const okxEth = b.snapshots.find((r) => r.venue === "okx" && r.symbol === ETH);
    expect([okxEth?.baseVolume24h, okxEth?.spotBaseVolume24h, okxEth?.lastPrice]).toEqual([2_000, 800, 3_400]);
  });

  it("by default asks in bulk only where it costs no more: Bybit, OKX and Bitget for 3 symbols, Binance (40 singles' weight) per symbol", async () => {
    const env = await app();
    await recordMarket(env.app, sources("when-cheaper"));
    for (const venue of VENUES) {
      const expected = venue === "binanceusdm" ? 0 : 1;
      expect([count(venue, BULK_TICKERS[venue].perp), count(venue, BULK_TICKERS[venue].spot)], venue).toEqual([expected, expected]);
    }
    expect(count("binanceusdm", SINGLE.binanceusdm.perp)).toBe(3);
    expect(count("binanceusdm", SINGLE.binanceusdm.spot)).toBe(3);
  });

  it("a symbol the bulk answer leaves out is asked singly, and recorded as the others", async () => {
    for (const venue of VENUES) server.leaveOutOfBulk(venue, ETH);
    const env = await app();
    const outcome = await recordMarket(env.app, sources("always"));
    expect(outcome).toMatchObject({ recorded: 12, failures: [] });
    for (const venue of VENUES) {
      const eth = (r: { query: Record<string, string> }): boolean => Object.values(r.query).some((v) => v.startsWith("ETH"));
      expect(count(venue, BULK_TICKERS[venue].perp), venue).toBe(1);
      expect(server.requestsTo(venue, SINGLE[venue].spot).filter(eth), venue).toHaveLength(1);
      if (SINGLE[venue].perp !== null) expect(server.requestsTo(venue, SINGLE[venue].perp ?? /$^/).filter(eth), venue).toHaveLength(1);
      const row = await env.app.db.marketSnapshot.findFirstOrThrow({ where: { venue, symbol: ETH } });
      expect([row.lastPrice, row.baseVolume24h, row.spotBaseVolume24h], venue).toEqual([3_400, 2_000, 800]);
    }
  });

  it("a ban or a requested pause on a bulk request cools the venue down once; nothing more is asked until it is over", async () => {
    const env = await app();
    const made = sources("always");
    await Promise.all(made.map((s) => s.checkSymbol(SYMBOLS[0]))); // markets loaded: the poll's requests are its own
    server.requests.length = 0;
    server.banNext("binanceusdm", BULK_TICKERS.binanceusdm.perp, { bannedUntil: NOW + 20 * 60_000 });
    server.banNext("bybit", BULK_TICKERS.bybit.spot);
    server.rateLimitNext("okx", BULK_TICKERS.okx.perp, 900);
    server.rateLimitNext("bitget", BULK_TICKERS.bitget.spot, 900);

    const outcome = await recordMarket(env.app, made);
    expect(outcome.recorded).toBe(0);
    expect(outcome.cooling.map((c) => [c.venue, c.kind]).sort()).toEqual([["binanceusdm", "banned"], ["bitget", "rate-limited"], ["bybit", "banned"], ["okx", "rate-limited"]]);
    expect(outcome.cooling.find((c) => c.venue === "binanceusdm")?.until).toBe(NOW + 20 * 60_000);
    for (const venue of VENUES) {
      // The perp and the spot bulk requests (under way together), and nothing after them.
      expect(server.requestsTo(venue).map((r) => r.path).sort(), venue).toEqual([BULK_TICKERS[venue].perp, BULK_TICKERS[venue].spot].map((m) => server.requestsTo(venue, m)[0]?.path).sort());
    }
    expect(await env.app.db.marketSnapshot.count()).toBe(0);
    // Told once per venue (bans and pauses of 15 min are worth a message).
    const told = texts(env);
    expect(told).toHaveLength(4);

    server.requests.length = 0;
    const again = await recordMarket(env.app, made);
    expect(again.cooling).toHaveLength(4);
    expect(server.requests).toHaveLength(0);
    expect(texts(env)).toHaveLength(4);
  });

  it("a bulk request that fails (5xx, timeout) is asked per symbol that cycle, and in bulk again the next", async () => {
    const env = await app();
    const made = sources("always", 600);
    for (const venue of VENUES) {
      server.failNext(venue, BULK_TICKERS[venue].perp, 1, { status: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>" });
      server.delayNext(venue, BULK_TICKERS[venue].spot, 1_500);
    }
    const outcome = await recordMarket(env.app, made);
    expect(outcome).toMatchObject({ recorded: 12, failures: [], cooling: [] });
    expect(outcome.missing.filter((m) => m.stream === "spot")).toEqual([]);
    for (const venue of VENUES) {
      expect(count(venue, SINGLE[venue].spot), venue).toBe(3);
      if (venue !== "bybit") expect(count(venue, SINGLE[venue].perp), venue).toBe(3);
      const row = await env.app.db.marketSnapshot.findFirstOrThrow({ where: { venue, symbol: ETH } });
      expect([row.baseVolume24h, row.spotBaseVolume24h], venue).toEqual([2_000, 800]);
    }

    server.requests.length = 0;
    env.setNow(NOW + 15 * 60_000);
    await recordMarket(env.app, made);
    for (const venue of VENUES) {
      expect([count(venue, BULK_TICKERS[venue].perp), count(venue, BULK_TICKERS[venue].spot)], venue).toEqual([1, 1]);
      expect(count(venue, SINGLE[venue].spot), venue).toBe(0);
    }
  });
});
