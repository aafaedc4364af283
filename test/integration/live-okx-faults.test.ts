import { ExchangeNotAvailable, InsufficientFunds, RateLimitExceeded, RequestTimeout } from "ccxt";
import { describe, expect, it } from "vitest";
import { okxDialect as dialect } from "../../src/exchange/live/okx";
import { BTC, ENTRY, STOP, enterLong, placeProtection, rejection, useOkxStandIn } from "../support/live-okx-setup";

/**
 * The OKX dialect and the real ccxt okx client when the stand-in misbehaves on purpose: an order
 * accepted but unanswered, a gateway 502, a refusal, a partial fill, an order not visible yet, a
 * stop acknowledged and dropped, rate limits and an IP over its limit.
 */

const { server, client, account, ours, advanceServerClock } = useOkxStandIn();

describe("okx order faults", () => {
  it("accept-then-timeout: RequestTimeout, and the order exists once and is found", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    account().injectFault({ kind: "accept-then-timeout" });
    expect(await rejection(exchange.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false)))).toBeInstanceOf(RequestTimeout);
    expect(ours(ENTRY)).toHaveLength(1);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 5 });
  });

  it("5xx-after-accept: ExchangeNotAvailable, and the order exists once and is found", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    account().injectFault({ kind: "5xx-after-accept" });
    expect(await rejection(exchange.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false)))).toBeInstanceOf(ExchangeNotAvailable);
    expect(ours(ENTRY)).toHaveLength(1);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 5 });
  });

  it("reject: InsufficientFunds (51008) and nothing booked", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    account().injectFault({ kind: "reject" });
    const refused = await rejection(exchange.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false)));
    expect(refused).toBeInstanceOf(InsufficientFunds);
    expect(refused.message).toContain("51008");
    expect(account().orders).toHaveLength(0);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toBeNull();
  });

  it("partial-fill: found with the part filled and the rest cancelled", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    account().injectFault({ kind: "partial-fill", fraction: 0.4 });
    await exchange.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false));
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "canceled", filled: 2, amount: 5, average: 50_010 });
  });

  it("invisible: not found until the venue shows it", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    account().injectFault({ kind: "invisible", ms: 5_000 });
    await exchange.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false));
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toBeNull();
    advanceServerClock(5_001);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 5 });
  });

  it("stop-not-placed: answered with success, never found", async () => {
    const exchange = client();
    await enterLong(exchange);
    account().injectFault({ kind: "stop-not-placed" });
    await placeProtection(exchange, "stop-loss", STOP, 49_000);
    expect(await dialect.findOrder(exchange, BTC, STOP, true)).toBeNull();
    expect(await dialect.openProtectiveOrders(exchange, BTC)).toEqual([]);
  });

  it("a 429 and OKX's answer to an IP over its limit are RateLimitExceeded (50011), nothing booked", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    server.rateLimitNext("okx", /\/trade\/batch-orders$/, 2);
    const limited = await rejection(exchange.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false)));
    expect(limited).toBeInstanceOf(RateLimitExceeded);
    server.banNext("okx", /\/trade\/batch-orders$/, { retryAfterSeconds: 600 });
    expect(await rejection(exchange.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false)))).toBeInstanceOf(RateLimitExceeded);
    expect(account().orders).toHaveLength(0);
  });
});
