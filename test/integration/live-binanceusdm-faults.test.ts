import { BadSymbol, DDoSProtection, ExchangeError, ExchangeNotAvailable, InsufficientFunds, InvalidOrder, OrderImmediatelyFillable, RateLimitExceeded, RequestTimeout } from "ccxt";
import { describe, expect, it } from "vitest";
import { binanceusdmDialect as dialect } from "../../src/exchange/live/binanceusdm";
import type { OrderFault } from "../stand-ins/exchange-account";
import { BTC, ENTRY, STOP, TAKE, buy, protect, refusal, useBinanceusdmStandIn, venueBody } from "../support/live-binanceusdm-setup";

/**
 * The Binance dialect and the real ccxt binanceusdm client when the venue says no: what Binance
 * refuses and in which codes, how ccxt classes those refusals, and the faults the stand-in injects
 * on purpose (an order accepted but unanswered, a gateway 502, a refusal, a partial fill, an order
 * not visible yet, a stop acknowledged and dropped, a 429 and an IP ban).
 */

const { server, client, account, ordersWithId, setServerClockAhead } = useBinanceusdmStandIn();

describe("binanceusdm strictness", () => {
  it("refuses what Binance refuses, in its codes", async () => {
    const ex = client();
    const raw = (params: Record<string, string>) => ex.fapiPrivatePostOrder({ symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.01", ...params });
    const codeOf = async (promise: Promise<unknown>) => JSON.parse(venueBody(await refusal(promise))) as { code: number };
    expect(await codeOf(raw({ quantity: "0.0105" }))).toMatchObject({ code: -1111 }); // more decimals than the lot
    expect(await codeOf(raw({ quantity: "0.001" }))).toMatchObject({ code: -4164 }); // 50 USDT < the 100 USDT minimum
    expect(await codeOf(raw({ quantity: "121" }))).toMatchObject({ code: -4005 }); // above MARKET_LOT_SIZE
    const unknown = await refusal(raw({ symbol: "NOPEUSDT" }));
    expect(unknown).toBeInstanceOf(BadSymbol);
    expect(venueBody(unknown)).toContain('"code":-1121');
    expect(await codeOf(raw({ type: "STOP_MARKET", stopPrice: "49000" }))).toMatchObject({ code: -4120 }); // conditionals: algo API only
    expect(await codeOf(raw({ newClientOrderId: "p0123456789ab#e" }))).toMatchObject({ code: -4015 });
    const reduce = await refusal(ex.createOrder(BTC, "market", "sell", 0.01, undefined, dialect.marketOrderParams(ENTRY, true)));
    expect(venueBody(reduce)).toContain('"code":-2022'); // reduce-only with nothing to reduce
    expect(account().orders).toHaveLength(0);
  });

  it("maps the venue's order refusals to ccxt classes by host: generic on the stand-in, specific on fapi.binance.com", async () => {
    const ex = client();
    await buy(ex);
    await protect(ex, "stop-loss", STOP, 49_000);
    account().injectFault({ kind: "reject" });
    const refusals = [
      await refusal(buy(ex, 0.01, "p0123456789ab-x")), // -2019
      await refusal(protect(ex, "stop-loss", STOP, 48_000)), // -4116
      await refusal(protect(ex, "take-profit", TAKE, 49_000)), // -2021: a sell take-profit below the market fires at once
    ];
    // ccxt picks its linear-futures error table from the URL's host, which the stand-in's is not.
    for (const error of refusals) expect(error.constructor).toBe(ExchangeError);
    const production = refusals.map((error) => {
      try {
        ex.handleErrors(400, "Bad Request", "https://fapi.binance.com/fapi/v1/order", "POST", {}, venueBody(error), JSON.parse(venueBody(error)), {}, "");
        return null;
      } catch (e) {
        return (e as Error).constructor;
      }
    });
    expect(production).toEqual([InsufficientFunds, InvalidOrder, OrderImmediatelyFillable]);
  });
});

describe("binanceusdm faults", () => {
  const place = async (fault: OrderFault): Promise<unknown> => {
    account().injectFault(fault);
    return buy(client()).then(() => null, (e: unknown) => e);
  };

  it("accept-then-timeout: RequestTimeout, and the order exists once", async () => {
    expect(await place({ kind: "accept-then-timeout" })).toBeInstanceOf(RequestTimeout);
    expect(ordersWithId(ENTRY)).toHaveLength(1);
    expect(await dialect.findOrder(client(), BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 0.01 });
  });

  it("5xx-after-accept: ExchangeNotAvailable, and the order exists once", async () => {
    expect(await place({ kind: "5xx-after-accept" })).toBeInstanceOf(ExchangeNotAvailable);
    expect(ordersWithId(ENTRY)).toHaveLength(1);
    expect(await dialect.findOrder(client(), BTC, ENTRY, false)).toMatchObject({ status: "closed" });
  });

  it("reject: -2019 Margin is insufficient, nothing booked", async () => {
    const error = await place({ kind: "reject" });
    expect((error as Error).constructor).toBe(ExchangeError); // InsufficientFunds on fapi.binance.com: see the mapping test
    expect(venueBody(error as Error)).toBe('{"code":-2019,"msg":"Margin is insufficient."}');
    expect(account().orders).toHaveLength(0);
  });

  it("partial-fill: half filled, the rest EXPIRED", async () => {
    expect(await place({ kind: "partial-fill", fraction: 0.5 })).toBeNull();
    expect(await dialect.findOrder(client(), BTC, ENTRY, false)).toMatchObject({ status: "expired", filled: 0.005, amount: 0.01 });
  });

  it("invisible: not found until the venue shows it", async () => {
    expect(await place({ kind: "invisible", ms: 3_000 })).toBeNull();
    const ex = client();
    expect(await dialect.findOrder(ex, BTC, ENTRY, false)).toBeNull();
    setServerClockAhead(3_000);
    expect(await dialect.findOrder(ex, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 0.01 });
  });

  it("stop-not-placed: answered as accepted, yet never found", async () => {
    const ex = client();
    await buy(ex);
    account().injectFault({ kind: "stop-not-placed" });
    expect(await protect(ex, "stop-loss", STOP, 49_000)).toMatchObject({ status: "open", clientOrderId: STOP });
    expect(await dialect.findOrder(ex, BTC, STOP, true)).toBeNull();
    expect(await dialect.openProtectiveOrders(ex, BTC)).toHaveLength(0);
  });

  it("429 and 418 on the order path are DDoSProtection (not RateLimitExceeded); nothing is booked", async () => {
    server.rateLimitNext("binanceusdm", /^\/fapi\/v1\/order$/, 5);
    const limited = await refusal(buy(client()));
    expect(limited).toBeInstanceOf(DDoSProtection);
    expect(limited).not.toBeInstanceOf(RateLimitExceeded);
    expect(limited.message).toContain("429");
    server.banNext("binanceusdm", /^\/fapi\/v1\/order$/, { bannedUntil: Date.now() + 600_000 });
    const banned = await refusal(buy(client()));
    expect(banned).toBeInstanceOf(DDoSProtection);
    expect(banned.message).toMatch(/418.*IP banned until \d+/);
    expect(account().orders).toHaveLength(0);
  });
});
