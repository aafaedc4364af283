import Decimal from "decimal.js";
import { afterEach, describe, expect, it } from "vitest";
import { sendDigestJob } from "../../jobs/send-digest";
import { sendDueDigest } from "../../src/app/digest";
import { approveProposal } from "../../src/app/decide-proposal";
import { closeTrade, executeProposal } from "../../src/app/execute-proposal";
import { monitorTrades } from "../../src/app/monitor-trades";
import { applyAccount } from "../../src/app/trading-state";
import { formatUsd } from "../../src/chat/render/proposal-card";
import { nextSlotAfter, type DigestSchedule } from "../../src/core/digest-slots";
import { createQueues, closeQueues, QUEUE, schedulersPresent, upsertSchedulers, type SchedulePlan } from "../../src/queue/queues";
import { startReconciler } from "../../src/queue/reconciler";
import { startRuntime } from "../../src/runtime";
import { startWorkers } from "../../src/queue/workers";
import { freshPrefix, newRedis, recordingApp, silentLogger, tempDatabase, testSettings, type RecordingApp } from "../support/test-env";
import { seedProposal, seedSnapshot } from "../support/fixtures";

const alice = { platform: "telegram" as const, userId: "111", displayName: "alice" };
const LONDON: DigestSchedule = { times: ["08:00", "20:00"], zone: "Europe/London" };
/** 08:00 in London on the day the clocks go forward (07:00 UTC); the slot before is 20:00 UTC the day before. */
const SLOT = Date.UTC(2026, 2, 29, 7, 0, 0);
const PREVIOUS = Date.UTC(2026, 2, 28, 20, 0, 0);
const HOUR = 3_600_000;

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function app(now: number, settings: Parameters<typeof recordingApp>[0] = {}): Promise<RecordingApp> {
  const env = await recordingApp({ now, ...settings, settings: { digest: LONDON, ...settings.settings } });
  cleanups.push(env.cleanup);
  return env;
}

const digestRows = (env: RecordingApp) => env.app.db.intent.findMany({ where: { id: { startsWith: "text-digest-" } }, orderBy: { createdAt: "asc" } });
const textOf = (row: { payloadJson: string }): string => (JSON.parse(row.payloadJson) as { text: string }).text;

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A short at 0.6 opened at `openAt` and stopped out an hour later: returns its net result. */
async function stoppedOutShort(env: RecordingApp, openAt: number): Promise<Decimal> {
  env.setNow(openAt);
  const id = await seedProposal(env.app, { side: "short", price: 0.6 });
  await approveProposal(env.app, id, alice);
  await executeProposal(env.app, id);
  const { stopPrice } = await env.app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
  env.setNow(openAt + HOUR);
  await seedSnapshot(env.app, { price: Number(stopPrice) * 1.01 });
  for (const exit of (await monitorTrades(env.app)).exiting) await closeTrade(env.app, exit.proposalId);
  return new Decimal((await env.app.db.position.findUniqueOrThrow({ where: { proposalId: id } })).realizedPnl ?? "0");
}

describe("the digest job on the real Redis", () => {
  it("run twice for one slot (a late and a repeated firing) writes one digest, with the digest event", async () => {
    const env = await app(SLOT + 5_000);
    const redis = newRedis();
    const prefix = freshPrefix();
    const queues = createQueues(redis, prefix);
    cleanups.push(() => redis.quit(), () => closeQueues(queues));
    const workers = startWorkers([{ queue: QUEUE.digest, processor: sendDigestJob({ app: env.app }), concurrency: 2 }], { connection: redis, prefix, logger: silentLogger, db: env.app.db, clock: env.app.clock });
    cleanups.push(() => workers.close());
    await queues[QUEUE.digest].add("digest", { reason: "schedule 08:00" });
    await queues[QUEUE.digest].add("digest", { reason: "schedule 08:00, again" });
    await waitUntil(async () => (await queues[QUEUE.digest].getJobCountByTypes("completed")) === 2);
    const rows = await digestRows(env);
    expect(rows.map((r) => r.id)).toEqual(["text-digest-2026-03-29T08:00-Europe/London"]);
    expect(JSON.parse(rows[0]?.payloadJson ?? "{}")).toMatchObject({ kind: "text", event: "digest", key: "digest-2026-03-29T08:00-Europe/London" });
    expect(env.dispatched.filter((id) => id.startsWith("text-digest-"))).toHaveLength(1);
  });

  it("the same slot after a restart adds nothing; more than 3 hours late it is skipped; the next slot is its own digest", async () => {
    const env = await app(SLOT);
    expect(await sendDueDigest(env.app)).toMatchObject({ status: "sent", slot: { key: "digest-2026-03-29T08:00-Europe/London" } });
    env.setNow(SLOT + 2 * HOUR);
    expect(await sendDueDigest(env.app)).toMatchObject({ status: "already-sent" });
    env.setNow(Date.UTC(2026, 2, 29, 19, 0, 0) + 3 * HOUR + 60_000); // 20:00 BST + 3 h 1 min
    expect(await sendDueDigest(env.app)).toMatchObject({ status: "too-late", slot: { key: "digest-2026-03-29T20:00-Europe/London" } });
    env.setNow(Date.UTC(2026, 2, 30, 7, 0, 30));
    expect(await sendDueDigest(env.app)).toMatchObject({ status: "sent", slot: { key: "digest-2026-03-30T08:00-Europe/London" } });
    expect((await digestRows(env)).map((r) => r.id)).toEqual(["text-digest-2026-03-29T08:00-Europe/London", "text-digest-2026-03-30T08:00-Europe/London"]);
  });

  it("nothing without a configured digest", async () => {
    const env = await recordingApp({ now: SLOT });
    cleanups.push(env.cleanup);
    expect(await sendDueDigest(env.app)).toBeNull();
    expect(await digestRows(env)).toEqual([]);
  });
});

describe("what the digest says", () => {
  it("in UTC (the default zone, written without luxon): today's times bare, another day's with weekday, day and month", async () => {
    const UTC_SCHEDULE: DigestSchedule = { times: ["08:00", "20:00"], zone: "UTC" };
    const slot = Date.UTC(2026, 2, 29, 8, 0, 0);
    const env = await app(slot - 11 * HOUR, { settings: { digest: UTC_SCHEDULE } });
    await stoppedOutShort(env, slot - 11 * HOUR); // opened 21:00 on the 28th, closed 22:00: this digest's
    await env.app.db.signal.create({ data: { symbol: "MNT/USDT:USDT", venue: "bybit", ts: new Date(slot - 5 * 60_000), direction: "short", fired: true, score: -0.41, confidence: 0.7, horizonHours: 8, explanation: "x", streamsJson: "{}", modelVersion: "prior-v1" } });
    env.setNow(slot + 60_000);
    await sendDueDigest(env.app);
    const text = textOf((await digestRows(env))[0] ?? { payloadJson: "{}" });
    expect(text).toContain("📋 Digest for Sun 29 Mar 08:00 (UTC), PAPER trading");
    expect(text).toContain("Since Sat 28 Mar 20:00: 1 trade closed");
    expect(text).toContain("  MNT/USDT:USDT: SHORT fired, score -0.41, at 07:55.");
  });

  it("the trades closed since the previous slot (net, once), the pause, open positions, signals, funding, data and delivery problems, in London time", async () => {
    const env = await app(PREVIOUS - 3 * HOUR);
    await stoppedOutShort(env, PREVIOUS - 3 * HOUR); // closed 18:00 UTC on the 28th: the previous digest's
    const inPeriod = await stoppedOutShort(env, PREVIOUS + HOUR); // closed 22:00 UTC: this digest's
    env.setNow(SLOT - 2 * HOUR);
    const openId = await seedProposal(env.app, { side: "short", price: 0.6 });
    await approveProposal(env.app, openId, alice);
    await executeProposal(env.app, openId);
    await seedSnapshot(env.app, { price: 0.59, ts: SLOT });
    await env.app.db.signal.create({ data: { symbol: "MNT/USDT:USDT", venue: "bybit", ts: new Date(SLOT - 5 * 60_000), direction: "short", fired: true, score: -0.41, confidence: 0.7, horizonHours: 8, explanation: "x", streamsJson: "{}", modelVersion: "prior-v1" } });
    await applyAccount(env.app, { kind: "pause", by: "alice (telegram)", reason: "CPI print" });
    await env.app.db.intent.create({ data: { id: "text-lost", kind: "text", payloadJson: "{}", status: "failed", createdAt: new Date(SLOT - HOUR), doneAt: new Date(SLOT - HOUR) } });

    env.setNow(SLOT + 10 * 60_000);
    await sendDueDigest(env.app);
    const text = textOf((await digestRows(env))[0] ?? { payloadJson: "{}" });
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text).toContain("📋 Digest for Sun 29 Mar 08:00 (Europe/London), PAPER trading");
    expect(text).toContain("Sent 10m late: the worker was not running at 08:00.");
    expect(text).toContain(`Since Sat 28 Mar 20:00: 1 trade closed (0 won, 1 lost), realised ${formatUsd(inPeriod)} net`);
    expect(text).toContain(" net — the fees of ");
    expect(text).toContain("Trading is PAUSED by alice (telegram) since 06:00 (CPI print); /resume lifts it.");
    expect(text).toMatch(new RegExp(`Open positions \\(1\\)[^\\n]*\\n  ${openId} MNT/USDT:USDT SHORT 8,333\\.333 MNT on bybit: entry 0\\.59\\d+, mark 0\\.59, stop 0\\.61\\d*, unrealised \\+[\\d.]+ USDT\\n`));
    expect(text).toContain("  MNT/USDT:USDT: SHORT fired, score -0.41, at 07:55.");
    expect(text).toMatch(/Next funding:\n {2}MNT\/USDT:USDT: bybit 09:00 \(\+0\.01% per 8h\)/);
    expect(text).toContain("Market data problems:\n  bybit: never polled");
    expect(text).toContain("⚠️ 1 alert since Sat 28 Mar 20:00 could not be delivered after every retry");
    expect(text).toContain("Next digest: 20:00.");

    // The next slot counts the trades closed after 08:00 only: none. Each result is in one digest.
    env.setNow(Date.UTC(2026, 2, 29, 19, 0, 0));
    await sendDueDigest(env.app);
    const evening = textOf((await digestRows(env))[1] ?? { payloadJson: "{}" });
    expect(evening).toContain("Since 08:00: no trades closed.");
    expect(evening).toContain("Next digest: Mon 30 Mar 08:00.");
  });

  it("keeps every section within Telegram's 4,096 characters however many symbols are watched", async () => {
    const symbols = Array.from({ length: 80 }, (_, i) => `COIN${i}/USDT:USDT`);
    const env = await app(SLOT, { settings: { digest: LONDON, symbols, venues: ["bybit", "okx", "binanceusdm"] } });
    await sendDueDigest(env.app);
    const text = textOf((await digestRows(env))[0] ?? { payloadJson: "{}" });
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text).toContain("  COIN9/USDT:USDT: no signal yet.\n  … and 70 more: /signals\nNext funding:");
    expect(text).toContain("  … and 70 more: /funding\nNext digest: 20:00.");
    expect(text).toContain("Market data problems:\n  bybit: never polled\n  okx: never polled\n  binanceusdm: never polled");
  });
});

describe("the digest schedulers", () => {
  const plan: SchedulePlan = { pollEveryMs: 15 * 60_000, monitorEveryMs: 60_000, digest: LONDON };

  function queuesOnFreshPrefix() {
    const redis = newRedis();
    const prefix = freshPrefix();
    const queues = createQueues(redis, prefix);
    cleanups.push(() => redis.quit(), () => closeQueues(queues));
    const digestSchedulers = async () => (await queues[QUEUE.digest].getJobSchedulers()).map((s) => [s.key, s.pattern, s.tz]).sort();
    return { redis, prefix, queues, digestSchedulers };
  }

  it("one cron scheduler per local time in the digest's zone, firing when the slot falls; changing the times replaces them", async () => {
    const { queues, digestSchedulers } = queuesOnFreshPrefix();
    for (let i = 0; i < 3; i += 1) await upsertSchedulers(queues, plan);
    expect(await digestSchedulers()).toEqual([["digest-0800", "0 0 8 * * *", "Europe/London"], ["digest-2000", "0 0 20 * * *", "Europe/London"]]);
    expect(await schedulersPresent(queues, plan)).toBe(true);
    // BullMQ's cron and the job's own slot arithmetic agree on when 08:00 London next comes.
    const next = (await queues[QUEUE.digest].getJobScheduler("digest-0800"))?.next;
    expect(next).toBe(nextSlotAfter({ times: ["08:00"], zone: "Europe/London" }, Date.now()).ts);

    const changed: SchedulePlan = { ...plan, digest: { times: ["07:30"], zone: "America/New_York" } };
    await upsertSchedulers(queues, changed);
    expect(await digestSchedulers()).toEqual([["digest-0730", "0 30 7 * * *", "America/New_York"]]);
    expect(await schedulersPresent(queues, plan)).toBe(false);
    expect(await schedulersPresent(queues, changed)).toBe(true);
    // No digest configured: none left behind.
    await upsertSchedulers(queues, { pollEveryMs: plan.pollEveryMs, monitorEveryMs: plan.monitorEveryMs });
    expect(await digestSchedulers()).toEqual([]);
  });

  it("gone after Redis loses its keys, then re-created by the reconciler's next pass", async () => {
    const { redis, prefix, queues, digestSchedulers } = queuesOnFreshPrefix();
    const env = await app(Date.now());
    const reconciler = startReconciler({ app: env.app, queues, intervalMs: 3_600_000, schedule: plan });
    cleanups.push(() => reconciler.stop());
    await reconciler.runOnce();
    expect(await schedulersPresent(queues, plan)).toBe(true);
    // FLUSHALL, limited to this test's keys: the Redis is shared with other tests.
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    expect(await digestSchedulers()).toEqual([]);
    expect(await schedulersPresent(queues, plan)).toBe(false);
    expect((await reconciler.runOnce()).schedulersRestored).toBe(true);
    expect(await digestSchedulers()).toEqual([["digest-0800", "0 0 8 * * *", "Europe/London"], ["digest-2000", "0 0 20 * * *", "Europe/London"]]);
    expect(await schedulersPresent(queues, plan)).toBe(true);
  });

  it("a lost digest scheduler alone is noticed too", async () => {
    const { queues } = queuesOnFreshPrefix();
    await upsertSchedulers(queues, plan);
    await queues[QUEUE.digest].removeJobScheduler("digest-2000");
    expect(await schedulersPresent(queues)).toBe(true); // without the plan only the fixed schedulers are known
    expect(await schedulersPresent(queues, plan)).toBe(false);
  });
});

describe("the worker role", () => {
  it("schedules the digest from its settings and runs the job into the outbox", async () => {
    const { db, cleanup } = await tempDatabase();
    const redis = newRedis();
    cleanups.push(cleanup, () => redis.quit());
    const runtime = await startRuntime({
      roles: ["worker"], db, logger: silentLogger, settings: testSettings({ digest: LONDON }), redis, queuePrefix: freshPrefix(),
      sources: [], transports: [], schedule: true, clock: () => SLOT + 5_000,
    });
    cleanups.push(() => runtime.stop());
    expect(await schedulersPresent(runtime.queues, { pollEveryMs: 15 * 60_000, monitorEveryMs: 60_000, digest: LONDON })).toBe(true);
    await runtime.queues[QUEUE.digest].add("digest", { reason: "test" });
    await waitUntil(async () => (await db.intent.count({ where: { id: "text-digest-2026-03-29T08:00-Europe/London" } })) === 1);
  });
});
