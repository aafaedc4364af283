import ccxt from "ccxt";
import { describe, expect, it } from "vitest";
import { venueName } from "../../src/exchange/ccxt-errors";
import { perpMarketFor } from "../../src/exchange/ccxt-market-data";
import { APR_2025, BTC, FUNDING_CSV, JAN_2024, OCT_2024, OKX_CONTRACT, PATHS, VENUES, failure, useMarketDataStandIn } from "../support/ccxt-market-data-setup";

/**
 * The real ccxt 4.5.84 client against the local exchange stand-in, in each venue's wire format.
 * The adapter does not retry: these tests pin how each failure is classified for the caller.
 * Rate limits, the error mapping, refused timestamps and secrets are in ccxt-market-data-errors.test.ts.
 */

const { server, adapter } = useMarketDataStandIn();

describe.each(VENUES)("%s through real ccxt", (venue) => {
  const paths = PATHS[venue];

  it("loads markets from the venue's listing once, then reads current funding with the venue's interval", async () => {
    server.setCurrentFunding(venue, BTC, { rate: -0.00042, nextFundingTs: 1_767_240_000_000, intervalHours: 4, markPrice: 94_321.5, indexPrice: 94_300.25 });
    const source = adapter(venue, { inject: false });
    const first = await source.fetchFunding(BTC);
    const second = await source.fetchFunding(BTC);
    expect(first).toMatchObject({ venue, symbol: BTC, rate: -0.00042, nextFundingTs: 1_767_240_000_000, intervalHours: 4 });
    expect(second.rate).toBe(-0.00042);
    if (venue === "okx" || venue === "bitget") {
      expect(first.markPrice).toBeNull(); // OKX's funding-rate and Bitget's current-fund-rate carry no prices
    } else {
      expect(first).toMatchObject({ markPrice: 94_321.5, indexPrice: 94_300.25 });
    }
    // Bybit's listing is spot + linear (trading and pre-launch), OKX's SPOT + SWAP, Binance's
    // fapi exchangeInfo (spot's is /api/v3), Bitget's one per mix product type; one load either way.
    expect(server.requestsTo(venue, paths.listing)).toHaveLength({ bybit: 3, binanceusdm: 1, okx: 2, bitget: 6 }[venue]);
    expect(server.requestsTo(venue, paths.funding)).toHaveLength(2);
    if (venue === "binanceusdm") expect(server.requestsTo(venue, /\/fapi\/v1\/fundingInfo$/)).toHaveLength(1); // cached for the hour
  });

  it("bounds funding history by untilMs: exactly the prints in [since, until), whichever way the venue pages", async () => {
    const loaded = await server.loadRealFunding(venue, BTC, FUNDING_CSV, OCT_2024, APR_2025);
    expect(loaded).toBe(546);
    const since = OCT_2024 + 10 * 8 * 3_600_000;
    const until = since + 30 * 8 * 3_600_000;
    const prints = await adapter(venue).fetchFundingHistory(BTC, since, until);
    expect(prints.map((p) => p.ts)).toEqual(Array.from({ length: 30 }, (_, i) => since + i * 8 * 3_600_000));
  });

  it("returns funding history from the real Binance BTC file, paged the venue's way, oldest first", async () => {
    // OKX pages 100 prints at ccxt's pace (~0.2 s a page): a shorter span keeps the test fast.
    const from = venue === "okx" ? OCT_2024 : JAN_2024;
    const loaded = await server.loadRealFunding(venue, BTC, FUNDING_CSV, from, APR_2025);
    expect(loaded).toBe(venue === "okx" ? 546 : 1368);
    const prints = await adapter(venue).fetchFundingHistory(BTC, from);
    expect(prints).toHaveLength(loaded);
    if (venue === "okx") {
      expect(prints[0]).toEqual({ venue, symbol: BTC, ts: 1_727_740_800_000, rate: 0.0001 });
    } else {
      expect(prints[0]).toEqual({ venue, symbol: BTC, ts: 1_704_067_200_000, rate: 0.00037409 });
      expect(prints[1]).toEqual({ venue, symbol: BTC, ts: 1_704_096_000_000, rate: 0.00027213 });
    }
    expect(prints.find((p) => p.ts === 1_740_844_800_000)?.rate).toBe(-8.58e-6);
    expect(prints.find((p) => p.ts === 1_740_873_600_000)?.rate).toBe(-1.094e-5);
    expect(prints.at(-1)).toEqual({ venue, symbol: BTC, ts: 1_743_436_800_000, rate: 1.845e-5 });
    expect(prints.every((p, i) => i === 0 || p.ts - (prints[i - 1]?.ts ?? 0) === 8 * 3_600_000)).toBe(true);
    const pages = server.requestsTo(venue, paths.history);
    expect(pages).toHaveLength({ bybit: 7, binanceusdm: 2, okx: 6, bitget: 14 }[venue]);
    if (venue === "binanceusdm") expect(pages[1]?.query).toMatchObject({ symbol: "BTCUSDT", startTime: "1732838400001", limit: "1000" });
    if (venue === "bybit") expect(pages[1]?.query).toMatchObject({ category: "linear", startTime: String(JAN_2024), endTime: "1737705599999", limit: "200" });
    if (venue === "okx") expect(pages[1]?.query).toMatchObject({ instId: "BTC-USDT-SWAP", before: String(OCT_2024 - 1), after: "1740585600000", limit: "100" });
    if (venue === "bitget") expect(pages[1]?.query).toEqual({ symbol: "BTCUSDT", productType: "USDT-FUTURES", pageSize: "100", pageNo: "2" });
  });

  it("honours sinceMs: only prints at or after it", async () => {
    await server.loadRealFunding(venue, BTC, FUNDING_CSV, OCT_2024, APR_2025);
    const prints = await adapter(venue).fetchFundingHistory(BTC, 1_740_844_800_000);
    expect(prints).toHaveLength(91);
    expect(prints[0]).toMatchObject({ ts: 1_740_844_800_000, rate: -8.58e-6 });
  });

  it("reads order book levels in base units, best first, cut to the asked depth", async () => {
    const bids = Array.from({ length: 30 }, (_, i) => [64_000 - i * 0.5, 0.25 + i] as const);
    const asks = Array.from({ length: 30 }, (_, i) => [64_000.5 + i * 0.5, 1.5 + i] as const);
    server.setBook(venue, BTC, { bids, asks });
    const book = await adapter(venue).fetchOrderBook(BTC, 7);
    expect(book.bids).toEqual(bids.slice(0, 7).map(([p, s]) => [p, s]));
    expect(book.asks[0]).toEqual([64_000.5, 1.5]);
    expect(book.asks).toHaveLength(7);
    // Binance and Bitget only accept fixed depths (5, 10, 20 … / 1, 5, 15, 50): 7 must become 10 / 15, not be rejected.
    const sent = server.requestsTo(venue, paths.book)[0]?.query;
    expect(sent).toMatchObject({ binanceusdm: { limit: "10" }, bybit: { limit: "7" }, okx: { sz: "7" }, bitget: { limit: "15" } }[venue]);
    expect(server.requestsTo(venue, paths.listing)).toHaveLength(0); // injected markets: no listing request
  });

  it("reads 24 h volumes and prices from the ticker", async () => {
    server.setTicker(venue, BTC, { last: 64_010.1, bid: 64_010, ask: 64_010.2, baseVolume24h: 182_345.678, quoteVolume24h: 11_672_345_678.9 });
    const ticker = await adapter(venue).fetchTicker(BTC);
    expect(ticker).toMatchObject({ venue, symbol: BTC, last: 64_010.1, baseVolume24h: 182_345.678 });
    // Binance's fapi 24 h ticker has no book prices; OKX's swap ticker has no quote volume.
    expect(ticker.bid).toBe(venue === "binanceusdm" ? null : 64_010);
    expect(ticker.quoteVolume24h).toBe(venue === "okx" ? null : 11_672_345_678.9);
  });

  it("says a symbol the venue does not list is a bad symbol, names it and how to fix it, and calls nothing", async () => {
    const source = adapter(venue, { inject: false });
    const error = await failure(source.fetchFunding("MNT/USDT:USDT"));
    expect(error.kind).toBe("bad-symbol");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('"MNT/USDT:USDT"');
    expect(error.message).toContain(venueName(venue));
    expect(error.message).toContain("Check SYMBOLS; use the ccxt unified form like MNT/USDT:USDT");
    expect(server.requestsTo(venue, paths.funding)).toHaveLength(0);
    const typo = await failure(source.fetchTicker("BTCUSDT"));
    expect(typo.message).toContain("Did you mean BTC/USDT:USDT?");
  });

  it("maps a timeout to kind timeout, within the configured time", async () => {
    server.delayNext(venue, paths.ticker, 1_500);
    const started = Date.now();
    const error = await failure(adapter(venue, { timeoutMs: 250 }).fetchTicker(BTC));
    expect(error.kind).toBe("timeout");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("250 ms");
    expect(Date.now() - started).toBeLessThan(1_200);
  });

  it("maps a 5xx to kind unavailable with the status and the endpoint", async () => {
    server.failNext(venue, paths.book, 1, { status: 503, body: "<html><body>503 Service Temporarily Unavailable</body></html>" });
    const source = adapter(venue);
    const error = await failure(source.fetchOrderBook(BTC, 5));
    expect(error.kind).toBe("unavailable");
    expect(error.message).toContain("HTTP 503");
    expect(error.message).toMatch(/on GET \/\S*(orderbook|depth|books)/);
    // No retry inside the adapter: one request, and the next call works.
    expect(server.requestsTo(venue, paths.book)).toHaveLength(1);
    await expect(source.fetchOrderBook(BTC, 5)).resolves.toMatchObject({ symbol: BTC });
  });

  it("retries a failed market load on the next call instead of keeping the failure", async () => {
    server.failNext(venue, paths.listing, 1, { status: 502, body: "Bad Gateway" });
    const source = adapter(venue, { inject: false });
    expect((await failure(source.fetchTicker(BTC))).kind).toBe("unavailable");
    await expect(source.fetchTicker(BTC)).resolves.toMatchObject({ symbol: BTC });
  });
});

describe("bitget specifics", () => {
  it("Bitget's 429 (body code 429, ccxt DDoSProtection) is rate-limited, with its Retry-After", async () => {
    server.rateLimitNext("bitget", PATHS.bitget.ticker, 3);
    const error = await failure(adapter("bitget").fetchTicker(BTC));
    expect(error.kind).toBe("rate-limited");
    expect((error.cause as Error).name).toBe("DDoSProtection");
    expect(error.retryAfterMs).toBe(3_000);
    expect(error.message).toContain('"Too Many Requests"');
  });

  it("an unlisted symbol on the wire is Bitget's 40034, which ccxt leaves a plain ExchangeError", async () => {
    server.replyNext("bitget", PATHS.bitget.ticker, 1, { status: 400, body: { code: "40034", msg: "Parameter BTCUSDT does not exist", requestTime: Date.now(), data: null } });
    const error = await failure(adapter("bitget").fetchTicker(BTC));
    expect(error.kind).toBe("unknown");
    expect(error.message).toContain("code 40034");
  });

  it("asks Bitget's merge-depth for its max gear when more than 50 levels are wanted", async () => {
    const bids = Array.from({ length: 80 }, (_, i) => [64_000 - i, 1] as const);
    server.setBook("bitget", BTC, { bids, asks: [[64_001, 1]] });
    const book = await adapter("bitget").fetchOrderBook(BTC, 60);
    expect(book.bids).toHaveLength(60);
    expect(server.requestsTo("bitget", PATHS.bitget.book)[0]?.query).toMatchObject({ limit: "max", productType: "USDT-FUTURES" });
  });

  it("reads the funding interval from the listing (fundInterval, hours) and pages history by pageNo until a short page", async () => {
    server.setCurrentFunding("bitget", BTC, { rate: 0.00005, nextFundingTs: APR_2025, intervalHours: 4, markPrice: 80_000 });
    server.setFundingHistory("bitget", BTC, [0, 1, 2].map((i) => ({ ts: JAN_2024 + i * 4 * 3_600_000, rate: 0.0001 * (i + 1) })));
    const source = adapter("bitget", { inject: false });
    // An answer without fundingRateInterval: the listing's fundInterval ("4") decides.
    const item = { symbol: "BTCUSDT", fundingRate: "0.00005", nextUpdate: String(APR_2025), minFundingRate: "-0.003", maxFundingRate: "0.003" };
    server.replyNext("bitget", PATHS.bitget.funding, 1, { status: 200, body: { code: "00000", msg: "success", requestTime: Date.now(), data: [item] } });
    expect((await source.fetchFunding(BTC)).intervalHours).toBe(4);
    expect(await source.fetchFundingHistory(BTC, JAN_2024 + 1)).toEqual([
      { venue: "bitget", symbol: BTC, ts: JAN_2024 + 4 * 3_600_000, rate: 0.0002 },
      { venue: "bitget", symbol: BTC, ts: JAN_2024 + 8 * 3_600_000, rate: 0.0003 },
    ]);
    expect(server.requestsTo("bitget", PATHS.bitget.history).map((r) => r.query["pageNo"])).toEqual(["1"]);
  });
});

describe("candle volume is in base units, from the adapter", () => {
  const T0 = Date.UTC(2024, 0, 1);

  it("OKX: a real BTC-USDT-SWAP candle row gives volCcy (BTC), not vol (contracts) and not volCcy x ctVal", async () => {
    // OKX /api/v5/market/candles row: [ts, o, h, l, c, vol (contracts), volCcy (BTC), volCcyQuote (USDT), confirm].
    // With ctVal 0.01, 123456 contracts are 1234.56 BTC.
    const row = [String(T0), "42283.5", "42554.5", "42180.1", "42475.3", "123456", "1234.56", "52435358.4", "1"];
    expect(Number(row[5]) * OKX_CONTRACT).toBeCloseTo(Number(row[6]), 9);
    server.replyNext("okx", /\/api\/v5\/market\/(history-)?candles$/, 1, { status: 200, body: { code: "0", msg: "", data: [row] } });
    const candles = await adapter("okx").fetchPerpCandles(BTC, T0);
    expect(candles).toEqual([{ ts: T0, open: 42_283.5, high: 42_554.5, low: 42_180.1, close: 42_475.3, volume: 1234.56 }]);
    expect(server.requestsTo("okx", /candles$/)[0]?.query).toMatchObject({ instId: "BTC-USDT-SWAP", bar: "1H" });
  });

  it.each(VENUES)("%s: the stand-in's base volume comes back unchanged", async (venue) => {
    const candles = [0, 1, 2].map((i) => ({ ts: T0 + i * 3_600_000, open: 42_283.5 + i, high: 42_400 + i, low: 42_100 + i, close: 42_300 + i, volume: 5_000.5 + i }));
    server.setCandles(venue, BTC, candles);
    expect(await adapter(venue).fetchPerpCandles(BTC, T0)).toEqual(candles);
  });
});

describe("stand-in candles through real ccxt fetchOHLCV", () => {
  it.each(VENUES)("%s klines parse through real ccxt fetchOHLCV", async (venue) => {
    const t0 = Date.UTC(2024, 0, 1);
    const candles = [0, 1, 2, 3].map((i) => ({ ts: t0 + i * 3_600_000, open: 42_283.5 + i, high: 42_400 + i, low: 42_100 + i, close: 42_300 + i, volume: 5_000 + i }));
    server.setCandles(venue, BTC, candles);
    const exchange = new ccxt[venue]({ timeout: 2_000 });
    exchange.urls = { ...exchange.urls, api: JSON.parse(JSON.stringify(exchange.urls.api).replace(/https:\/\/[^/"]+/g, server.url)) as typeof exchange.urls.api };
    exchange.setMarkets([perpMarketFor(venue, BTC, venue === "okx" ? { contractSize: OKX_CONTRACT } : {})]);
    const rows = await exchange.fetchOHLCV(BTC, "1h", t0, 3);
    expect(rows).toEqual(candles.slice(0, 3).map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume]));
    expect(server.requestsTo(venue).at(-1)?.path).toMatch(/\/kline$|\/klines$|candles$/);
  });
});
