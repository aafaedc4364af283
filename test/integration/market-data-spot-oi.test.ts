import { describe, expect, it } from "vitest";
import { ExchangeError } from "../../src/exchange/errors";
import { BTC, OKX_CONTRACT, VENUES, useMarketDataStandIn } from "../support/ccxt-market-data-setup";

/**
 * The spot side and the open interest through the real ccxt 4.5.84 clients and the stand-in, in
 * each venue's wire format: listings checked once (perp + spot pair), spot volumes in base and
 * quote, closed spot candles only, open interest in base units whatever the venue counts in (OKX:
 * contracts of 0.01 BTC), and a venue without the spot pair or without open-interest history
 * answering null / empty rather than failing.
 */

const { server, adapter } = useMarketDataStandIn();
const HOUR = 3_600_000;
const SPOT_TICKER: Record<(typeof VENUES)[number], RegExp> = {
  bybit: /\/v5\/market\/tickers$/, binanceusdm: /\/api\/v3\/ticker\/24hr$/, okx: /\/api\/v5\/market\/ticker$/, bitget: /\/api\/v2\/spot\/market\/tickers$/,
};
const hourNow = (): number => Math.floor(Date.now() / HOUR) * HOUR;

describe.each(VENUES)("%s spot pair and open interest through real ccxt", (venue) => {
  it("checkSymbol: the perp, its spot pair and open interest, from one market load", async () => {
    const source = adapter(venue, { inject: false });
    await expect(source.checkSymbol(BTC)).resolves.toEqual({ venue, symbol: BTC, perp: true, spotSymbol: "BTC/USDT", openInterest: true });
    // Not listed, or not even a perp symbol: an answer, not an error.
    await expect(source.checkSymbol("DOGE/USDT:USDT")).resolves.toEqual({ venue, symbol: "DOGE/USDT:USDT", perp: false, spotSymbol: null, openInterest: false });
    await expect(source.checkSymbol("BTCUSDT")).resolves.toMatchObject({ perp: false, spotSymbol: null });
    const spotListings = server.requests.filter((r) => r.venue === venue && /instruments|exchangeInfo|symbols|contracts/.test(r.path));
    expect(spotListings.length).toBeGreaterThan(0);
    await source.checkSymbol(BTC);
    expect(server.requests.filter((r) => r.venue === venue && /instruments|exchangeInfo|symbols|contracts/.test(r.path))).toHaveLength(spotListings.length);
  });

  it("a venue without the spot pair: checkSymbol says so, spot reads are null / empty and call nothing", async () => {
    server.setListing(venue, BTC, { spot: false });
    server.setListing(venue, "ETH/USDT:USDT", { perp: false }); // a spot pair whose perp the venue lacks
    const source = adapter(venue, { inject: false });
    await expect(source.checkSymbol(BTC)).resolves.toMatchObject({ perp: true, spotSymbol: null });
    await expect(source.checkSymbol("ETH/USDT:USDT")).resolves.toMatchObject({ perp: false, spotSymbol: "ETH/USDT", openInterest: false });
    await expect(source.fetchSpotTicker(BTC)).resolves.toBeNull();
    await expect(source.fetchSpotCandles(BTC, hourNow() - 5 * HOUR)).resolves.toEqual([]);
    expect(server.requests.filter((r) => r.venue === venue && SPOT_TICKER[venue].test(r.path) && !r.query["instId"]?.endsWith("-SWAP"))).toHaveLength(0);
  });

  it("a network failure while loading the listings is an ExchangeError, not a 'not listed'", async () => {
    const listing = { bybit: /instruments-info$/, binanceusdm: /\/api\/v3\/exchangeInfo$/, okx: /\/public\/instruments$/, bitget: /\/spot\/public\/symbols$/ }[venue];
    server.failNext(venue, listing, 1, { status: 503, body: "<html>503 Service Unavailable</html>" });
    const error = await adapter(venue, { inject: false }).checkSymbol(BTC).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeError);
    expect((error as ExchangeError).kind).toBe("unavailable");
  });

  it("reads the spot ticker: last, book, 24 h volumes in base and quote, stamped by the venue", async () => {
    server.setSpotTicker(venue, BTC, { last: 63_990.5, bid: 63_990.4, ask: 63_990.6, baseVolume24h: 12_345.678, quoteVolume24h: 790_123_456.7 });
    server.setTicker(venue, BTC, { last: 64_010.1, baseVolume24h: 182_345.678, quoteVolume24h: 11_672_345_678.9 });
    const before = Date.now();
    const spot = await adapter(venue, { inject: false }).fetchSpotTicker(BTC);
    expect(spot).toMatchObject({ venue, symbol: BTC, last: 63_990.5, bid: 63_990.4, ask: 63_990.6, baseVolume24h: 12_345.678, quoteVolume24h: 790_123_456.7 });
    expect(spot?.ts).toBeGreaterThanOrEqual(before - 1_000);
    expect(server.requestsTo(venue, SPOT_TICKER[venue]).at(-1)?.query).toMatchObject(
      { bybit: { category: "spot", symbol: "BTCUSDT" }, binanceusdm: { symbol: "BTCUSDT" }, okx: { instId: "BTC-USDT" }, bitget: { symbol: "BTCUSDT" } }[venue],
    );
  });

  it("reads closed hourly spot candles only, volume in base units", async () => {
    const hour = hourNow();
    const candles = Array.from({ length: 6 }, (_, i) => ({ ts: hour - (5 - i) * HOUR, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 10 + i }));
    server.setSpotCandles(venue, BTC, candles);
    server.setCandles(venue, BTC, candles.map((c) => ({ ...c, volume: c.volume * 1_000 }))); // the perp's differ: the spot ones must be read
    const bars = await adapter(venue, { inject: false }).fetchSpotCandles(BTC, hour - 4 * HOUR);
    // The bar opened this hour is still open; the one before sinceMs is left out.
    expect(bars).toEqual(candles.slice(1, 5));
  });

  it("reads current open interest in base units", async () => {
    server.setOpenInterest(venue, BTC, { amount: 12_345.67, value: 790_000_000 });
    const oi = await adapter(venue, { inject: false }).fetchOpenInterest(BTC);
    expect(oi?.amount).toBeCloseTo(12_345.67, 6); // OKX answers oi = 1 234 567 contracts of 0.01 BTC
    // Bybit, Binance and Bitget state amounts only; OKX also gives oiUsd.
    expect(oi?.value).toBe(venue === "okx" ? 790_000_000 : null);
    expect(oi?.ts).toBeLessThanOrEqual(Date.now());
    expect(oi?.ts).toBeGreaterThan(Date.now() - 2 * HOUR);
  });

  it("reads hourly open-interest history from sinceMs, oldest first, in base units (empty where the venue has none)", async () => {
    const hour = hourNow();
    const history = Array.from({ length: 10 }, (_, i) => ({ ts: hour - (10 - i) * HOUR, amount: 10_000 + i * 10.5, value: 640_000_000 + i * 1_000_000 }));
    server.setOpenInterest(venue, BTC, { amount: 10_200, value: 650_000_000 }, history);
    const rows = await adapter(venue, { inject: false }).fetchOpenInterestHistory(BTC, hour - 5 * HOUR);
    if (venue === "bitget") {
      expect(rows).toEqual([]); // Bitget v2 publishes no open-interest history
      return;
    }
    expect(rows.map((r) => r.ts)).toEqual(history.slice(5).map((p) => p.ts));
    rows.forEach((r, i) => {
      expect(r.amount).toBeCloseTo(history[5 + i]?.amount ?? NaN, 6);
      expect(r.value).toBe(venue === "bybit" ? null : history[5 + i]?.value);
    });
  });
});

describe("open interest units", () => {
  it("OKX: the adapter converts contracts with the instrument's ctVal, not assuming 1", async () => {
    server.addMarket("okx", "ETH/USDT:USDT", { contractSize: 0.1 });
    server.setOpenInterest("okx", "ETH/USDT:USDT", { amount: 250_000, value: 800_000_000 });
    const oi = await adapter("okx", { inject: false }).fetchOpenInterest("ETH/USDT:USDT");
    const sent = server.requestsTo("okx", /\/public\/open-interest$/).at(-1);
    expect(sent?.query).toMatchObject({ instType: "SWAP", instId: "ETH-USDT-SWAP" });
    expect(oi?.amount).toBeCloseTo(250_000, 6);
    expect(OKX_CONTRACT).toBe(0.01); // BTC's ctVal differs: both conversions run through the loaded listing
  });

  it("Binance: a since older than the 30 days Binance keeps is asked from the window's start instead of refused", async () => {
    const hour = hourNow();
    const early = hour - 29 * 24 * HOUR; // inside the window, within the first page of 500 hours
    server.setOpenInterest("binanceusdm", BTC, { amount: 1, value: 64_000 }, [{ ts: early, amount: 1, value: 64_000 }]);
    const rows = await adapter("binanceusdm", { inject: false }).fetchOpenInterestHistory(BTC, hour - 60 * 24 * HOUR);
    expect(rows.map((r) => r.ts)).toEqual([early]);
    const asked = Number(server.requestsTo("binanceusdm", /openInterestHist$/).at(-1)?.query["startTime"]);
    expect(asked).toBeGreaterThan(Date.now() - 30 * 24 * HOUR);
  });
});
