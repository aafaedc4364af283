import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import type { App } from "../src/app/context";
import { recordMarket } from "../src/app/record-market";
import { createPaperBroker } from "../src/exchange/paper-broker";
import { createCcxtMarketData, type CcxtVenue } from "../src/exchange/ccxt-market-data";
import type { MarketDataSource } from "../src/exchange/market-data";
import { venueDescriptor } from "../src/exchange/venues/registry";
import { openDatabase } from "../src/store/database";
import { ExchangeServer } from "../test/stand-ins/exchange-server";
import { settings as baseSettings } from "./approve-fill";

/**
 * Issue 8 point 10, pacing side: the wall time of one full poll (src/app/record-market.ts) with
 * the four real ccxt 4.5.84 clients, rate limiter on, against the exchange stand-in in this
 * process, for N symbols listed on every venue (perp + spot pair + open interest). Two cycles: the
 * first one of a process (markets loaded, every history backfilled), then a steady one (what every
 * later 15-minute poll costs). Venues run in parallel, symbols of one venue one after another; a
 * venue's time runs from the cycle's start to its last request answered.
 *
 * Beside it, ccxt's own pacing: every request's cost as ccxt charges it (the venue class's
 * calculateRateLimiterCost, i.e. the `api` cost table of its describe(), with byLimit weights) and
 * the instance's `rateLimit` (ms per cost unit of its leaky bucket: tokens refill at 1/rateLimit
 * per ms, a request of cost c waits until c tokens are back). Σ cost × rateLimit is the shortest
 * time ccxt lets the cycle take; it is extrapolated to 100 symbols as
 * fixed (per-venue, symbol-independent requests) + 100 × per-symbol, both read from the steady cycle.
 * The measured steady time is extrapolated the same way (per-venue time / N × 100: symbols of a
 * venue are sequential and alike). Requests per symbol come from the stand-in's request log.
 */

const HOUR = 3_600_000;
const VENUES: readonly CcxtVenue[] = ["bybit", "binanceusdm", "okx", "bitget"];
export const POLL_BUDGET_MS = 15 * 60_000;

export interface VenuePacing {
  readonly venue: CcxtVenue;
  readonly rateLimitMs: number;
  /** The first cycle (markets + backfills) and a steady one, ms from the cycle's start to this venue's last answer. */
  readonly firstMs: number;
  readonly steadyMs: number;
  readonly firstRequests: number;
  readonly steadyRequests: number;
  /** Σ cost of the steady cycle's requests, and the part that does not grow with symbols (per-venue calls). */
  readonly steadyCost: number;
  readonly fixedCost: number;
  /** "section:path cost×count" of the steady cycle, most expensive first. */
  readonly endpoints: string;
}

export interface PacingResult {
  readonly symbols: number;
  readonly venues: readonly VenuePacing[];
  readonly firstWallMs: number;
  readonly steadyWallMs: number;
  readonly recorded: number;
  readonly failures: number;
}

interface Charge { venue: string; path: string; cost: number }

/** Records every cost ccxt charges its throttler, per venue class (patched on the class prototype, this process only). */
async function watchCosts(charges: Charge[], rateLimits: Map<string, number>): Promise<void> {
  for (const venue of VENUES) {
    const Class = await venueDescriptor(venue).loadClass();
    const proto = Class.prototype as unknown as { calculateRateLimiterCost: (...args: unknown[]) => number; __benchWatched?: boolean };
    if (proto.__benchWatched === true) continue;
    const original = proto.calculateRateLimiterCost;
    proto.calculateRateLimiterCost = function (this: { id: string; rateLimit: number }, ...args: unknown[]): number {
      const cost = original.apply(this, args);
      // args: api section (e.g. fapiPublic, or [ "public", "mix" ]), HTTP method, path, params, config.
      const section = Array.isArray(args[0]) ? args[0].join(".") : String(args[0]);
      // A request naming no market (a bulk ticker, Binance's fundingInfo) is per venue, not per symbol,
      // even on a path the per-symbol requests share (Bybit's tickers, Binance's ticker/24hr).
      const params = (args[3] ?? {}) as Record<string, unknown>;
      const perVenue = !("symbol" in params) && !("instId" in params);
      charges.push({ venue: this.id, path: `${section}:${String(args[2])}${perVenue ? " (all)" : ""}`, cost });
      rateLimits.set(this.id, this.rateLimit);
      return cost;
    };
    proto.__benchWatched = true;
  }
}

/** Lists `symbols` on every venue of the stand-in with a week of funding, books, tickers, 200 hourly bars, spot and open interest. */
export function standInMarket(server: ExchangeServer, symbols: readonly string[], now: number): void {
  const hour = Math.floor(now / HOUR) * HOUR;
  symbols.forEach((symbol, i) => {
    const price = 10 + i * 7.3;
    for (const venue of VENUES) {
      server.addMarket(venue, symbol, venue === "okx" ? { contractSize: 0.1 } : {});
      const prints = Array.from({ length: 21 }, (_, k) => ({ ts: Math.floor(now / (8 * HOUR)) * 8 * HOUR - (20 - k) * 8 * HOUR, rate: 0.0001 + 0.00001 * Math.sin(k + i) }));
      server.setFundingHistory(venue, symbol, prints);
      server.setCurrentFunding(venue, symbol, { rate: 0.0001, nextFundingTs: (Math.floor(now / (8 * HOUR)) + 1) * 8 * HOUR, intervalHours: 8, markPrice: price, indexPrice: price });
      server.setBook(venue, symbol, {
        bids: Array.from({ length: 50 }, (_, k) => [price * (1 - 0.0001 * (k + 1)), 100 + k] as const),
        asks: Array.from({ length: 50 }, (_, k) => [price * (1 + 0.0001 * (k + 1)), 100 + k] as const),
      });
      server.setTicker(venue, symbol, { last: price, bid: price * 0.9999, ask: price * 1.0001, baseVolume24h: 1e6, quoteVolume24h: 1e6 * price });
      const bars = Array.from({ length: 200 }, (_, k) => ({ ts: hour - (199 - k) * HOUR, open: price, high: price * 1.01, low: price * 0.99, close: price, volume: 1_000 + k }));
      server.setCandles(venue, symbol, bars);
      server.setSpotTicker(venue, symbol, { last: price, bid: price * 0.9999, ask: price * 1.0001, baseVolume24h: 4e5, quoteVolume24h: 4e5 * price });
      server.setSpotCandles(venue, symbol, bars.map((b) => ({ ...b, volume: b.volume / 2 })));
      server.setOpenInterest(venue, symbol, { amount: 5e6, value: 5e6 * price }, bars.map((b) => ({ ts: b.ts, amount: 5e6, value: 5e6 * price })));
    }
  });
}

/** The source, with the time its last call settled (a venue's end of cycle). */
function timed(source: MarketDataSource, lastAnswer: Map<string, number>): MarketDataSource {
  return new Proxy(source, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function" || prop === "close") return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) return result.finally(() => lastAnswer.set(source.venue, performance.now()));
        return result;
      };
    },
  });
}

export async function benchMarketPacing(options: { symbols: number }): Promise<PacingResult> {
  const charges: Charge[] = [];
  const rateLimits = new Map<string, number>();
  await watchCosts(charges, rateLimits);
  const server = new ExchangeServer();
  await server.start();
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-bench-pacing-"));
  const db = await openDatabase(`file:${path.join(dir, "pacing.db")}`);
  const logger = pino({ level: "silent" });
  const symbols = Array.from({ length: options.symbols }, (_, i) => `P${String(i).padStart(3, "0")}/USDT:USDT`);
  standInMarket(server, symbols, Date.now());
  const settings = { ...baseSettings(), symbols, venues: [...VENUES], tradingVenue: "bybit" };
  const app: App = {
    db, logger, clock: Date.now, settings,
    broker: createPaperBroker({ db, takerFeeBps: settings.takerFeeBps, slippageBps: settings.slippageBps, clock: Date.now }),
    dispatch: () => Promise.resolve(),
    notify: () => Promise.resolve(),
  };
  const lastAnswer = new Map<string, number>();
  const sources = VENUES.map((venue) => createCcxtMarketData({ venue, logger, hostOverride: server.url, timeoutMs: 10_000 }));
  const wrapped = sources.map((s) => timed(s, lastAnswer));
  try {
    const cycle = async (): Promise<{ wall: number; perVenue: Map<string, number>; requests: Map<string, number>; charges: Charge[]; recorded: number; failures: number }> => {
      lastAnswer.clear();
      server.requests.length = 0;
      const from = charges.length;
      const start = performance.now();
      const outcome = await recordMarket(app, wrapped);
      const wall = performance.now() - start;
      const perVenue = new Map(VENUES.map((v) => [v, (lastAnswer.get(v) ?? start) - start]));
      const requests = new Map(VENUES.map((v) => [v, server.requestsTo(v).length]));
      return { wall, perVenue, requests, charges: charges.slice(from), recorded: outcome.recorded, failures: outcome.failures.length };
    };
    const first = await cycle();
    const steady = await cycle();
    const venues = VENUES.map((venue): VenuePacing => {
      const mine = steady.charges.filter((c) => c.venue === venue);
      const byPath = new Map<string, { cost: number; count: number }>();
      for (const c of mine) {
        const e = byPath.get(c.path) ?? { cost: 0, count: 0 };
        e.cost += c.cost;
        e.count += 1;
        byPath.set(c.path, e);
      }
      // Symbol-independent calls: requests naming no market, or endpoints called fewer times than there are symbols.
      const fixedCost = [...byPath.entries()].filter(([p, e]) => p.endsWith(" (all)") || e.count < options.symbols).reduce((s, [, e]) => s + e.cost, 0);
      return {
        venue, rateLimitMs: rateLimits.get(venue) ?? Number.NaN,
        firstMs: first.perVenue.get(venue) ?? 0, steadyMs: steady.perVenue.get(venue) ?? 0,
        firstRequests: first.requests.get(venue) ?? 0, steadyRequests: steady.requests.get(venue) ?? 0,
        steadyCost: mine.reduce((s, c) => s + c.cost, 0), fixedCost,
        endpoints: [...byPath.entries()].sort((a, b) => b[1].cost - a[1].cost)
          .map(([p, e]) => `${p} ${+(e.cost / e.count).toFixed(2)}×${e.count}`).join(", "),
      };
    });
    return { symbols: options.symbols, venues, firstWallMs: first.wall, steadyWallMs: steady.wall, recorded: steady.recorded, failures: first.failures + steady.failures };
  } finally {
    await Promise.all(sources.map((s) => s.close()));
    await server.stop();
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Σ cost × rateLimit for `symbols`, from the steady cycle of `measured` symbols: fixed + per-symbol × symbols. */
export function ccxtFloorMs(v: VenuePacing, measured: number, symbols: number): number {
  const perSymbol = (v.steadyCost - v.fixedCost) / measured;
  return (v.fixedCost + perSymbol * symbols) * v.rateLimitMs;
}
