import { DDoSProtection, ExchangeNotAvailable, InsufficientFunds, OrderNotFound, RequestTimeout } from "ccxt";
import { describe, expect, it } from "vitest";
import { bitgetDialect as dialect } from "../../src/exchange/live/bitget";
import { ASK, BTC, ENTRY, SIZE, STOP, rejection, useBitgetStandIn } from "../support/live-bitget-setup";

/**
 * The Bitget dialect and the real ccxt bitget client when the stand-in misbehaves on purpose: an
 * order accepted but unanswered, a gateway 502, a refusal, a partial fill, an order not visible
 * yet, a stop acknowledged and dropped, a lookup endpoint that lost the order, rate limits and bans.
 */

const { server, client, account, placed, enter, protect, setServerClockAhead } = useBitgetStandIn();

describe("bitget faults", () => {
  it("accept-then-timeout: ccxt times out, the order exists once and is found", async () => {
    const exchange = client();
    await exchange.loadMarkets();
    account().injectFault({ kind: "accept-then-timeout" });
    expect(await rejection(enter(exchange))).toBeInstanceOf(RequestTimeout);
    expect(placed(ENTRY)).toHaveLength(1);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: SIZE });
  });

  it("5xx-after-accept: the gateway's 502, the order exists once and is found", async () => {
    const exchange = client();
    account().injectFault({ kind: "5xx-after-accept" });
    expect(await rejection(enter(exchange))).toBeInstanceOf(ExchangeNotAvailable);
    expect(placed(ENTRY)).toHaveLength(1);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: SIZE });
  });

  it("reject: Bitget's 40762 (InsufficientFunds), nothing booked", async () => {
    const exchange = client();
    account().injectFault({ kind: "reject" });
    const refused = await rejection(enter(exchange));
    expect(refused).toBeInstanceOf(InsufficientFunds);
    expect(String(refused)).toContain('"code":"40762"');
    expect(placed(ENTRY)).toHaveLength(0);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toBeNull();
  });

  it("partial-fill: found with the filled part, the rest cancelled", async () => {
    const exchange = client();
    account().injectFault({ kind: "partial-fill", fraction: 0.4 });
    await enter(exchange);
    const found = await dialect.findOrder(exchange, BTC, ENTRY, false);
    expect(found).toMatchObject({ status: "canceled", amount: SIZE, average: ASK });
    expect(found?.filled).toBeCloseTo(0.02, 12);
  });

  it("invisible: not found at first, found once the venue shows it", async () => {
    const exchange = client();
    account().injectFault({ kind: "invisible", ms: 2000 });
    await enter(exchange);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toBeNull();
    expect(server.requestsTo("bitget", /\/orders-(pending|history)$/)).toHaveLength(2); // looked everywhere
    setServerClockAhead(2500); // still inside Bitget's 30 s timestamp window
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: SIZE });
  });

  it("stop-not-placed: acknowledged, then nowhere", async () => {
    const exchange = client();
    await enter(exchange);
    account().injectFault({ kind: "stop-not-placed" });
    await protect(exchange, "stop-loss", STOP, 57_000);
    expect(await dialect.findOrder(exchange, BTC, STOP, true)).toBeNull();
    expect(await dialect.openProtectiveOrders(exchange, BTC)).toEqual([]);
  });

  it("an order the detail endpoint does not show (40109) is still found in the order history", async () => {
    const exchange = client();
    await enter(exchange);
    server.replyNext("bitget", /\/api\/v2\/mix\/order\/detail$/, 1, { status: 400, body: { code: "40109", msg: "The data of the order cannot be found, please confirm the order number", requestTime: Date.now(), data: null } });
    expect(await rejection(exchange.fetchOrder("", BTC, { clientOrderId: ENTRY }))).toBeInstanceOf(OrderNotFound);
    server.replyNext("bitget", /\/api\/v2\/mix\/order\/detail$/, 1, { status: 400, body: { code: "40109", msg: "The data of the order cannot be found, please confirm the order number", requestTime: Date.now(), data: null } });
    const found = await dialect.findOrder(exchange, BTC, ENTRY, false);
    expect(found).toMatchObject({ clientOrderId: ENTRY, status: "closed", filled: SIZE, average: ASK, info: { status: "filled" } });
    expect(server.requestsTo("bitget", /\/orders-history$/).at(-1)?.query).toMatchObject({ clientOid: ENTRY });
  });

  it("a 429 and an IP ban on the order path: ccxt raises DDoSProtection for Bitget's code 429, nothing booked", async () => {
    const exchange = client();
    await exchange.loadMarkets();
    server.rateLimitNext("bitget", /\/place-order$/, 5);
    const limited = await rejection(enter(exchange));
    expect(limited).toBeInstanceOf(DDoSProtection);
    expect(exchange.last_response_headers?.["retry-after"] ?? exchange.last_response_headers?.["Retry-After"]).toBe("5");
    server.banNext("bitget", /\/place-order$/, { retryAfterSeconds: 300 });
    expect(await rejection(enter(exchange))).toBeInstanceOf(DDoSProtection);
    expect(placed(ENTRY)).toHaveLength(0);
  });
});
