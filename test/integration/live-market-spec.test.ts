import Decimal from "decimal.js";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppSettings } from "../../src/app/context";
import { approveProposal } from "../../src/app/decide-proposal";
import { executeProposal } from "../../src/app/execute-proposal";
import { newProposalId } from "../../src/app/compute-signals";
import { proposeTrade, type ProposalRequest } from "../../src/app/propose-trade";
import { applyTradeEvent } from "../../src/app/trade-flow";
import type { Actor } from "../../src/chat/transport";
import type { MarketSpec } from "../../src/core/trading/proposal-terms";
import { createLiveBroker } from "../../src/exchange/live/live-broker";
import type { LiveVenue } from "../../src/exchange/live/venue-dialect";
import { ExchangeServer } from "../stand-ins/exchange-server";
import { seedSnapshot } from "../support/fixtures";
import { silentLogger, useRecordingApps } from "../support/test-env";

/**
 * Live proposals are sized with the venue's own market rules — its amount step, minimum amount,
 * minimum order value and price tick, read by the real ccxt client from the stand-in's public
 * listing — never with the configured guesses (`settings.market`), which every test here sets to
 * values that would give a different answer.
 */
const SYMBOL = "MNT/USDT:USDT";
const alice: Actor = { platform: "telegram", userId: "111", displayName: "alice" };
const VENUES: readonly LiveVenue[] = ["bybit", "binanceusdm", "okx", "bitget"];

/**
 * What each stand-in lists for a non-BTC symbol (test/stand-ins/exchange-venue-formats.ts,
 * public-bitget-rules.ts), in base units. minNotional null: the listing states none.
 */
const LISTED: Readonly<Record<LiveVenue, Omit<MarketSpec, "minNotional" | "maintenanceMarginRate"> & { readonly minNotional: number | null }>> = {
  // lotSizeFilter qtyStep 1, minOrderQty 1, minNotionalValue 5; priceFilter tickSize 0.0001
  bybit: { lotSize: 1, minQty: 1, minNotional: 5, tickSize: 0.0001 },
  // LOT_SIZE / MARKET_LOT_SIZE stepSize 1, minQty 1; MIN_NOTIONAL 5; PRICE_FILTER tickSize 0.0001
  binanceusdm: { lotSize: 1, minQty: 1, minNotional: 5, tickSize: 0.0001 },
  // lotSz 0.01 and minSz 0.01 contracts of ctVal 10 → 0.1 MNT; no minimum order value; tickSz 0.0001
  okx: { lotSize: 0.1, minQty: 0.1, minNotional: null, tickSize: 0.0001 },
  // sizeMultiplier 0.1, minTradeNum 0.1, minTradeUSDT 5; pricePlace 4 (priceEndStep 1)
  bitget: { lotSize: 0.1, minQty: 0.1, minNotional: 5, tickSize: 0.0001 },
};
const LISTING_PATH: Readonly<Record<LiveVenue, RegExp>> = {
  bybit: /^\/v5\/market\/instruments-info$/,
  binanceusdm: /^\/fapi\/v1\/exchangeInfo$/,
  okx: /^\/api\/v5\/public\/instruments$/,
  bitget: /^\/api\/v2\/mix\/market\/contracts$/,
};
const VENUE_NAME: Readonly<Record<LiveVenue, string>> = { bybit: "Bybit", binanceusdm: "Binance USD-M", okx: "OKX", bitget: "Bitget" };

/** Configured guesses that differ from every venue's listing: a path that used them would size, round and refuse differently. */
const GUESSED: MarketSpec = { lotSize: 0.001, minQty: 0.001, minNotional: 1, tickSize: 0.001, maintenanceMarginRate: 0.005 };

const server = new ExchangeServer();
const setup = useRecordingApps();

beforeAll(async () => server.start());
afterAll(async () => server.stop());
beforeEach(() => server.reset());

const isMultiple = (value: Decimal.Value, step: number): boolean => new Decimal(value).div(step).isInteger();

function newBroker(venue: LiveVenue) {
  return createLiveBroker({
    venue, logger: silentLogger, leverage: 5, marginMode: "isolated", timeoutMs: 1_500, hostOverride: server.url, settleDelaysMs: [20, 60],
    credentials: { apiKey: "stand-in-key", secret: "stand-in-secret", passphrase: "stand-in-pass" },
  });
}

async function live(venue: LiveVenue, price: number, settings: Partial<AppSettings> = {}) {
  server.addMarket(venue, SYMBOL, venue === "okx" ? { contractSize: 10 } : {});
  server.setTicker(venue, SYMBOL, { last: price, bid: price - 0.0001, ask: price + 0.0001, baseVolume24h: 1e7, quoteVolume24h: 5e6 });
  const logged: { level: number; msg: string; [key: string]: unknown }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) });
  const env = await setup({ now: Date.now(), settings: { tradingVenue: venue, venues: [venue], market: GUESSED, ...settings } });
  const broker = newBroker(venue);
  const app = { ...env.app, broker, logger };
  const request = (overrides: Partial<ProposalRequest> = {}): ProposalRequest => ({
    id: newProposalId(), symbol: SYMBOL, side: "long", horizonHours: 8, signalId: null, now: app.clock(), regime: "normal",
    venueView: { price, funding: null }, ...overrides,
  });
  return { app, env, broker, logged, request, account: server.accounts[venue] };
}

describe.each(VENUES)("the venue's own market rules on %s (real ccxt, stand-in listing)", (venue) => {
  const listed = LISTED[venue];

  it("reads lot, minimum amount, minimum order value and tick from the listing, in base units, once per symbol", async () => {
    const { broker } = await live(venue, 0.5);
    expect(broker.tickSize(venue, SYMBOL)).toBeUndefined(); // nothing loaded yet, and nothing asked for it
    const configured = { minNotional: 7, maintenanceMarginRate: 0.0123 };
    const spec = await broker.marketSpec(venue, SYMBOL, configured);
    expect(spec).toEqual({ ...listed, minNotional: listed.minNotional ?? configured.minNotional, maintenanceMarginRate: configured.maintenanceMarginRate });
    expect(broker.tickSize(venue, SYMBOL)).toBe(listed.tickSize);
    expect(broker.tickSize(venue === "okx" ? "bybit" : "okx", SYMBOL)).toBeUndefined();
    const listings = server.requestsTo(venue, LISTING_PATH[venue]).length;
    expect(await broker.marketSpec(venue, SYMBOL, configured)).toEqual(spec);
    expect(server.requestsTo(venue, LISTING_PATH[venue])).toHaveLength(listings);
  });

  it("sizes a live proposal in the venue's lot and tick, and the venue fills exactly that quantity; the fill's stop and take-profit sit on its tick", async () => {
    const price = 0.6123;
    const { app, account, request } = await live(venue, price);
    const { proposalId, skipped } = await proposeTrade(app, request());
    expect(skipped).toBeNull();
    const p = await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId ?? "" } });
    // 10,000 × 10% at 5x = 5,000 USDT → 8,165.93… MNT, rounded down to the venue's lot.
    const expected = new Decimal(5000).div(price).div(listed.lotSize).floor().times(listed.lotSize);
    expect(p.quantity).toBe(expected.toString());
    expect(isMultiple(p.quantity, listed.lotSize)).toBe(true);
    // The 2% stop and the take-profit on the venue's tick, rounded towards the entry (never further than 2%).
    const stop = Number(p.stopPrice);
    const takeProfit = Number(p.takeProfitPrice);
    expect(isMultiple(p.stopPrice, listed.tickSize)).toBe(true);
    expect(isMultiple(p.takeProfitPrice ?? Number.NaN, listed.tickSize)).toBe(true);
    expect(stop).toBeGreaterThanOrEqual(price * 0.98);
    expect(stop - price * 0.98).toBeLessThan(listed.tickSize);

    // Approved and executed by a broker that never read the spec (as after a restart): the order
    // call loads the venue's markets, and the fill re-anchors the levels on the venue's tick.
    await seedSnapshot(app, { venue, symbol: SYMBOL, price });
    await approveProposal(app, p.id, alice);
    const restarted = { ...app, broker: newBroker(venue) };
    expect((await executeProposal(restarted, p.id)).status).toBe("open");
    const entries = account.orders.filter((o) => o.type === "market" && o.side === "buy");
    expect(entries).toHaveLength(1);
    expect(entries[0]?.amount).toBeCloseTo(expected.toNumber(), 9);
    const trade = (await applyTradeEvent(restarted, p.id, () => null)).state;
    if (trade.status !== "open") throw new Error(trade.status);
    const fill = trade.entry.avgPrice?.toNumber() ?? 0;
    const rawStop = fill * (stop / price);
    const rawTakeProfit = fill * (takeProfit / price);
    expect(isMultiple(trade.position.stopPrice, listed.tickSize)).toBe(true);
    expect(isMultiple(trade.position.takeProfitPrice, listed.tickSize)).toBe(true);
    expect(trade.position.stopPrice - rawStop).toBeGreaterThanOrEqual(-1e-12);
    expect(trade.position.stopPrice - rawStop).toBeLessThan(listed.tickSize);
    expect(rawTakeProfit - trade.position.takeProfitPrice).toBeGreaterThanOrEqual(-1e-12);
    expect(rawTakeProfit - trade.position.takeProfitPrice).toBeLessThan(listed.tickSize);
  });

  it("refuses, before any proposal, a size under the venue's minimum order value, naming it", async () => {
    // 12 USDT equity × 10% × 5x = 6 USDT at 0.5 → 12 MNT (a multiple of every lot here).
    const minNotional = listed.minNotional ?? 7;
    const equity = listed.minNotional === null ? 12 : 8; // 6 USDT under OKX's configured fallback of 7; 4 USDT under the others' 5
    const { app, request } = await live(venue, 0.5, { startingEquity: equity, market: { ...GUESSED, minNotional: listed.minNotional === null ? 7 : 1 } });
    const { proposalId, skipped } = await proposeTrade(app, request());
    expect(proposalId).toBeNull();
    expect(skipped).toBe(
      `Too small to trade: 10% of ${equity.toFixed(2)} USDT equity at 5x is ${(equity / 2).toFixed(2)} USDT of ${SYMBOL}, below the venue's minimum order of ${minNotional} USDT. Add equity or trade a symbol with a smaller minimum.`,
    );
    expect(await app.db.proposal.count()).toBe(0);
  });

  it("refuses a size under the venue's minimum amount, naming its lot and minimum", async () => {
    // Half a lot's worth: the configured 0.001 lot would buy it, the venue's cannot.
    const equity = listed.minQty; // × 10% × 5x = half of minQty USDT at price 1 → half the minimum amount
    const { app, request } = await live(venue, 1, { startingEquity: equity, market: { ...GUESSED, minNotional: 0 } });
    const { proposalId, skipped } = await proposeTrade(app, request({ venueView: { price: 1, funding: null } }));
    expect(proposalId).toBeNull();
    expect(skipped).toMatch(new RegExp(`^Too small to trade: .* buys 0 ${SYMBOL.replace(/[/]/g, "\\/")} \\(lot ${listed.lotSize}\\), below the venue's minimum of ${listed.minQty}\\.`));
  });

  it("makes no proposal when the venue cannot be asked, says and logs why, and sizes the next poll's", async () => {
    const { app, logged, request } = await live(venue, 0.6123);
    server.failNext(venue, LISTING_PATH[venue], 1, { status: 503, body: "Service Unavailable" });
    const first = await proposeTrade(app, request());
    expect(first.proposalId).toBeNull();
    expect(first.skipped).toMatch(new RegExp(`^The lot size and minimums of ${SYMBOL.replace(/[/]/g, "\\/")} could not be read from ${VENUE_NAME[venue]}: .+ No proposal is sized on guessed values; the next poll asks again\\.$`));
    expect(await app.db.proposal.count()).toBe(0);
    expect(logged.filter((l) => l.level === 40 && /lot and minimums could not be read/.test(l.msg))).toEqual([
      expect.objectContaining({ venue, symbol: SYMBOL, kind: expect.any(String) as unknown }),
    ]);
    const next = await proposeTrade(app, request());
    expect(next.skipped).toBeNull();
    const p = await app.db.proposal.findUniqueOrThrow({ where: { id: next.proposalId ?? "" } });
    expect(isMultiple(p.quantity, listed.lotSize)).toBe(true);
  });
});

describe("paper proposals", () => {
  it("still use the configured market rules", async () => {
    const { app } = await setup({ settings: { market: GUESSED } });
    const { proposalId } = await proposeTrade(app, {
      id: newProposalId(), symbol: SYMBOL, side: "long", horizonHours: 8, signalId: null, now: app.clock(), regime: "normal", venueView: { price: 0.6123, funding: null },
    });
    const p = await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId ?? "" } });
    expect(p.quantity).toBe("8165.931"); // the configured 0.001 lot
    expect(p.stopPrice).toBe("0.601"); // the configured 0.001 tick
  });
});
