import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "bullmq";
import { executeTradeJob } from "../../jobs/execute-trade";
import { approveProposal } from "../../src/app/decide-proposal";
import { executeProposal } from "../../src/app/execute-proposal";
import { createQueues, closeQueues, QUEUE, upsertSchedulers, type JobData } from "../../src/queue/queues";
import { startWorkers } from "../../src/queue/workers";
import { freshPrefix, newRedis, recordingApp, silentLogger } from "../support/test-env";
import { seedProposal, seedSnapshot } from "../support/fixtures";

const alice = { platform: "telegram" as const, userId: "111", displayName: "alice" };
let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup() {
  const env = await recordingApp({ now: Date.now() });
  const redis = newRedis();
  const prefix = freshPrefix();
  const queues = createQueues(redis, prefix);
  cleanups.push(env.cleanup, () => redis.quit(), () => closeQueues(queues));
  return { ...env, redis, prefix, queues };
}

describe("BullMQ on the real Redis", () => {
  it("keeps one scheduler per id however often the process restarts", async () => {
    const { queues } = await setup();
    for (let i = 0; i < 3; i += 1) await upsertSchedulers(queues, { pollEveryMs: 15 * 60_000, monitorEveryMs: 60_000 });
    await upsertSchedulers(queues, { pollEveryMs: 5 * 60_000, monitorEveryMs: 60_000 });
    const poll = await queues[QUEUE.poll].getJobSchedulers();
    expect(poll.map((s) => [s.key, s.every])).toEqual([["poll-market", 300_000]]);
    expect(await queues[QUEUE.monitor].getJobSchedulersCount()).toBe(1);
  });

  it("de-duplicates execution by proposal and places one paper order", async () => {
    const { app, queues, redis, prefix } = await setup();
    await seedSnapshot(app, { price: 0.6 });
    const id = await seedProposal(app);
    await approveProposal(app, id, alice);
    for (let i = 0; i < 3; i += 1) await queues[QUEUE.execution].add("execute", { intentId: `execute-${id}`, proposalId: id, action: "execute" }, { jobId: `execute-${id}` });
    expect(await queues[QUEUE.execution].getJobCountByTypes("waiting")).toBe(1);
    const workers = startWorkers([{ queue: QUEUE.execution, processor: executeTradeJob({ app }), concurrency: 4 }], { connection: redis, prefix, logger: silentLogger, db: app.db, clock: app.clock });
    cleanups.push(() => workers.close());
    await waitUntil(async () => (await queues[QUEUE.execution].getJobCountByTypes("completed")) === 1);
    expect(await app.db.order.count()).toBe(1);
  });

  it("re-runs a job whose worker died mid-way without placing a second order", async () => {
    const { app, queues, redis, prefix } = await setup();
    await seedSnapshot(app, { price: 0.6 });
    const id = await seedProposal(app);
    await approveProposal(app, id, alice);
    const lock = { lockDuration: 1000, stalledInterval: 500 };
    // The first worker commits the order, then "crashes" before telling Redis the job is done.
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => { crashed = resolve; });
    const dying = startWorkers([{
      queue: QUEUE.execution,
      processor: async (job: Job<JobData[typeof QUEUE.execution]>) => {
        await executeProposal(app, job.data.proposalId);
        crashed();
        return new Promise(() => undefined);
      },
    }], { connection: redis, prefix, logger: silentLogger, lock, db: app.db, clock: app.clock });
    await queues[QUEUE.execution].add("execute", { intentId: `execute-${id}`, proposalId: id, action: "execute" }, { jobId: `execute-${id}` });
    await crash;
    await dying.kill();
    expect(await app.db.order.count()).toBe(1);
    const survivor = startWorkers([{ queue: QUEUE.execution, processor: executeTradeJob({ app }) }], { connection: redis, prefix, logger: silentLogger, lock, db: app.db, clock: app.clock });
    cleanups.push(() => survivor.close());
    await waitUntil(async () => (await queues[QUEUE.execution].getJobCountByTypes("completed")) === 1, 15_000);
    const job = (await queues[QUEUE.execution].getJobs(["completed"]))[0];
    expect(job?.returnvalue).toEqual({ kind: "nothing-to-do", status: "open" });
    expect(await app.db.order.count()).toBe(1);
  });

  it("lets an active job finish on shutdown instead of leaving it stalled", async () => {
    const { app, queues, redis, prefix } = await setup();
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const workers = startWorkers([{
      queue: QUEUE.monitor,
      processor: async () => { started(); await new Promise((r) => setTimeout(r, 400)); return "done"; },
    }], { connection: redis, prefix, logger: silentLogger, db: app.db, clock: app.clock });
    await queues[QUEUE.monitor].add("monitor", { reason: "test" });
    await running;
    await workers.close();
    expect(await queues[QUEUE.monitor].getJobCounts("completed", "active", "waiting")).toEqual({ completed: 1, active: 0, waiting: 0 });
  });
});
