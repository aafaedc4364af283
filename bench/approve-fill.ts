import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Queue, Worker } from "bullmq";
import Decimal from "decimal.js";
import { Redis } from "ioredis";
import { fillHook } from "./fill-hook";
import type { AppSettings } from "../src/app/context";
import { settingsFromConfig } from "../src/app/settings-from-config";
import { loadConfig } from "../src/config";
import { newProposalId } from "../src/app/compute-signals";
import { approveProposal } from "../src/app/decide-proposal";
import { redisAnswers } from "../src/queue/redis";
import { startRuntime, type Runtime } from "../src/runtime";
import { openDatabase, type Db } from "../src/store/database";
import { insertProposal } from "../src/store/trade-repo";

/**
 * Approve → paper fill latency through the real queue and database: a worker-role runtime (paper
 * broker, temp SQLite, BullMQ on the shared Redis under a prefix of its own, removed afterwards),
 * N fresh quotes and pending proposals, approved one at a time. The clock stops when the fill is
 * committed: the runtime logs "paper entry filled" right after that transaction, and a logger
 * stream hooked here resolves the wait synchronously (no polling); the Position row is checked to
 * exist at that instant. Baselines from the same run, same Redis, same file: one BullMQ
 * add → process round trip with an empty processor, and one SQLite transaction (one upsert).
 */

export interface Distribution {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface ApproveFillResult {
  readonly approvals: number;
  readonly fill: Distribution;
  /** Approve call alone (its transaction and the dispatch to Redis). */
  readonly approveCall: Distribution;
  readonly queueRoundTrip: Distribution;
  readonly transaction: Distribution;
  readonly missingPositions: number;
}

export function distribution(samples: readonly number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

export function settings(): AppSettings {
  // The defaults a user gets, on one venue and symbol, with equity large enough never to run out.
  return { ...settingsFromConfig(loadConfig({})), symbols: ["MNT/USDT:USDT"], venues: ["bybit"], tradingVenue: "bybit", startingEquity: 10_000_000 };
}

/** A fresh quote and a pending proposal (short, 5,000 USDT at 5x), as the signal job would leave them. */
export async function seedProposal(db: Db, now: number, symbol: string): Promise<string> {
  const id = newProposalId();
  const price = 0.6;
  await db.marketSnapshot.create({
    data: {
      venue: "bybit", symbol, ts: new Date(now), fundingRate: 0.0001, nextFundingTs: new Date(Math.floor(now / 28_800_000) * 28_800_000 + 28_800_000),
      fundingIntervalHours: 8, markPrice: price, lastPrice: price, bid: price * 0.9999, ask: price * 1.0001, baseVolume24h: 1e6, quoteVolume24h: 1e6 * price,
      bookJson: JSON.stringify({ bids: [[price * 0.9999, 1e6]], asks: [[price * 1.0001, 1e6]] }),
    },
  });
  await db.$transaction((tx) => insertProposal(tx, {
    id, symbol, venue: "bybit", side: "short", signalId: null, refPrice: price, quantity: new Decimal(5000).div(price).toDecimalPlaces(3, Decimal.ROUND_DOWN),
    notionalUsd: new Decimal(5000), marginUsd: new Decimal(1000), leverage: 5, stopPrice: price * 1.02, takeProfitPrice: price * 0.97,
    liquidationPrice: price * 1.195, expectedFeesUsd: new Decimal("7.5"), expectedFundingUsd: new Decimal(0), horizonHours: 8,
    createdAt: now, expiresAt: now + 30 * 60_000, autoExecute: false,
  }, [], now));
  return id;
}

async function queueRoundTrips(connection: Redis, prefix: string, count: number): Promise<number[]> {
  const queue = new Queue("bench-baseline", { connection, prefix });
  const waiters = new Map<string, () => void>();
  const worker = new Worker("bench-baseline", () => Promise.resolve(), { connection, prefix, concurrency: 1 });
  worker.on("completed", (job) => waiters.get(job.id ?? "")?.());
  await worker.waitUntilReady();
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const jobId = `rt-${i}`;
      const done = new Promise<void>((resolve) => waiters.set(jobId, resolve));
      const t0 = performance.now();
      await queue.add("rt", { i }, { jobId, removeOnComplete: true });
      await done;
      samples.push(performance.now() - t0);
      waiters.delete(jobId);
    }
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  return samples;
}

async function transactions(db: Db, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const t0 = performance.now();
    await db.$transaction(async (tx) => {
      await tx.setting.upsert({ where: { key: "bench.tx" }, create: { key: "bench.tx", value: String(i) }, update: { value: String(i) } });
    });
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** Removes one run's queues from the shared Redis (its own prefix only; nothing else is touched). */
export async function removePrefix(redis: Redis, prefix: string): Promise<void> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

export async function benchApproveFill(options: { approvals: number; redisUrl: string }): Promise<ApproveFillResult | { skipped: string }> {
  if (!(await redisAnswers(options.redisUrl))) return { skipped: `no Redis answers at ${options.redisUrl}` };
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-bench-"));
  const prefix = `bench${randomBytes(5).toString("hex")}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  let db: Db | null = null;
  let runtime: Runtime | null = null;
  try {
    db = await openDatabase(`file:${path.join(dir, "bench.db")}`);
    const { waiters, logger } = fillHook();
    runtime = await startRuntime({
      roles: ["worker"], db, logger, settings: settings(), redis, queuePrefix: prefix, sources: [], transports: [], schedule: false,
    });
    const app = runtime.app;
    const ids: string[] = [];
    for (let i = 0; i < options.approvals; i += 1) ids.push(await seedProposal(db, app.clock(), `B${i}/USDT:USDT`));

    const fills: number[] = [];
    const approveCalls: number[] = [];
    let missingPositions = 0;
    // A few untimed approvals first: JIT, Prisma's first queries, BullMQ's script loading.
    const warmup = Math.min(10, Math.floor(ids.length / 10));
    for (const [i, id] of ids.entries()) {
      const filled = new Promise<number>((resolve) => waiters.set(id, () => resolve(performance.now())));
      const t0 = performance.now();
      await approveProposal(app, id, { platform: "console", userId: "bench", displayName: "bench" });
      const t1 = performance.now();
      const at = await Promise.race([filled, new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), 10_000))]);
      waiters.delete(id);
      if (Number.isNaN(at) || (await db.position.count({ where: { proposalId: id } })) === 0) missingPositions += 1;
      if (i < warmup) continue;
      fills.push(at - t0);
      approveCalls.push(t1 - t0);
    }
    await runtime.stop();
    runtime = null;

    const roundTrips = await queueRoundTrips(redis, prefix, options.approvals);
    const txs = await transactions(db, options.approvals);
    return {
      approvals: fills.length, fill: distribution(fills), approveCall: distribution(approveCalls), queueRoundTrip: distribution(roundTrips.slice(warmup)),
      transaction: distribution(txs.slice(warmup)), missingPositions,
    };
  } finally {
    await runtime?.stop().catch(() => undefined);
    await removePrefix(redis, prefix);
    redis.disconnect();
    await db?.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
