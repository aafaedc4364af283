import { AuthenticationError, BadRequest, ExchangeError, InsufficientFunds, InvalidNonce, InvalidOrder, PermissionDenied, type bitget } from "ccxt";
import { describe, expect, it } from "vitest";
import { bitgetDialect as dialect, isDuplicateClientOrderId } from "../../src/exchange/live/bitget";
import { ASK, BTC, DOGE, ENTRY, KEY, SIZE, STOP, TAKE, TAKER, rejection, useBitgetStandIn } from "../support/live-bitget-setup";

/**
 * The real ccxt 4.5.84 bitget client, through the Bitget dialect, against the stand-in speaking
 * Bitget v2's mix wire (USDT-FUTURES, one-way position mode, sizes in BTC). Every assertion is on
 * what ccxt parsed from the wire, on what it sent, or on the stand-in's account. The injected
 * faults are in live-bitget-faults.test.ts.
 */

const { server, client, account, bodies, placed, enter, protect } = useBitgetStandIn();

describe("bitget authentication and account setup", () => {
  it("refuses a bad secret, an unknown key, a wrong passphrase and a stale timestamp in Bitget's codes", async () => {
    const badSign = await rejection(client({ ...KEY, secret: "wrong" }).fetchBalance());
    expect(badSign).toBeInstanceOf(AuthenticationError);
    expect(String(badSign)).toContain('"code":"40009"');
    expect(String(await rejection(client({ ...KEY, apiKey: "someone-else" }).fetchBalance()))).toContain('"code":"40006"');
    const badPass = await rejection(client({ ...KEY, passphrase: "guess" }).fetchBalance());
    expect(badPass).toBeInstanceOf(AuthenticationError);
    expect(String(badPass)).toContain('"code":"40012"');
    const late = client();
    late.options["timeDifference"] = 60_000; // the client's clock a minute behind: outside Bitget's 30 s
    const stale = await rejection(late.fetchBalance());
    expect(stale).toBeInstanceOf(InvalidNonce);
    expect(String(stale)).toContain('"code":"40008"');
    const balance = await client().fetchBalance();
    expect(balance["USDT"]?.total).toBe(10_000);
    expect(server.requestsTo("bitget", /\/api\/v2\/mix\/account\/accounts$/).at(-1)?.query).toEqual({ productType: "USDT-FUTURES" });
  });

  it("sets leverage and isolated margin, and repeating it is a success", async () => {
    server.reset();
    server.setTicker("bitget", BTC, { last: 60_000, baseVolume24h: 5000, quoteVolume24h: 300_000_000 });
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    expect(account().leverage.get(BTC)).toBe(5);
    expect(account().marginMode.get(BTC)).toBe("isolated");
    expect(bodies(/\/set-margin-mode$/)).toEqual([{ symbol: "BTCUSDT", marginCoin: "USDT", marginMode: "isolated", productType: "USDT-FUTURES" }]);
    expect(bodies(/\/set-leverage$/)).toEqual([{ symbol: "BTCUSDT", leverage: "5", marginCoin: "USDT", productType: "USDT-FUTURES" }]);
    // Bitget answers an unchanged leverage with 40814 "No change in leverage"; the dialect takes it as done.
    const again = await rejection(exchange.setLeverage(5, BTC));
    expect(again).toBeInstanceOf(ExchangeError);
    expect(String(again)).toContain('"code":"40814"');
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    expect(account().leverage.get(BTC)).toBe(5);
    expect(server.requestsTo("bitget", /\/set-(leverage|margin-mode)$/)).toHaveLength(5);
  });

  it("sends the prepared margin mode with every order, and Bitget will not mix modes on one position", async () => {
    const exchange = client();
    await enter(exchange);
    expect(bodies(/\/place-order$/)[0]).toMatchObject({ marginMode: "isolated" });
    expect((await exchange.fetchPositions([BTC]))[0]?.marginMode).toBe("isolated");
    const cross = await rejection(exchange.createOrder(BTC, "market", "buy", SIZE, undefined, { clientOrderId: "p0000000000aa-x", marginMode: "cross" }));
    expect(String(cross)).toContain('"code":"45117"');
    expect(await rejection(exchange.setMarginMode("cross", BTC))).toBeInstanceOf(ExchangeError);
    expect(account().marginMode.get(BTC)).toBe("isolated");
  });

  it("tells whether the key may withdraw from the key's authorities", async () => {
    expect(await dialect.canWithdraw(client())).toBe(false);
    account().credentials = { ...account().credentials, canWithdraw: true };
    expect(await dialect.canWithdraw(client())).toBe(true);
    expect(server.requestsTo("bitget", /\/api\/v2\/spot\/account\/info$/)).toHaveLength(2);
  });

  it("a key without trade permission is refused with 40014 (PermissionDenied)", async () => {
    account().credentials = { ...account().credentials, canTrade: false };
    expect(await rejection(enter(client()))).toBeInstanceOf(PermissionDenied);
    expect(placed(ENTRY)).toHaveLength(0);
  });
});

describe("bitget orders", () => {
  it("fills a market entry under our id, finds it with fill and fee, and refuses the id a second time", async () => {
    const exchange = client();
    await enter(exchange);
    expect(bodies(/\/place-order$/)[0]).toEqual({
      symbol: "BTCUSDT", orderType: "market", force: "GTC", marginCoin: "USDT", size: "0.05", productType: "USDT-FUTURES", clientOid: ENTRY, marginMode: "isolated", side: "buy",
    });
    const found = await dialect.findOrder(exchange, BTC, ENTRY, false);
    expect(found).toMatchObject({ clientOrderId: ENTRY, status: "closed", filled: SIZE, average: ASK, reduceOnly: false });
    expect(found?.fee?.cost).toBeCloseTo(SIZE * ASK * TAKER, 8);
    expect(server.requestsTo("bitget", /\/api\/v2\/mix\/order\/detail$/).at(-1)?.query).toEqual({ clientOid: ENTRY, symbol: "BTCUSDT", productType: "USDT-FUTURES" });
    const duplicate = await rejection(enter(exchange));
    expect(duplicate).toBeInstanceOf(ExchangeError); // ccxt has no mapping for 40786
    expect(String(duplicate)).toContain('"code":"40786"');
    expect(isDuplicateClientOrderId(duplicate)).toBe(true);
    expect(placed(ENTRY)).toHaveLength(1);
  });

  it("places reduce-only position stop-loss and take-profit, finds, lists and cancels them", async () => {
    const exchange = client();
    await enter(exchange);
    await protect(exchange, "stop-loss", STOP, 57_000);
    await protect(exchange, "take-profit", TAKE, 66_000);
    expect(bodies(/\/place-tpsl-order$/)).toMatchObject([
      { clientOid: STOP, planType: "pos_loss", triggerPrice: "57000", triggerType: "fill_price", holdSide: "buy", symbol: "BTCUSDT" },
      { clientOid: TAKE, planType: "pos_profit", triggerPrice: "66000", triggerType: "fill_price", holdSide: "buy" },
    ]);
    const stop = await dialect.findOrder(exchange, BTC, STOP, true);
    expect(stop).toMatchObject({ clientOrderId: STOP, status: "open", triggerPrice: 57_000, reduceOnly: true, amount: SIZE, side: "sell", info: { planType: "pos_loss" } });
    expect((await dialect.findOrder(exchange, BTC, TAKE, true))?.triggerPrice).toBe(66_000);
    expect(server.requestsTo("bitget", /orders-plan-pending$/).at(-1)?.query).toMatchObject({ planType: "profit_loss", clientOid: TAKE });
    const open = await dialect.openProtectiveOrders(exchange, BTC);
    expect(open.map((o) => o.clientOrderId).sort()).toEqual([STOP, TAKE]);
    for (const order of open) await dialect.cancelProtectiveOrder(exchange, BTC, order);
    expect(bodies(/\/cancel-plan-order$/).map((b) => b["planType"]).sort()).toEqual(["pos_loss", "pos_profit"]);
    expect(await dialect.openProtectiveOrders(exchange, BTC)).toEqual([]);
    expect((await dialect.findOrder(exchange, BTC, STOP, true))?.status).toBe("canceled");
    expect(account().orders.filter((o) => o.triggerPrice !== null).map((o) => o.status)).toEqual(["cancelled", "cancelled"]);
  });

  it("a cancel Bitget lists as failed is an error while the order is still open", async () => {
    const exchange = client();
    await enter(exchange);
    await protect(exchange, "stop-loss", STOP, 57_000);
    const [stop] = await dialect.openProtectiveOrders(exchange, BTC);
    if (stop === undefined) throw new Error("no stop");
    server.replyNext("bitget", /\/cancel-plan-order$/, 1, { status: 200, body: { code: "00000", msg: "success", requestTime: Date.now(), data: { successList: [], failureList: [{ orderId: stop.id, clientOid: STOP, errorMsg: "notExistend" }] } } });
    expect(await rejection(dialect.cancelProtectiveOrder(exchange, BTC, stop))).toBeInstanceOf(ExchangeError);
    expect(placed(STOP)[0]?.status).toBe("open");
  });

  it("is strict like Bitget: reduce-only, margin, minimum value, trigger side, one position SL, id form, lot", async () => {
    const exchange = client();
    const reduceNothing = await rejection(exchange.createOrder(BTC, "market", "sell", SIZE, undefined, dialect.marketOrderParams("p0000000000aa-x", true)));
    expect(String(reduceNothing)).toContain('"code":"22002"');
    expect(String(await rejection(protect(exchange, "stop-loss", "p0000000000ab-x", 57_000)))).toContain('"code":"43023"'); // no position to protect
    await enter(exchange);
    expect(await rejection(enter(exchange, 2, "p0000000000ac-x"))).toBeInstanceOf(InsufficientFunds); // 40762
    const tooSmall = await rejection(exchange.createOrder(DOGE, "market", "buy", 10, undefined, dialect.marketOrderParams("p0000000000ad-x", false)));
    expect(tooSmall).toBeInstanceOf(InvalidOrder);
    expect(String(tooSmall)).toContain('"code":"45110"');
    expect(await rejection(protect(exchange, "stop-loss", "p0000000000ae-x", 61_000))).toBeInstanceOf(InvalidOrder); // 40917: a long's stop above the market
    await protect(exchange, "stop-loss", STOP, 57_000);
    expect(String(await rejection(protect(exchange, "stop-loss", "p0000000000af-x", 56_000)))).toContain('"code":"43031"');
    expect(await rejection(exchange.createOrder(BTC, "market", "buy", SIZE, undefined, { clientOrderId: "p0123/e", marginMode: "isolated" }))).toBeInstanceOf(BadRequest); // 40305
    expect(String(await rejection(exchange.createOrder(BTC, "market", "buy", SIZE, undefined, { clientOrderId: "x".repeat(51), marginMode: "isolated" })))).toContain('"code":"40304"');
    expect(() => dialect.clientOrderId("p0123456789ab/e")).toThrow(/not a legal Bitget clientOid/);
    // Below ccxt's own precision handling, straight to the endpoint: what Bitget itself refuses.
    const raw = exchange as bitget;
    const order = (symbol: string, size: string) => rejection(raw.privateMixPostV2MixOrderPlaceOrder({
      symbol, productType: "USDT-FUTURES", marginMode: "isolated", marginCoin: "USDT", size, side: "buy", orderType: "market",
    }));
    expect(String(await order("FOOUSDT", "1"))).toContain('"code":"40034"');
    const offLot = await order("BTCUSDT", "0.0015");
    expect(offLot).toBeInstanceOf(InvalidOrder);
    expect(String(offLot)).toContain("checkScale=3");
    expect(account().orders.map((o) => o.clientOrderId)).toEqual([ENTRY, STOP]);
  });
});

describe("bitget positions, balance, fills and funding", () => {
  it("shows the position, the balance, the fills with fees and a funding settlement", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    await enter(exchange);
    const [position] = await exchange.fetchPositions([BTC]);
    expect(position).toMatchObject({ symbol: BTC, side: "long", contracts: SIZE, entryPrice: ASK, leverage: 5, marginMode: "isolated", hedged: false });
    const usdt = (await exchange.fetchBalance())["USDT"];
    const fee = SIZE * ASK * TAKER;
    const unrealized = (60_000 - ASK) * SIZE;
    expect(usdt?.total).toBeCloseTo(10_000 - fee + unrealized, 6);
    expect(usdt?.free).toBeCloseTo(10_000 - fee + unrealized - (SIZE * ASK) / 5, 6); // the position's margin is in use
    const [fill] = await exchange.fetchMyTrades(BTC);
    expect(fill).toMatchObject({ symbol: BTC, side: "buy", amount: SIZE, price: ASK, order: placed(ENTRY)[0]?.id, takerOrMaker: "taker" });
    expect(fill?.fee).toMatchObject({ currency: "USDT" });
    expect(fill?.fee?.cost).toBeCloseTo(fee, 8);
    account().settleFunding(BTC, 0.0001, 60_000);
    const [funding] = await exchange.fetchFundingHistory(BTC);
    // Bitget's bill amount is signed: the long paid 0.0001 × 0.05 × 60000.
    expect(funding).toMatchObject({ symbol: BTC, code: "USDT" });
    expect(funding?.amount).toBeCloseTo(-0.3, 10);
    expect(server.requestsTo("bitget", /\/api\/v2\/mix\/account\/bill$/).at(-1)?.query).toMatchObject({ businessType: "contract_settle_fee", symbol: "BTCUSDT" });
  });

  it("loses a position closed behind the bot and shows the closing fill", async () => {
    const exchange = client();
    await enter(exchange);
    await protect(exchange, "stop-loss", STOP, 57_000);
    account().closeBehindTheBot(BTC, 60_100);
    expect(await exchange.fetchPositions()).toEqual([]);
    const fills = await exchange.fetchMyTrades(BTC);
    expect(fills.map((t) => [t.side, t.amount, t.price])).toEqual([["buy", SIZE, ASK], ["sell", SIZE, 60_100]]);
    expect((await dialect.findOrder(exchange, BTC, STOP, true))?.status).toBe("canceled"); // the position's SL went with it
  });

  it("closes the position when the stop triggers, and the stop shows its execution", async () => {
    const exchange = client();
    await enter(exchange);
    await protect(exchange, "stop-loss", STOP, 57_000);
    await protect(exchange, "take-profit", TAKE, 66_000);
    server.movePrice("bitget", BTC, 56_900);
    expect(await exchange.fetchPositions()).toEqual([]);
    const stop = await dialect.findOrder(exchange, BTC, STOP, true);
    expect(stop).toMatchObject({ status: "closed", filled: SIZE, average: 56_900, triggerPrice: 57_000, reduceOnly: true });
    expect(stop?.fee?.cost).toBeCloseTo(SIZE * 56_900 * TAKER, 8); // from the market order the stop placed
    expect((await dialect.findOrder(exchange, BTC, TAKE, true))?.status).toBe("canceled");
    expect(await dialect.openProtectiveOrders(exchange, BTC)).toEqual([]);
    const close = (await exchange.fetchMyTrades(BTC)).find((t) => t.side === "sell");
    const executeOrderId = (stop?.info as Record<string, unknown> | undefined)?.["executeOrderId"];
    expect(close?.order).toBe(executeOrderId);
    expect(close?.order).not.toBe(stop?.id); // the fill belongs to the market order the stop placed
    // Cancelling a fired stop is not an error: there is nothing left to cancel.
    if (stop !== null) await dialect.cancelProtectiveOrder(exchange, BTC, stop);
  });
});
