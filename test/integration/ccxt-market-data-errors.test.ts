import ccxt, { binanceusdm } from "ccxt";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { mapCcxtError } from "../../src/exchange/ccxt-errors";
import { perpMarketFor } from "../../src/exchange/ccxt-market-data";
import { BTC, PATHS, failure, useMarketDataStandIn } from "../support/ccxt-market-data-setup";

/**
 * How the market-data adapter, over the real ccxt 4.5.84 clients and the local exchange stand-in,
 * classifies what goes wrong: each venue's rate limits and bans, ccxt's error classes mapped to
 * kinds, exchange timestamps it must not trust, and secrets kept out of every message.
 */

const { server, adapter } = useMarketDataStandIn();

describe("rate limits", () => {
  it("bybit retCode 10006 (HTTP 200) is rate-limited, with the pause from X-Bapi-Limit-Reset-Timestamp", async () => {
    // The reset is 5 s after the injection: room for a loaded machine, still far below a default pause.
    server.rateLimitNext("bybit", PATHS.bybit.ticker, 5);
    const error = await failure(adapter("bybit").fetchTicker(BTC));
    expect(error.kind).toBe("rate-limited");
    expect(error.message).toMatch(/^Bybit is rate-limiting us \(code 10006\): "Too many visits!"; retry in [1-5](\.\d)? s\.$/);
    expect(error.retryAfterMs).toBeGreaterThan(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(5_000);
  });

  it("a plain HTTP 429 from bybit is rate-limited too", async () => {
    server.failNext("bybit", PATHS.bybit.book, 1, { status: 429, body: "Too Many Requests" });
    const error = await failure(adapter("bybit").fetchOrderBook(BTC, 5));
    expect(error.kind).toBe("rate-limited");
    expect(error.message).toContain("HTTP 429");
    expect(error.retryAfterMs).toBeNull();
  });

  it("binance 429 / -1003 is rate-limited; the adapter then pauses until Retry-After instead of hammering", async () => {
    server.rateLimitNext("binanceusdm", PATHS.binanceusdm.ticker, 1);
    const source = adapter("binanceusdm");
    const error = await failure(source.fetchTicker(BTC));
    expect(error.kind).toBe("rate-limited");
    expect(error.message).toMatch(/^Binance USD-M is rate-limiting us \(HTTP 429, code -1003\): "Too many requests; .*"; retry in 1 s\.$/);
    expect(error.retryAfterMs).toBe(1_000);
    const again = await failure(source.fetchTicker(BTC));
    expect(again.kind).toBe("rate-limited");
    expect(server.requestsTo("binanceusdm", PATHS.binanceusdm.ticker)).toHaveLength(1); // failed fast, no request
    await new Promise((r) => setTimeout(r, 1_050));
    await expect(source.fetchTicker(BTC)).resolves.toMatchObject({ symbol: BTC });
  });

  it("binance 418 (IP ban, ccxt DDoSProtection) is a ban, until the time Binance names", async () => {
    server.failNext("binanceusdm", PATHS.binanceusdm.funding, 1, { status: 418, body: { code: -1003, msg: "Way too many requests; IP banned until 1767240000000." } });
    const error = await failure(adapter("binanceusdm").fetchFunding(BTC));
    expect(error.kind).toBe("banned");
    expect(error.message).toContain("HTTP 418");
  });

  it("okx 429 / 50011 is rate-limited, with its Retry-After", async () => {
    server.rateLimitNext("okx", PATHS.okx.funding, 2);
    const error = await failure(adapter("okx").fetchFunding(BTC));
    expect(error.kind).toBe("rate-limited");
    expect(error.retryAfterMs).toBe(2_000);
  });

  it("an OKX 429 without a body code is still rate-limited (ccxt files OKX's bare 429 as ExchangeNotAvailable)", async () => {
    server.failNext("okx", PATHS.okx.ticker, 1, { status: 429, body: "Too Many Requests" });
    const error = await failure(adapter("okx").fetchTicker(BTC));
    expect(error.kind).toBe("rate-limited");
    expect((error.cause as Error).name).toBe("ExchangeNotAvailable");
  });
});

describe("mapCcxtError", () => {
  it.each([
    [new ccxt.RateLimitExceeded("bybit {}"), "rate-limited"],
    [new ccxt.DDoSProtection("binanceusdm blocked by the CDN"), "rate-limited"],
    [new ccxt.RequestTimeout("okx GET https://www.okx.com/api/v5/market/ticker request timed out (10000 ms)"), "timeout"],
    [new ccxt.NetworkError("bybit GET https://api.bybit.com/v5/market/tickers fetch failed: ECONNREFUSED"), "unavailable"],
    [new ccxt.ExchangeNotAvailable("okx not available"), "unavailable"],
    [new ccxt.OnMaintenance("okx {\"code\":\"50001\",\"msg\":\"Service temporarily unavailable\"}"), "unavailable"],
    [new ccxt.BadSymbol("binanceusdm {\"code\":-1121,\"msg\":\"Invalid symbol.\"}"), "bad-symbol"],
    [new ccxt.AuthenticationError("bybit {\"retCode\":10003,\"retMsg\":\"API key is invalid.\"}"), "auth"],
    [new ccxt.PermissionDenied("bybit {\"retCode\":10005,\"retMsg\":\"Permission denied\"}"), "auth"],
    [new ccxt.InvalidOrder("binanceusdm {\"code\":-4164,\"msg\":\"Order's notional must be no smaller than 100\"}"), "invalid-order"],
    [new ccxt.OrderNotFound("okx order not found"), "invalid-order"],
    [new ccxt.InsufficientFunds("bybit {\"retCode\":110007,\"retMsg\":\"ab not enough for new order\"}"), "insufficient-funds"],
    [new ccxt.ExchangeError("bybit {\"retCode\":10016,\"retMsg\":\"System error\"}"), "unknown"],
    [new TypeError("Cannot read properties of undefined"), "unknown"],
  ] as const)("%s → %s", (error, kind) => {
    const mapped = mapCcxtError(error, "bybit");
    expect(mapped.kind).toBe(kind);
    expect(mapped.venue).toBe("bybit");
    expect(mapped.message.startsWith("Bybit ")).toBe(true);
  });

  it("quotes the venue's own words for order errors", () => {
    const mapped = mapCcxtError(new ccxt.InvalidOrder('binanceusdm {"code":-4164,"msg":"Order\'s notional must be no smaller than 100"}'), "binanceusdm");
    expect(mapped.message).toBe('Binance USD-M rejected the order (code -4164): "Order\'s notional must be no smaller than 100".');
  });
});

describe("exchange timestamps", () => {
  const LOCAL = Date.UTC(2026, 0, 5, 12, 0, 0);
  const clock = () => LOCAL;
  // A real Bybit v5 linear ticker; the only timestamp is the envelope's `time`.
  const bybitTickers = (time?: number) => ({ status: 200, body: {
    retCode: 0, retMsg: "OK", retExtInfo: {}, ...(time === undefined ? {} : { time }),
    result: { category: "linear", list: [{
      symbol: "BTCUSDT", lastPrice: "94321.50", indexPrice: "94330.12", markPrice: "94322.00", prevPrice24h: "93100.00", price24hPcnt: "0.013120",
      highPrice24h: "94800.00", lowPrice24h: "92950.10", prevPrice1h: "94200.00", openInterest: "54321.123", openInterestValue: "5123456789.10",
      turnover24h: "8123456789.1234", volume24h: "86543.210", fundingRate: "0.0001", nextFundingTime: "1767628800000", predictedDeliveryPrice: "",
      basisRate: "", deliveryFeeRate: "", deliveryTime: "0", ask1Size: "1.234", bid1Price: "94321.40", ask1Price: "94321.50", bid1Size: "2.345",
      basis: "", preOpenPrice: "", preQty: "", curPreListingPhase: "", fundingIntervalHour: "8", basisRateYear: "", fundingCap: "0.005",
    }] },
  } });

  it("a Bybit ticker carries the envelope's time, not the local clock", async () => {
    server.replyNext("bybit", PATHS.bybit.ticker, 1, bybitTickers(LOCAL - 1_234));
    const ticker = await adapter("bybit", { now: clock }).fetchTicker(BTC);
    expect(ticker).toMatchObject({ ts: LOCAL - 1_234, last: 94_321.5, bid: 94_321.4, ask: 94_321.5, baseVolume24h: 86_543.21 });
    expect(server.requestsTo("bybit", PATHS.bybit.ticker)[0]?.query).toMatchObject({ category: "linear", symbol: "BTCUSDT" });
  });

  it("refuses a Bybit ticker stamped more than 60 s ahead of the local clock, naming the venue", async () => {
    server.replyNext("bybit", PATHS.bybit.ticker, 1, bybitTickers(LOCAL + 10 * 60_000));
    const error = await failure(adapter("bybit", { now: clock }).fetchTicker(BTC));
    expect(error.venue).toBe("bybit");
    expect(error.message).toBe("Bybit stamped the ticker for BTC/USDT:USDT 600 s in the future (2026-01-05T12:10:00.000Z); refusing it. Check this machine's clock.");
  });

  it("accepts a stamp up to 60 s ahead (clock skew)", async () => {
    server.replyNext("bybit", PATHS.bybit.ticker, 1, bybitTickers(LOCAL + 59_000));
    await expect(adapter("bybit", { now: clock }).fetchTicker(BTC)).resolves.toMatchObject({ ts: LOCAL + 59_000 });
  });

  it("refuses a pre-2015 stamp (an OKX ticker ts in seconds)", async () => {
    server.replyNext("okx", PATHS.okx.ticker, 1, { status: 200, body: { code: "0", msg: "", data: [{
      instType: "SWAP", instId: "BTC-USDT-SWAP", last: "94321.5", lastSz: "1", askPx: "94321.6", askSz: "10", bidPx: "94321.5", bidSz: "10",
      open24h: "93100", high24h: "94800", low24h: "92950.1", volCcy24h: "86543.21", vol24h: "8654321", ts: String(Math.floor(LOCAL / 1000)), sodUtc0: "93500", sodUtc8: "93300",
    }] } });
    const error = await failure(adapter("okx", { now: clock }).fetchTicker(BTC));
    expect(error.message).toMatch(/^OKX stamped the ticker for BTC\/USDT:USDT before 2015/);
  });

  it("a Bitget funding rate carries the envelope's requestTime (its item has none)", async () => {
    const item = { symbol: "BTCUSDT", fundingRate: "0.000068", fundingRateInterval: "8", nextUpdate: String(LOCAL + 3_600_000), minFundingRate: "-0.003", maxFundingRate: "0.003" };
    server.replyNext("bitget", PATHS.bitget.funding, 1, { status: 200, body: { code: "00000", msg: "success", requestTime: LOCAL - 1_234, data: [item] } });
    const funding = await adapter("bitget", { now: clock }).fetchFunding(BTC);
    expect(funding).toMatchObject({ ts: LOCAL - 1_234, rate: 0.000068, intervalHours: 8, nextFundingTs: LOCAL + 3_600_000, markPrice: null });
    expect(server.requestsTo("bitget", PATHS.bitget.funding)[0]?.query).toEqual({ symbol: "BTCUSDT", productType: "USDT-FUTURES" });
  });

  it("without any venue time, falls back to the local clock and says so once", async () => {
    const lines: string[] = [];
    const capture = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
    server.replyNext("bybit", PATHS.bybit.ticker, 2, bybitTickers(undefined));
    const source = adapter("bybit", { now: clock, logger: capture });
    expect((await source.fetchTicker(BTC)).ts).toBe(LOCAL);
    expect((await source.fetchTicker(BTC)).ts).toBe(LOCAL);
    const notes = lines.filter((l) => l.includes("local clock"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("Bybit sends no timestamp with its ticker");
  });
});

describe("secrets", () => {
  it("a signed private request that fails keeps its signature, key and secret out of the message and cause", async () => {
    const apiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const exchange = new binanceusdm({ apiKey, secret, timeout: 2_000 });
    exchange.urls = { ...exchange.urls, api: Object.fromEntries(Object.entries(exchange.urls.api as Record<string, string>).map(([k, v]) => [k, v.replace(/^https:\/\/[^/]+/, server.url)])) };
    exchange.setMarkets([perpMarketFor("binanceusdm", BTC)]);
    server.failNext("binanceusdm", /\/fapi\/v\d\/(account|balance)$/, 1, { status: 401, body: `Unauthorized: key ${apiKey} is not allowed` });
    const raw = await exchange.fetchBalance().then(() => null, (e: unknown) => e as Error);
    expect(raw?.message).toContain("signature="); // ccxt's own text carries the signed URL …
    const error = mapCcxtError(raw, "binanceusdm", { secrets: [apiKey, secret] });
    expect(error.kind).toBe("auth");
    expect(error.message).toContain("Check the API key, secret and their permissions");
    for (const text of [error.message, (error.cause as Error).message]) {
      expect(text).not.toContain(apiKey); // … none of which reaches perpbot's error
      expect(text).not.toContain(secret);
      expect(text).not.toMatch(/signature=|timestamp=/);
    }
  });
});
