import { AuthenticationError, InvalidNonce, MarginModeAlreadySet, type Order } from "ccxt";
import { describe, expect, it } from "vitest";
import { binanceusdmDialect as dialect } from "../../src/exchange/live/binanceusdm";
import { BTC, ENTRY, KEYS, STOP, TAKE, buy, protect, refusal, useBinanceusdmStandIn, venueBody } from "../support/live-binanceusdm-setup";

/**
 * The real ccxt 4.5.84 binanceusdm client, through the Binance dialect, against the stand-in
 * speaking Binance USD-M's private wire (signed /fapi, the algo service for conditional orders,
 * the /sapi key restrictions). Each test pins what the venue does and what ccxt makes of it. What
 * the venue refuses and the injected faults are in live-binanceusdm-faults.test.ts.
 */

const { server, client, account, ordersWithId, setServerClockAhead } = useBinanceusdmStandIn();

describe("binanceusdm signed requests", () => {
  it("refuses a bad secret (-1022), an unknown key (-2015) and an expired timestamp (-1021) with ccxt's classes", async () => {
    const badSecret = await refusal(client({ ...KEYS, secret: "wrong" }).fetchBalance());
    expect(badSecret).toBeInstanceOf(AuthenticationError);
    expect(venueBody(badSecret)).toContain('"code":-1022');
    const badKey = await refusal(client({ ...KEYS, apiKey: "someone-else" }).fetchBalance());
    expect(badKey).toBeInstanceOf(AuthenticationError);
    expect(venueBody(badKey)).toContain('"code":-2015');
    setServerClockAhead(60_000); // ccxt's timestamp is now older than its recvWindow (10 s)
    const late = await refusal(client().fetchBalance());
    expect(late).toBeInstanceOf(InvalidNonce);
    expect(venueBody(late)).toContain('"code":-1021');
    setServerClockAhead(0);
    expect((await client().fetchBalance())["USDT"]?.total).toBeCloseTo(10_000, 6);
    account().credentials = { ...account().credentials, canTrade: false }; // a read-only key may read, not trade
    const readOnly = await refusal(buy(client()));
    expect(readOnly).toBeInstanceOf(AuthenticationError);
    expect(venueBody(readOnly)).toContain('"code":-2015');
  });

  it("tells whether the key may withdraw from /sapi/v1/account/apiRestrictions", async () => {
    const ex = client();
    expect(await dialect.canWithdraw(ex)).toBe(false);
    account().credentials = { ...account().credentials, canWithdraw: true };
    expect(await dialect.canWithdraw(ex)).toBe(true);
    expect(server.requestsTo("binanceusdm", /^\/sapi\/v1\/account\/apiRestrictions$/)).toHaveLength(2);
  });
});

describe("binanceusdm dialect", () => {
  it("prepareSymbol sets isolated margin and leverage, and again is a no-op (-4046 is success)", async () => {
    const ex = client();
    await dialect.prepareSymbol(ex, BTC, 5, "isolated");
    expect(account().marginMode.get(BTC)).toBe("isolated");
    expect(account().leverage.get(BTC)).toBe(5);
    await dialect.prepareSymbol(ex, BTC, 5, "isolated");
    expect(server.requestsTo("binanceusdm", /^\/fapi\/v1\/marginType$/)).toHaveLength(2);
    // The second answer really was Binance's "No need to change margin type." (ccxt hides it by default).
    ex.options["setMarginMode"] = { throwMarginModeAlreadySet: true };
    await expect(ex.setMarginMode("isolated", BTC)).rejects.toBeInstanceOf(MarginModeAlreadySet);
    await dialect.prepareSymbol(ex, BTC, 5, "isolated");
    await buy(ex);
    const cross = await refusal(dialect.prepareSymbol(ex, BTC, 5, "cross"));
    expect(venueBody(cross)).toContain('"code":-4048'); // not with a position open
  });

  it("prepareSymbol refuses a Hedge Mode account before changing anything", async () => {
    server.replyNext("binanceusdm", /^\/fapi\/v1\/positionSide\/dual$/, 1, { status: 200, body: { dualSidePosition: true } });
    await expect(dialect.prepareSymbol(client(), BTC, 5, "isolated")).rejects.toThrow(/Hedge Mode/);
    expect(account().marginMode.get(BTC)).toBeUndefined();
  });

  it("a market entry fills and is found by client id with amount, average price and fee", async () => {
    const ex = client();
    await buy(ex);
    const sent = server.requestsTo("binanceusdm", /^\/fapi\/v1\/order$/).find((r) => r.method === "POST");
    expect(new URLSearchParams(sent?.body).get("newClientOrderId")).toBe(ENTRY);
    const found = await dialect.findOrder(ex, BTC, ENTRY, false);
    expect(found).toMatchObject({ clientOrderId: ENTRY, status: "closed", filled: 0.01, average: 50_000.1 });
    expect(found?.fee?.cost).toBeCloseTo(0.01 * 50_000.1 * 0.00055, 8);
    expect(await dialect.findOrder(ex, BTC, "p0000000000aa-e", false)).toBeNull();
  });

  it("a client id is unique only among OPEN orders: a filled entry's id books again, an open stop's is refused (-4116)", async () => {
    const ex = client();
    const first = await buy(ex);
    const again = await buy(ex); // Binance accepts it: the first order is filled, not open
    expect(again.id).not.toBe(first.id);
    expect(ordersWithId(ENTRY)).toHaveLength(2);
    expect((await dialect.findOrder(ex, BTC, ENTRY, false))?.id).toBe(again.id); // the id names the newest
    await protect(ex, "stop-loss", STOP, 49_000);
    const duplicate = await refusal(protect(ex, "stop-loss", STOP, 48_000));
    expect(venueBody(duplicate)).toContain('"code":-4116');
    expect(ordersWithId(STOP)).toHaveLength(1);
  });

  it("stop-loss and take-profit go to the algo service, are found, listed and cancelled", async () => {
    const ex = client();
    await buy(ex);
    await protect(ex, "stop-loss", STOP, 49_000);
    await protect(ex, "take-profit", TAKE, 52_000);
    const placed = server.requestsTo("binanceusdm", /^\/fapi\/v1\/algoOrder$/).filter((r) => r.method === "POST").map((r) => new URLSearchParams(r.body));
    expect(placed.map((p) => [p.get("algoType"), p.get("type"), p.get("reduceOnly"), p.get("clientAlgoId"), p.get("triggerPrice")])).toEqual([
      ["CONDITIONAL", "STOP_MARKET", "true", STOP, "49000"], ["CONDITIONAL", "TAKE_PROFIT_MARKET", "true", TAKE, "52000"],
    ]);
    expect(await dialect.findOrder(ex, BTC, STOP, true)).toMatchObject({ status: "open", triggerPrice: 49_000, reduceOnly: true, clientOrderId: STOP });
    expect(await dialect.findOrder(ex, BTC, STOP, false)).toBeNull(); // not in the matching engine until it fires
    const open = await dialect.openProtectiveOrders(ex, BTC);
    expect(open.map((o) => o.clientOrderId).sort()).toEqual([STOP, TAKE]);
    await dialect.cancelProtectiveOrder(ex, BTC, open.find((o) => o.clientOrderId === STOP) as Order);
    expect(ordersWithId(STOP)[0]?.status).toBe("cancelled");
    expect((await dialect.openProtectiveOrders(ex, BTC)).map((o) => o.clientOrderId)).toEqual([TAKE]);
    expect(await dialect.findOrder(ex, BTC, STOP, true)).toMatchObject({ status: "canceled" });
  });

  it("positions, balance, fills and funding come from v3 positionRisk, v3 account, userTrades and income", async () => {
    const ex = client();
    await dialect.prepareSymbol(ex, BTC, 5, "isolated");
    await buy(ex);
    const [position, ...more] = await ex.fetchPositions();
    expect(more).toHaveLength(0);
    expect(position).toMatchObject({ symbol: BTC, side: "long", contracts: 0.01, entryPrice: 50_000.1, marginMode: "isolated" });
    const usdt = (await ex.fetchBalance())["USDT"];
    expect(usdt?.total).toBeCloseTo(account().equity(), 6);
    expect(usdt?.free).toBeCloseTo(account().availableBalance(), 6);
    const [fill] = await ex.fetchMyTrades(BTC);
    expect(fill).toMatchObject({ side: "buy", amount: 0.01, price: 50_000.1, fee: { currency: "USDT" } });
    expect(fill?.fee?.cost).toBeCloseTo(0.01 * 50_000.1 * 0.00055, 8);
    account().settleFunding(BTC, 0.0001, 50_000);
    const funding = await ex.fetchFundingHistory(BTC);
    expect(funding.map((f) => f.amount)).toEqual([-0.05]);
  });

  it("a position closed behind the bot is gone from positions, its fill shows, and its stops expire", async () => {
    const ex = client();
    await buy(ex);
    await protect(ex, "stop-loss", STOP, 49_000);
    account().closeBehindTheBot(BTC, 50_500);
    expect(await ex.fetchPositions()).toHaveLength(0);
    const fills = await ex.fetchMyTrades(BTC);
    expect(fills.map((t) => [t.side, t.amount, t.price])).toEqual([["buy", 0.01, 50_000.1], ["sell", 0.01, 50_500]]);
    expect(await dialect.openProtectiveOrders(ex, BTC)).toHaveLength(0);
    expect(await dialect.findOrder(ex, BTC, STOP, true)).toMatchObject({ status: "expired" });
  });

  it("a stop that fires closes the position, and findOrder reads its fill from the market order it became", async () => {
    const ex = client();
    await buy(ex);
    await protect(ex, "stop-loss", STOP, 49_000);
    server.movePrice("binanceusdm", BTC, 48_900);
    expect(await ex.fetchPositions()).toHaveLength(0);
    const fired = await dialect.findOrder(ex, BTC, STOP, true);
    expect(fired).toMatchObject({ clientOrderId: STOP, status: "closed", filled: 0.01, average: 48_900 });
    expect(fired?.fee?.cost).toBeCloseTo(0.01 * 48_900 * 0.00055, 8);
    expect((await dialect.findOrder(ex, BTC, STOP, false))?.id).toBe(fired?.id); // the same client id, now in the engine
  });
});
