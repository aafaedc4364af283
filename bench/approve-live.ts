import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Decimal from "decimal.js";
import { Redis } from "ioredis";
import pino from "pino";
import { fillHook } from "./fill-hook";
import { newProposalId } from "../src/app/compute-signals";
import { approveProposal } from "../src/app/decide-proposal";
import { createLiveBroker, DIALECTS } from "../src/exchange/live/live-broker";
import { createLiveExchange, type LiveCredentials } from "../src/exchange/live/ccxt-client";
import type { LiveVenue } from "../src/exchange/live/venue-dialect";
import { redisAnswers } from "../src/queue/redis";
import { startRuntime, type Runtime } from "../src/runtime";
import { openDatabase, type Db } from "../src/store/database";
import { insertProposal } from "../src/store/trade-repo";
import { ExchangeServer } from "../test/stand-ins/exchange-server";
import { distribution, removePrefix, settings, type Distribution } from "./approve-fill";

/**
 * Approve → live entry filled, through the real queue, database and ccxt client: a worker-role
 * runtime whose broker is the live broker (`createLiveBroker`, as `src/main.ts` makes it, with the
 * production settle delays and ccxt's own rate limiter on) pointed at the exchange stand-in
 * (`test/stand-ins/exchange-server.ts`, started here on 127.0.0.1). N pending proposals on one
 * symbol, approved one at a time; the clock stops when the runtime logs "live entry filled" (right
 * after the fill commits). Between approvals, untimed: the trade's protect job (stop-loss and
 * take-profit placed and verified) is waited for, and the venue position is closed behind the bot,
 * so every approval meets the same venue state and no previous trade's work is in the queue.
 * The reconciler's periodic pass is off (it would compare positions in the middle of the timing).
 *
 * Baselines from the same run, same stand-in, same machine:
 * - one signed ccxt `createOrder` of the same market order, straight from a fresh ccxt client with
 *   the same options (as from an idle rate limiter: see createOrderRoundTrips). The ratio to it is
 *   everything perpbot adds: the approval's transaction and dispatch, a BullMQ round trip, the
 *   gate, the look-up before sending, the send time committed before the request, the request,
 *   the look-up that confirms the fill, the fill's transaction — and ccxt's rate limiter, which
 *   paces those requests to the venue's documented limits (cost × rateLimit apart).
 * - the live broker alone: a second `createLiveBroker` making the same venue dialogue
 *   (`findOrder`, then `placeOrder`: look-up, send, confirm) with no queue and no database. The
 *   ratio to it is what the queue, the database and the lifecycle add on top of the venue dialogue.
 * Every timed sample starts from an idle rate limiter (an untimed pause before it).
 */

export interface ApproveLiveResult {
  readonly venue: LiveVenue;
  readonly approvals: number;
  readonly fill: Distribution;
  /** The approve call alone (its transaction and the dispatch to Redis). */
  readonly approveCall: Distribution;
  /** Venue requests per approval until the fill committed (median). */
  readonly requests: number;
  /** One signed createOrder straight through ccxt. */
  readonly createOrder: Distribution;
  /** The live broker alone: findOrder + placeOrder (the same requests, the same rate limiter), no queue, no database. */
  readonly brokerAlone: Distribution;
  readonly missing: number;
}

const SYMBOL = "MNT/USDT:USDT";
const PRICE = 0.5;
const QUANTITY = 1000;
const CREDENTIALS: LiveCredentials = { apiKey: "stand-in-key", secret: "stand-in-secret", passphrase: "stand-in-pass" };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Long enough for ccxt's limiter to be idle again after the last request (cost × rateLimit). */
const IDLE_MS = 300;

/** A fresh quote at the stand-in's price and a pending long proposal, as the signal job would leave them. */
async function seedProposal(db: Db, venue: LiveVenue, now: number): Promise<string> {
  const id = newProposalId();
  await db.marketSnapshot.create({
    data: {
      venue, symbol: SYMBOL, ts: new Date(now), fundingRate: 0.0001, nextFundingTs: new Date(Math.floor(now / 28_800_000) * 28_800_000 + 28_800_000),
      fundingIntervalHours: 8, markPrice: PRICE, lastPrice: PRICE, bid: PRICE - 0.0001, ask: PRICE + 0.0001, baseVolume24h: 1e7, quoteVolume24h: 5e6,
      bookJson: JSON.stringify({ bids: [[PRICE - 0.0001, 1e7]], asks: [[PRICE + 0.0001, 1e7]] }),
    },
  });
  await db.$transaction((tx) => insertProposal(tx, {
    id, symbol: SYMBOL, venue, side: "long", signalId: null, refPrice: PRICE, quantity: new Decimal(QUANTITY),
    notionalUsd: new Decimal(QUANTITY * PRICE), marginUsd: new Decimal((QUANTITY * PRICE) / 5), leverage: 5, stopPrice: PRICE * 0.98, takeProfitPrice: PRICE * 1.03,
    liquidationPrice: PRICE * 0.805, expectedFeesUsd: new Decimal("0.55"), expectedFundingUsd: new Decimal(0), horizonHours: 8,
    createdAt: now, expiresAt: now + 30 * 60_000, autoExecute: false,
  }, [], now));
  return id;
}

async function until(test: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await test()) return true;
    await sleep(5);
  }
  return false;
}

/**
 * Signed createOrder round trips from a fresh ccxt client. Its rate limiter is off: a single
 * request from an idle limiter never waits, and back-to-back samples would otherwise measure the
 * limiter's pacing of the previous sample (cost × rateLimit), not the round trip.
 */
async function createOrderRoundTrips(server: ExchangeServer, venue: LiveVenue, count: number): Promise<number[]> {
  const exchange = createLiveExchange(venue, CREDENTIALS, { timeoutMs: 10_000, hostOverride: server.url });
  exchange.enableRateLimit = false;
  await exchange.loadMarkets();
  const dialect = DIALECTS[venue];
  const amount = Number(exchange.amountToPrecision(SYMBOL, QUANTITY / (exchange.market(SYMBOL).contractSize ?? 1)));
  const samples: number[] = [];
  const account = server.accounts[venue];
  for (let i = 0; i < count; i += 1) {
    const clientId = dialect.clientOrderId(`b${randomBytes(6).toString("hex")}-e`);
    const t0 = performance.now();
    await exchange.createOrder(SYMBOL, "market", "buy", amount, undefined, dialect.marketOrderParams(clientId, false));
    samples.push(performance.now() - t0);
    if (account.positions.has(SYMBOL)) account.closeBehindTheBot(SYMBOL, PRICE);
  }
  return samples;
}

/** The live broker's own dialogue for an entry, timed: look-up first, then send and confirm. */
async function brokerAloneRoundTrips(server: ExchangeServer, venue: LiveVenue, count: number, warmup: number): Promise<number[]> {
  const broker = createLiveBroker({ venue, credentials: CREDENTIALS, logger: pino({ level: "silent" }), leverage: 5, marginMode: "isolated", timeoutMs: 10_000, hostOverride: server.url });
  const account = server.accounts[venue];
  const market = { referencePrice: PRICE, book: null };
  const samples: number[] = [];
  for (let i = 0; i < count + warmup; i += 1) {
    await sleep(IDLE_MS);
    const clientOrderId = `${newProposalId()}-e`;
    const t0 = performance.now();
    if ((await broker.findOrder(venue, SYMBOL, clientOrderId)) !== null) throw new Error(`bench: ${clientOrderId} exists before it was sent`);
    const placed = await broker.placeOrder({ clientOrderId, venue, symbol: SYMBOL, side: "buy", quantity: new Decimal(QUANTITY), reduceOnly: false, market });
    const elapsed = performance.now() - t0;
    if (placed.status !== "filled") throw new Error(`bench: the broker-alone order ended ${placed.status}`);
    if (i >= warmup) samples.push(elapsed);
    if (account.positions.has(SYMBOL)) account.closeBehindTheBot(SYMBOL, PRICE);
  }
  return samples;
}

export async function benchApproveLive(options: { venue: LiveVenue; approvals: number; redisUrl: string }): Promise<ApproveLiveResult | { skipped: string }> {
  if (!(await redisAnswers(options.redisUrl))) return { skipped: `no Redis answers at ${options.redisUrl}` };
  const { venue } = options;
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-bench-live-"));
  const prefix = `benchlive${randomBytes(5).toString("hex")}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const server = new ExchangeServer();
  let db: Db | null = null;
  let runtime: Runtime | null = null;
  try {
    await server.start();
    server.addMarket(venue, SYMBOL, venue === "okx" ? { contractSize: 10 } : {});
    server.setTicker(venue, SYMBOL, { last: PRICE, bid: PRICE - 0.0001, ask: PRICE + 0.0001, baseVolume24h: 1e7, quoteVolume24h: 5e6 });
    const account = server.accounts[venue];
    account.walletBalance = 1e12;
    db = await openDatabase(`file:${path.join(dir, "bench.db")}`);
    const { waiters, logger } = fillHook();
    const broker = createLiveBroker({ venue, credentials: CREDENTIALS, logger, leverage: 5, marginMode: "isolated", timeoutMs: 10_000, hostOverride: server.url });
    runtime = await startRuntime({
      roles: ["worker"], db, logger, settings: { ...settings(), tradingVenue: venue, venues: [venue] }, redis, queuePrefix: prefix, sources: [], transports: [],
      schedule: false, broker, reconcileIntervalMs: 3_600_000,
    });
    const app = runtime.app;
    const observer = db;

    const fills: number[] = [];
    const approveCalls: number[] = [];
    const requests: number[] = [];
    let missing = 0;
    // A few untimed approvals first: JIT, Prisma's first queries, BullMQ's scripts, ccxt's markets, leverage.
    const warmup = Math.min(10, Math.floor(options.approvals / 10));
    for (let i = 0; i < options.approvals + warmup; i += 1) {
      const id = await seedProposal(observer, venue, app.clock());
      await sleep(IDLE_MS);
      const filled = new Promise<number>((resolve) => waiters.set(id, () => resolve(performance.now())));
      const r0 = server.requests.length;
      const t0 = performance.now();
      await approveProposal(app, id, { platform: "console", userId: "bench", displayName: "bench" });
      const t1 = performance.now();
      const at = await Promise.race([filled, sleep(15_000).then(() => Number.NaN)]);
      const r1 = server.requests.length;
      waiters.delete(id);
      const position = await observer.position.count({ where: { proposalId: id, mode: "live" } });
      if (Number.isNaN(at) || position === 0) missing += 1;
      // Untimed: the protect job finishes, then the position is closed on the venue (its stops go with it).
      await until(async () => (await observer.intent.findUnique({ where: { id: `protect-${id}` }, select: { status: true } }))?.status !== "pending", 15_000);
      if (account.positions.has(SYMBOL)) account.closeBehindTheBot(SYMBOL, PRICE);
      if (i < warmup) continue;
      fills.push(at - t0);
      approveCalls.push(t1 - t0);
      requests.push(r1 - r0);
    }
    await runtime.stop();
    runtime = null;
    const createOrders = await createOrderRoundTrips(server, venue, options.approvals + warmup);
    const brokerAlone = await brokerAloneRoundTrips(server, venue, options.approvals, warmup);
    requests.sort((a, b) => a - b);
    return {
      venue, approvals: fills.length, fill: distribution(fills), approveCall: distribution(approveCalls), requests: requests[Math.floor(requests.length / 2)] ?? 0,
      createOrder: distribution(createOrders.slice(warmup)), brokerAlone: distribution(brokerAlone), missing,
    };
  } finally {
    await runtime?.stop().catch(() => undefined);
    await removePrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await db?.$disconnect();
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
