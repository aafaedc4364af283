import { AuthenticationError, BadRequest, BadSymbol, DuplicateOrderId, ExchangeError, InsufficientFunds, InvalidNonce, InvalidOrder, okx, type Exchange } from "ccxt";
import { describe, expect, it } from "vitest";
import { adaptOkxClient, fromOkxClientOrderId, isDuplicateClientOrderId, okxDialect as dialect } from "../../src/exchange/live/okx";
import { BTC, CONTRACT, ENTRY, STOP, TAKE, enterLong, placeProtection, rejection, usdtBalance, useOkxStandIn } from "../support/live-okx-setup";

/**
 * The real ccxt 4.5.84 okx client, through the OKX dialect, against the stand-in speaking OKX v5's
 * private wire (see live-okx-setup.ts for contracts and the clock). The injected faults are in
 * live-okx-faults.test.ts.
 */

const { server, client, account, bodyOf, ours } = useOkxStandIn();

describe("okx signing", () => {
  it("refuses a bad secret, key or passphrase and a stale timestamp with OKX's codes; a signed request passes", async () => {
    const badSecret = await rejection(client({ secret: "not-the-secret" }).fetchBalance());
    expect(badSecret).toBeInstanceOf(AuthenticationError);
    expect(badSecret.message).toContain("50113");
    expect((await rejection(client({ apiKey: "someone-else" }).fetchBalance())).message).toContain("50111");
    expect((await rejection(client({ passphrase: "wrong" }).fetchBalance())).message).toContain("50105");
    const late = client();
    late.options["timeDifference"] = 60_000; // ccxt stamps requests a minute in the past
    expect(await rejection(late.fetchBalance())).toBeInstanceOf(InvalidNonce); // 50102 "Timestamp request expired"
    expect((await usdtBalance(client())).total).toBeCloseTo(10_000, 6);
  });

  it("maps our client ids to OKX's letters-and-digits form one to one, and OKX refuses the raw form", async () => {
    expect(ENTRY).toBe("p0123456789abE");
    expect(fromOkxClientOrderId(ENTRY)).toBe("p0123456789ab-e");
    expect(new Set([ENTRY, STOP, TAKE, dialect.clientOrderId("p0123456789ab-x")]).size).toBe(4);
    expect(() => dialect.clientOrderId("P0123-e")).toThrow(RangeError);
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    const raw = await rejection(exchange.createOrder(BTC, "market", "buy", 5, undefined, { clientOrderId: "p0123456789ab-e" }));
    expect(raw).toBeInstanceOf(BadRequest);
    expect(raw.message).toContain("Parameter clOrdId error");
    expect(account().orders).toHaveLength(0);
  });
});

describe("okx leverage, entry and lookups", () => {
  it("prepareSymbol sets leverage 5 for isolated margin in net mode, twice without error", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    expect(account().leverage.get(BTC)).toBe(5);
    expect(account().marginMode.get(BTC)).toBe("isolated");
    expect(bodyOf(/\/account\/set-leverage$/)).toEqual({ lever: 5, mgnMode: "isolated", instId: "BTC-USDT-SWAP", posSide: "net" });
    expect(server.requestsTo("okx", /\/account\/config$/)).toHaveLength(2); // the position-mode check
    await exchange.setPositionMode(true);
    await expect(dialect.prepareSymbol(exchange, BTC, 5, "isolated")).rejects.toThrow(/net \(one-way\) mode/);
  });

  it("fills a market entry in contracts with our id and finds it with filled amount, average price and fee", async () => {
    const exchange = client();
    await enterLong(exchange);
    const [sent] = bodyOf(/\/trade\/batch-orders$/) as Record<string, unknown>[];
    expect(sent).toMatchObject({ instId: "BTC-USDT-SWAP", side: "buy", ordType: "market", sz: "5", clOrdId: ENTRY, tdMode: "isolated" });
    expect(account().positions.get(BTC)).toMatchObject({ side: "long", qty: 0.05, entryPrice: 50_010 });
    const found = await dialect.findOrder(exchange, BTC, ENTRY, false);
    expect(found).toMatchObject({ clientOrderId: ENTRY, status: "closed", filled: 5, amount: 5, average: 50_010 });
    expect(found?.fee?.cost).toBeCloseTo(0.05 * 50_010 * 0.00055, 8);
    expect(server.requestsTo("okx", /\/trade\/order$/).at(-1)?.query).toMatchObject({ instId: "BTC-USDT-SWAP", clOrdId: ENTRY });
  });

  it("refuses the same client id again as a duplicate (51016) and keeps one order", async () => {
    const exchange = client();
    await enterLong(exchange);
    const send = (c: Exchange) => c.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false));
    // ccxt's own class for 51016 is InvalidOrder; an adapted client raises DuplicateOrderId (prepareSymbol adapts).
    expect(await rejection(send(exchange))).toBeInstanceOf(DuplicateOrderId);
    const plain = await rejection(send(client()));
    expect(plain).toBeInstanceOf(InvalidOrder);
    expect(plain).not.toBeInstanceOf(DuplicateOrderId);
    expect(isDuplicateClientOrderId(plain)).toBe(true);
    expect(ours(ENTRY)).toHaveLength(1);
    expect(account().positions.get(BTC)?.qty).toBe(0.05);
  });

  it("finds an order through the history and then the fills when the order endpoint no longer has it", async () => {
    const exchange = client();
    await enterLong(exchange);
    const gone = { status: 200, body: { code: "51603", msg: "Order does not exist", data: [] } };
    server.replyNext("okx", /\/trade\/order$/, 1, gone);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 5 });
    expect(server.requestsTo("okx", /\/trade\/orders-history$/).at(-1)?.query).toMatchObject({ instType: "SWAP", state: "filled" });

    const empty = { status: 200, body: { code: "0", msg: "", data: [] } };
    server.replyNext("okx", /\/trade\/order$/, 1, gone);
    server.replyNext("okx", /\/trade\/orders-history$/, 2, empty);
    const fromFills = await dialect.findOrder(exchange, BTC, ENTRY, false);
    expect(fromFills).toMatchObject({ clientOrderId: ENTRY, status: "closed", filled: 5, average: 50_010 });
    expect(fromFills?.fee?.cost).toBeCloseTo(0.05 * 50_010 * 0.00055, 8);
    expect(server.requestsTo("okx", /\/trade\/fills-history$/)).toHaveLength(1);
    expect(await dialect.findOrder(exchange, BTC, dialect.clientOrderId("p0000000000ff-e"), false)).toBeNull();
  });

  it("is strict: reduce-only with nothing to reduce or in the position's direction, margin, symbol, lot, parameters", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    const nothing = await rejection(exchange.createOrder(BTC, "market", "sell", 5, undefined, dialect.marketOrderParams(dialect.clientOrderId("p1-x"), true)));
    expect(nothing).toBeInstanceOf(ExchangeError); // 51169 has no ccxt class of its own
    expect(nothing.message).toContain("51169");
    await enterLong(exchange);
    expect((await rejection(exchange.createOrder(BTC, "market", "buy", 1, undefined, dialect.marketOrderParams(dialect.clientOrderId("p2-x"), true)))).message).toContain("51170");
    expect(await rejection(exchange.createOrder(BTC, "market", "buy", 900, undefined, dialect.marketOrderParams(dialect.clientOrderId("p3-e"), false)))).toBeInstanceOf(InsufficientFunds);
    if (!(exchange instanceof okx)) throw new TypeError("an okx client");
    const order = { instId: "BTC-USDT-SWAP", tdMode: "isolated", side: "buy", ordType: "market", sz: "1", clOrdId: "p4E" };
    expect(await rejection(exchange.privatePostTradeBatchOrders([{ ...order, instId: "DOGE-USDT-SWAP" }]))).toBeInstanceOf(BadSymbol);
    expect((await rejection(exchange.privatePostTradeBatchOrders([{ ...order, sz: "0.005" }]))).message).toContain("51121");
    expect((await rejection(exchange.privatePostTradeBatchOrders([{ ...order, tdMode: "cash" }]))).message).toContain("Parameter tdMode error");
    expect(ours("p4E")).toHaveLength(0);
    expect(account().positions.get(BTC)?.qty).toBe(0.05);
  });

  it("a reduce-only close in the other margin mode has nothing to reduce: an adapted client closes without prepareSymbol", async () => {
    await enterLong(client());
    const exit = (c: Exchange) => c.createOrder(BTC, "market", "sell", 5, undefined, dialect.marketOrderParams(dialect.clientOrderId("p0123456789ab-x"), true));
    // A client that never set the mode (a restart, then the exit) sends ccxt's default tdMode, cross.
    expect((await rejection(exit(client()))).message).toContain("51169");
    const restarted = client();
    adaptOkxClient(restarted, "isolated");
    await exit(restarted);
    expect(account().positions.has(BTC)).toBe(false);
    expect(server.requestsTo("okx", /\/account\/set-leverage$/)).toHaveLength(1); // only the entry's
  });
});

describe("okx stops, positions, balance, fills and funding", () => {
  it("places reduce-only stop-loss and take-profit algo orders, finds, lists and cancels them", async () => {
    const exchange = client();
    await enterLong(exchange);
    await placeProtection(exchange, "stop-loss", STOP, 49_000);
    expect(bodyOf(/\/trade\/order-algo$/)).toMatchObject({ ordType: "conditional", side: "sell", sz: "5", slTriggerPx: "49000", slOrdPx: "-1", reduceOnly: true, algoClOrdId: STOP, tdMode: "isolated" });
    await placeProtection(exchange, "take-profit", TAKE, 52_000);
    const stop = await dialect.findOrder(exchange, BTC, STOP, true);
    expect(stop).toMatchObject({ clientOrderId: STOP, status: "open", reduceOnly: true, triggerPrice: 49_000, amount: 5 });
    expect(server.requestsTo("okx", /\/trade\/order-algo$/).at(-1)?.query).toMatchObject({ algoClOrdId: STOP });
    const open = await dialect.openProtectiveOrders(exchange, BTC);
    expect(open.map((o) => [o.clientOrderId, o.triggerPrice]).sort()).toEqual([[STOP, 49_000], [TAKE, 52_000]]);
    for (const order of open) await dialect.cancelProtectiveOrder(exchange, BTC, order);
    expect(await dialect.openProtectiveOrders(exchange, BTC)).toEqual([]);
    expect(ours(STOP)[0]?.status).toBe("cancelled");
    expect(await dialect.findOrder(exchange, BTC, TAKE, true)).toMatchObject({ clientOrderId: TAKE, status: "canceled" });
    // Cancelling one that is gone already (OKX 51400, ccxt OrderNotFound) is what was asked: no error.
    await expect(dialect.cancelProtectiveOrder(exchange, BTC, stop ?? expect.fail("the stop was found above"))).resolves.toBeUndefined();
    expect(server.requestsTo("okx", /\/trade\/cancel-algos$/)).toHaveLength(3);
  });

  it("shows the position, the USDT balance, the fills with fees and a funding settlement", async () => {
    const exchange = client();
    await enterLong(exchange);
    const [position, ...others] = await exchange.fetchPositions([BTC]);
    expect(others).toHaveLength(0);
    expect(position).toMatchObject({ symbol: BTC, side: "long", contracts: 5, contractSize: CONTRACT, entryPrice: 50_010, marginMode: "isolated", leverage: 5 });
    const usdt = await usdtBalance(exchange);
    expect(usdt.total).toBeCloseTo(account().equity(), 6);
    expect(usdt.free).toBeCloseTo(account().availableBalance(), 6);
    expect(usdt.free).toBeLessThan(usdt.total ?? 0);
    const [fill] = await exchange.fetchMyTrades(BTC);
    expect(fill).toMatchObject({ symbol: BTC, side: "buy", amount: 5, price: 50_010 });
    expect(fill?.fee?.cost).toBeCloseTo(0.05 * 50_010 * 0.00055, 8);
    expect((fill?.info as Record<string, unknown>)["clOrdId"]).toBe(ENTRY);
    account().settleFunding(BTC, 0.0001, 50_000);
    const [payment, ...more] = await exchange.fetchFundingHistory(BTC);
    expect(more).toHaveLength(0);
    expect(payment).toMatchObject({ symbol: BTC, code: "USDT" });
    expect(payment?.amount).toBeCloseTo(-0.0001 * 0.05 * 50_000, 8);
    expect(server.requestsTo("okx", /\/account\/bills-archive$/).at(-1)?.query).toMatchObject({ type: "8" });
  });

  it("loses a position closed behind the bot and shows the close fill", async () => {
    const exchange = client();
    await enterLong(exchange);
    account().closeBehindTheBot(BTC, 50_500);
    expect(await exchange.fetchPositions([BTC])).toEqual([]);
    const close = (await exchange.fetchMyTrades(BTC)).find((t) => t.side === "sell");
    expect(close).toMatchObject({ amount: 5, price: 50_500 });
  });

  it("closes the position when the stop triggers, and the stop shows as filled", async () => {
    const exchange = client();
    await enterLong(exchange);
    await placeProtection(exchange, "stop-loss", STOP, 49_000);
    server.movePrice("okx", BTC, 48_900);
    expect(await exchange.fetchPositions([BTC])).toEqual([]);
    expect(await dialect.findOrder(exchange, BTC, STOP, true)).toMatchObject({ clientOrderId: STOP, status: "closed", filled: 5, average: 48_900 });
    expect((await exchange.fetchMyTrades(BTC)).filter((t) => t.side === "sell").map((t) => t.amount)).toEqual([5]);
  });

  it("tells whether the key may withdraw from the account config's perm; a read-only key cannot trade", async () => {
    expect(await dialect.canWithdraw(client())).toBe(false);
    account().credentials = { ...account().credentials, canWithdraw: true };
    expect(await dialect.canWithdraw(client())).toBe(true);
    account().credentials = { ...account().credentials, canTrade: false };
    const readOnly = await rejection(client().createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false)));
    expect(readOnly.message).toContain("50120");
    expect(account().orders).toHaveLength(0);
  });
});
