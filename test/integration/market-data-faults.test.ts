import { describe, expect, it } from "vitest";
import { snapSettlement } from "../../src/core/trading/funding";
import { BTC, PATHS, VENUES, failure, useMarketDataStandIn } from "../support/ccxt-market-data-setup";

/**
 * Faults on the market-data path, each through the real ccxt 4.5.84 client and the stand-in in
 * every venue's format: a malformed JSON body, an empty book, a settlement print stamped a few ms
 * late, and a book stamped in the future (this machine's clock or the venue's is wrong).
 * Timeouts and 5xx are in ccxt-market-data.test.ts, rate limits and refused ticker stamps in
 * ccxt-market-data-errors.test.ts, bans in venue-bans.test.ts.
 */

const { server, adapter } = useMarketDataStandIn();
const HOUR = 3_600_000;

describe.each(VENUES)("%s faults through real ccxt", (venue) => {
  it("a truncated JSON body is an ExchangeError worth retrying, and the next answer is read", async () => {
    server.setTicker(venue, BTC, { last: 64_000, baseVolume24h: 1, quoteVolume24h: 64_000 });
    server.replyNext(venue, PATHS[venue].ticker, 1, { status: 200, body: '{"code":"0","data":[{"instId":"BTC-USDT-SWAP","last":"640', headers: { "Content-Type": "application/json" } });
    const source = adapter(venue);
    const error = await failure(source.fetchTicker(BTC));
    expect(error.retryable).toBe(true);
    expect(error.venue).toBe(venue);
    await expect(source.fetchTicker(BTC)).resolves.toMatchObject({ last: 64_000 });
  });

  it("an empty book is returned empty and stamped: no level is made up", async () => {
    server.setBook(venue, BTC, { bids: [], asks: [] });
    const book = await adapter(venue).fetchOrderBook(BTC, 10);
    expect(book).toMatchObject({ venue, symbol: BTC, bids: [], asks: [] });
    expect(book.ts).toBeGreaterThan(Date.now() - 60_000);
  });

  it("a settlement print stamped 1 ms late keeps the venue's stamp, which snaps to its settlement", async () => {
    const settled = Math.floor(Date.now() / (8 * HOUR)) * 8 * HOUR - 8 * HOUR;
    server.setFundingHistory(venue, BTC, [
      { ts: settled - 8 * HOUR, rate: 0.0001 },
      { ts: settled + 1, rate: -0.00025 }, // Binance's real …001 stamps
      { ts: settled + 8 * HOUR + 11, rate: 0.0003 },
    ]);
    const prints = await adapter(venue).fetchFundingHistory(BTC, settled - 8 * HOUR);
    expect(prints.map((p) => p.ts)).toEqual([settled - 8 * HOUR, settled + 1, settled + 8 * HOUR + 11]);
    // Validated, not refused and not shifted here: the consumers snap once (market-view, import).
    expect(prints.map((p) => snapSettlement(p.ts))).toEqual([settled - 8 * HOUR, settled, settled + 8 * HOUR]);
  });

  it("a book stamped minutes ahead of this machine's clock (skew) is refused, naming the venue and the clock", async () => {
    server.setBook(venue, BTC, { bids: [[64_000, 1]], asks: [[64_001, 1]] });
    const behind = () => Date.now() - 10 * 60_000; // this machine's clock 10 min behind the venue's
    const error = await failure(adapter(venue, { now: behind }).fetchOrderBook(BTC, 5));
    expect(error.kind).toBe("unknown");
    expect(error.message).toMatch(/stamped the order book for BTC\/USDT:USDT \d+ s in the future .*Check this machine's clock/);
  });
});

describe("clock skew as the venue reports it", () => {
  it("Binance's -1021 'outside of the recvWindow' on a public call is an error worth retrying, with the venue's words", async () => {
    server.failNext("binanceusdm", PATHS.binanceusdm.book, 1, { status: 400, body: { code: -1021, msg: "Timestamp for this request is outside of the recvWindow." } });
    const error = await failure(adapter("binanceusdm").fetchOrderBook(BTC, 5));
    expect((error.cause as Error).name).toBe("InvalidNonce");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("outside of the recvWindow");
  });
});
