import {
  AuthenticationError, BadRequest, ExchangeNotAvailable, InsufficientFunds, InvalidNonce, InvalidOrder, PermissionDenied, RateLimitExceeded, RequestTimeout, type bybit, type Exchange,
} from "ccxt";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bybitDialect as dialect } from "../../src/exchange/live/bybit";
import { createLiveExchange } from "../../src/exchange/live/ccxt-client";
import { ExchangeServer } from "../stand-ins/exchange-server";

/**
 * The real ccxt 4.5.84 bybit client, through the Bybit dialect, against the stand-in speaking
 * Bybit v5's private wire (unified account, USDT perps). Every assertion is on what ccxt parsed
 * from the wire or on the stand-in's account, never on the stand-in's internals alone.
 */

const BTC = "BTC/USDT:USDT";
const DOGE = "DOGE/USDT:USDT";
const KEY = { apiKey: "stand-in-key", secret: "stand-in-secret" };
const ENTRY = "p0123456789ab-e";
const STOP = "p0123456789ab-s";
const TAKE = "p0123456789ab-t";
const TAKER = 0.00055;

let skew = 0; // the server's clock runs ahead of the client's by this much (ms)
const server = new ExchangeServer({ now: () => Date.now() + skew });
const clients: Exchange[] = [];

function client(credentials: { apiKey: string; secret: string } = KEY): Exchange {
  const exchange = createLiveExchange("bybit", credentials, { hostOverride: server.url, timeoutMs: 1500 });
  clients.push(exchange);
  return exchange;
}
const account = () => server.accounts.bybit;
const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error("resolved"), (e: unknown) => e);
const bodies = (path: RegExp) => server.requestsTo("bybit", path).map((r) => JSON.parse(r.body) as Record<string, unknown>);

async function enter(exchange: Exchange, amount = 10, id = ENTRY): Promise<void> {
  await exchange.createOrder(BTC, "market", "buy", amount, undefined, dialect.marketOrderParams(dialect.clientOrderId(id), false));
}
async function protect(exchange: Exchange, kind: "stop-loss" | "take-profit", id: string, price: number, amount = 10): Promise<void> {
  const { type, params } = dialect.protectiveOrder(kind, dialect.clientOrderId(id), price);
  await exchange.createOrder(BTC, type, "sell", amount, undefined, params);
}

beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => {
  server.reset();
  skew = 0;
  server.setTicker("bybit", BTC, { last: 100, bid: 99.9, ask: 100.1, baseVolume24h: 5000, quoteVolume24h: 500_000 });
  server.setTicker("bybit", DOGE, { last: 0.1, baseVolume24h: 5000, quoteVolume24h: 500 });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe("bybit authentication and account setup", () => {
  it("refuses a bad secret, an unknown key and a stale timestamp in Bybit's codes", async () => {
    expect(await rejection(client({ ...KEY, secret: "wrong" }).fetchBalance())).toBeInstanceOf(AuthenticationError);
    expect(await rejection(client({ ...KEY, apiKey: "someone-else" }).fetchBalance())).toBeInstanceOf(AuthenticationError);
    const late = client();
    late.options["timeDifference"] = 60_000; // the client's clock a minute behind: outside the 5 s recvWindow
    const stale = await rejection(late.fetchBalance());
    expect(stale).toBeInstanceOf(InvalidNonce);
    expect(String(stale)).toContain('"retCode":10002');
    const balance = await client().fetchBalance();
    expect(balance["USDT"]?.total).toBe(10_000);
  });

  it("sets leverage and isolated margin, and repeating it is a success", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    expect(account().leverage.get(BTC)).toBe(5);
    expect(account().marginMode.get(BTC)).toBe("isolated");
    expect(bodies(/\/v5\/account\/set-margin-mode$/)).toEqual([{ setMarginMode: "ISOLATED_MARGIN" }]);
    // Bybit answers an unchanged leverage with 110043; the dialect takes it as done.
    const again = await rejection(exchange.setLeverage(5, BTC));
    expect(again).toBeInstanceOf(BadRequest);
    expect(String(again)).toContain("110043");
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    expect(account().leverage.get(BTC)).toBe(5);
  });

  it("tells whether the key may withdraw, and refuses trading to a read-only key", async () => {
    expect(await dialect.canWithdraw(client())).toBe(false);
    account().credentials = { ...account().credentials, canWithdraw: true };
    expect(await dialect.canWithdraw(client())).toBe(true);
    expect(server.requestsTo("bybit", /\/v5\/user\/query-api$/).length).toBeGreaterThanOrEqual(2);
    account().credentials = { ...account().credentials, canTrade: false };
    expect(await rejection(enter(client()))).toBeInstanceOf(PermissionDenied);
    expect(account().orders).toHaveLength(0);
  });
});

describe("bybit orders", () => {
  it("fills a market entry under our id, finds it, and refuses the id a second time", async () => {
    const exchange = client();
    await enter(exchange);
    expect(bodies(/\/v5\/order\/create$/)[0]).toMatchObject({ category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "10", orderLinkId: ENTRY });
    const found = await dialect.findOrder(exchange, BTC, ENTRY, false);
    expect(found).toMatchObject({ clientOrderId: ENTRY, status: "closed", filled: 10, average: 100.1 });
    expect(found?.fee?.cost).toBeCloseTo(10 * 100.1 * TAKER, 8);
    const duplicate = await rejection(enter(exchange));
    expect(duplicate).toBeInstanceOf(InvalidOrder);
    expect(dialect.isDuplicateClientOrderId?.(duplicate)).toBe(true);
    account().walletBalance = 50;
    expect(dialect.isDuplicateClientOrderId?.(await rejection(enter(exchange, 100, "p0000000000ff-e")))).toBe(false); // insufficient margin is not
    expect(account().orders.filter((o) => o.clientOrderId === ENTRY)).toHaveLength(1);
  });

  it("places reduce-only stop-loss and take-profit, finds, lists and cancels them", async () => {
    const exchange = client();
    await enter(exchange);
    await protect(exchange, "stop-loss", STOP, 95);
    await protect(exchange, "take-profit", TAKE, 110);
    expect(bodies(/\/v5\/order\/create$/).slice(1)).toMatchObject([
      { orderLinkId: STOP, side: "Sell", triggerPrice: "95", triggerDirection: 2, reduceOnly: true },
      { orderLinkId: TAKE, side: "Sell", triggerPrice: "110", triggerDirection: 1, reduceOnly: true },
    ]);
    const stop = await dialect.findOrder(exchange, BTC, STOP, true);
    expect(stop).toMatchObject({ status: "open", triggerPrice: 95, stopLossPrice: 95, reduceOnly: true, amount: 10 });
    expect((await dialect.findOrder(exchange, BTC, TAKE, true))?.takeProfitPrice).toBe(110);
    // By orderLinkId Bybit answers that one order, whatever else is open.
    expect((await exchange.fetchOpenOrders(BTC, undefined, undefined, { orderLinkId: STOP })).map((o) => o.clientOrderId)).toEqual([STOP]);
    const open = await dialect.openProtectiveOrders(exchange, BTC);
    expect(open.map((o) => o.clientOrderId).sort()).toEqual([STOP, TAKE]);
    for (const order of open) await dialect.cancelProtectiveOrder(exchange, BTC, order);
    expect(await dialect.openProtectiveOrders(exchange, BTC)).toEqual([]);
    expect((await dialect.findOrder(exchange, BTC, STOP, true))?.status).toBe("canceled");
    expect(account().orders.filter((o) => o.triggerPrice !== null).map((o) => o.status)).toEqual(["cancelled", "cancelled"]);
  });

  it("is strict like Bybit: reduce-only, margin, symbol, lot, minimum value, trigger side, id form", async () => {
    const exchange = client();
    const reduceNothing = exchange.createOrder(BTC, "market", "sell", 1, undefined, dialect.marketOrderParams("p0000000000aa-x", true));
    expect(await rejection(reduceNothing)).toBeInstanceOf(InvalidOrder);
    await enter(exchange);
    const grow = await rejection(exchange.createOrder(BTC, "market", "buy", 1, undefined, dialect.marketOrderParams("p0000000000ab-x", true)));
    expect(String(grow)).toContain("110017");
    account().walletBalance = 50; // within the 119 BTC market-order cap, beyond what the margin allows
    expect(await rejection(enter(exchange, 100, "p0000000000ac-x"))).toBeInstanceOf(InsufficientFunds);
    account().walletBalance = 10_000;
    const tooSmall = await rejection(exchange.createOrder(DOGE, "market", "buy", 10, undefined, { clientOrderId: "p0000000000ad-x" }));
    expect(String(tooSmall)).toContain("110094");
    expect(await rejection(protect(exchange, "stop-loss", "p0000000000ae-x", 105))).toBeInstanceOf(InvalidOrder); // a sell stop above the market
    expect(await rejection(exchange.createOrder(BTC, "market", "buy", 1, undefined, { clientOrderId: "x".repeat(37) }))).toBeInstanceOf(BadRequest);
    expect(() => dialect.clientOrderId("p0123456789ab/e")).toThrow(RangeError);
    // Below ccxt's own precision handling, straight to the endpoint: what Bybit itself refuses.
    const raw = exchange as bybit;
    const order = (symbol: string, qty: string) => rejection(raw.privatePostV5OrderCreate({ category: "linear", symbol, side: "Buy", orderType: "Market", qty }));
    expect(String(await order("FOOUSDT", "1"))).toContain("symbol invalid");
    expect(String(await order("DOGEUSDT", "0.5"))).toContain("minimum limit allowed");
    expect(String(await order("DOGEUSDT", "1.5"))).toContain("Qty invalid");
    expect(account().orders.map((o) => o.clientOrderId)).toEqual([ENTRY]);
  });
});

describe("bybit positions, balance, fills and funding", () => {
  it("shows the position, the balance, the fills with fees and a funding settlement", async () => {
    const exchange = client();
    await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
    await enter(exchange);
    const [position] = await exchange.fetchPositions([BTC]);
    expect(position).toMatchObject({ symbol: BTC, side: "long", contracts: 10, entryPrice: 100.1, leverage: 5 });
    const usdt = (await exchange.fetchBalance())["USDT"];
    const fee = 10 * 100.1 * TAKER;
    expect(usdt?.total).toBeCloseTo(10_000 - fee, 6);
    expect(usdt?.free).toBeCloseTo(10_000 - fee - (10 * 100.1) / 5, 6); // the position's initial margin is in use
    const [fill] = await exchange.fetchMyTrades(BTC);
    expect(fill).toMatchObject({ symbol: BTC, side: "buy", amount: 10, price: 100.1, order: account().orders[0]?.id });
    expect(fill?.fee).toMatchObject({ currency: "USDT" });
    expect(fill?.fee?.cost).toBeCloseTo(fee, 8);
    account().settleFunding(BTC, 0.0001, 100);
    const [funding] = await exchange.fetchFundingHistory(BTC);
    // ccxt reports Bybit's execFee as the amount: positive is paid (the long paid 0.0001 × 10 × 100).
    expect(funding).toMatchObject({ symbol: BTC, code: "USDT", rate: 0.0001 });
    expect(funding?.amount).toBeCloseTo(0.1, 10);
    expect((funding?.amount ?? 0) * (dialect.fundingSign ?? 1)).toBeCloseTo(-0.1, 10); // the broker's view: received is positive
    expect(server.requestsTo("bybit", /\/v5\/execution\/list$/).map((r) => r.query["execType"])).toEqual(["Trade", "Funding"]);
  });

  it("loses a position closed behind the bot and shows the closing fill", async () => {
    const exchange = client();
    await enter(exchange);
    await protect(exchange, "stop-loss", STOP, 95);
    account().closeBehindTheBot(BTC, 101);
    expect(await exchange.fetchPositions()).toEqual([]); // by settle coin: open positions only
    const [flat] = await exchange.fetchPositions([BTC]); // by symbol Bybit answers a row even when flat
    expect(flat?.contracts).toBe(0);
    const fills = await exchange.fetchMyTrades(BTC);
    expect(fills.map((t) => [t.side, t.amount, t.price])).toEqual([["buy", 10, 100.1], ["sell", 10, 101]]);
    expect((await dialect.findOrder(exchange, BTC, STOP, true))?.status).toBe("canceled"); // its reduce-only stop went with it
  });

  it("closes the position when the stop triggers", async () => {
    const exchange = client();
    await enter(exchange);
    await protect(exchange, "stop-loss", STOP, 95);
    server.movePrice("bybit", BTC, 94);
    expect(await exchange.fetchPositions()).toEqual([]);
    const stop = await dialect.findOrder(exchange, BTC, STOP, true);
    expect(stop).toMatchObject({ status: "closed", filled: 10, average: 94, triggerPrice: 95 });
    expect(await dialect.openProtectiveOrders(exchange, BTC)).toEqual([]);
  });
});

describe("bybit faults", () => {
  const placed = (id: string) => account().orders.filter((o) => o.clientOrderId === id);

  it("accept-then-timeout: ccxt times out, the order exists once and is found", async () => {
    const exchange = client();
    await exchange.loadMarkets();
    account().injectFault({ kind: "accept-then-timeout" });
    expect(await rejection(enter(exchange))).toBeInstanceOf(RequestTimeout);
    expect(placed(ENTRY)).toHaveLength(1);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 10 });
  });

  it("5xx-after-accept: the gateway's 502, the order exists once and is found", async () => {
    const exchange = client();
    account().injectFault({ kind: "5xx-after-accept" });
    expect(await rejection(enter(exchange))).toBeInstanceOf(ExchangeNotAvailable);
    expect(placed(ENTRY)).toHaveLength(1);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 10 });
  });

  it("reject: Bybit's insufficient balance, nothing booked", async () => {
    const exchange = client();
    account().injectFault({ kind: "reject" });
    expect(await rejection(enter(exchange))).toBeInstanceOf(InsufficientFunds);
    expect(placed(ENTRY)).toHaveLength(0);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toBeNull();
  });

  it("partial-fill: found with the filled part, the rest cancelled", async () => {
    const exchange = client();
    account().injectFault({ kind: "partial-fill", fraction: 0.4 });
    await enter(exchange);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "canceled", amount: 10, filled: 4, remaining: 0, average: 100.1 });
  });

  it("invisible: not found at first, found once the venue shows it", async () => {
    const exchange = client();
    account().injectFault({ kind: "invisible", ms: 2000 });
    await enter(exchange);
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toBeNull();
    skew = 2500; // still inside the 5 s recvWindow
    expect(await dialect.findOrder(exchange, BTC, ENTRY, false)).toMatchObject({ status: "closed", filled: 10 });
  });

  it("stop-not-placed: acknowledged, then nowhere", async () => {
    const exchange = client();
    await enter(exchange);
    account().injectFault({ kind: "stop-not-placed" });
    await protect(exchange, "stop-loss", STOP, 95);
    expect(await dialect.findOrder(exchange, BTC, STOP, true)).toBeNull();
    expect(await dialect.openProtectiveOrders(exchange, BTC)).toEqual([]);
  });

  it("a finished order is still found from the history and from its fills", async () => {
    const exchange = client();
    await enter(exchange);
    // Bybit's real-time cache forgets closed orders when it restarts; the history and the fills keep them.
    const empty = { status: 200, body: { retCode: 0, retMsg: "OK", result: { category: "linear", list: [], nextPageCursor: "" }, retExtInfo: {}, time: Date.now() } };
    server.replyNext("bybit", /\/v5\/order\/realtime$/, 1, empty);
    const fromHistory = await dialect.findOrder(exchange, BTC, ENTRY, false);
    expect(fromHistory).toMatchObject({ status: "closed", filled: 10, average: 100.1, info: { orderStatus: "Filled" } });
    server.replyNext("bybit", /\/v5\/order\/(realtime|history)$/, 2, empty);
    const fromFills = await dialect.findOrder(exchange, BTC, ENTRY, false);
    expect(fromFills).toMatchObject({ clientOrderId: ENTRY, status: "closed", amount: 10, filled: 10, average: 100.1 });
    expect(server.requestsTo("bybit", /\/v5\/execution\/list$/).at(-1)?.query).toMatchObject({ orderLinkId: ENTRY });
    expect(fromFills?.fee?.cost).toBeCloseTo(10 * 100.1 * TAKER, 8);
  });

  it("a 429-style retCode 10006 and an IP ban on the order path: RateLimitExceeded, nothing booked", async () => {
    const exchange = client();
    await exchange.loadMarkets();
    server.rateLimitNext("bybit", /\/v5\/order\/create$/, 5);
    expect(await rejection(enter(exchange))).toBeInstanceOf(RateLimitExceeded);
    server.banNext("bybit", /\/v5\/order\/create$/);
    const banned = await rejection(enter(exchange));
    expect(banned).toBeInstanceOf(RateLimitExceeded); // ccxt's bybit maps HTTP 403 to RateLimitExceeded
    expect(String(banned)).toContain("403");
    expect(placed(ENTRY)).toHaveLength(0);
  });
});
