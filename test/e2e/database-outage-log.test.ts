import Database from "better-sqlite3";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { JOB_OPTIONS, QUEUE } from "../../src/queue/queues";
import { cleanupHarness, waitFor, withScenario } from "../support/process-harness";

/**
 * Calm under a database outage (issue 11, point 5), with real OS processes: a `worker` polls every
 * 3 s and writes what it polled; for 30 s another process (this test) holds SQLite's write lock
 * (BEGIN EXCLUSIVE), so every write the worker tries waits out busy_timeout and fails with
 * SQLITE_BUSY. Its log must say once that the database went, at most once a minute that it is
 * still gone, and once that it is back — before, each failed attempt of each job wrote its own
 * lines, each with Prisma's multi-line message and code frame — and nothing on raw stderr. The
 * failed jobs are retried as usual: a poll queued during the outage completes after it.
 */
const OUTAGE_MS = 30_000;

afterAll(async () => {
  await cleanupHarness();
});

describe("a database outage in the log", () => {
  it("one line when the database goes, one when it is back, no stack traces, and the worker carries on", async () => {
    await withScenario({}, async (s) => {
      const worker = await s.start("worker");
      await waitFor(() => s.count(`SELECT count(*) FROM "MarketSnapshot"`) > 0, 30_000, "a first poll stored");
      const before = worker.output().length;
      const queue = new Queue(QUEUE.poll, { connection: { url: s.redis.url }, prefix: s.env.QUEUE_PREFIX ?? "" });
      const lock = new Database(s.dbFile);
      try {
        lock.exec("BEGIN EXCLUSIVE");
        const startedAt = Date.now();
        await worker.waitForOutput(/database is unreachable/, 20_000);
        // Work queued while the database is away: it fails like any other, and is retried after.
        await queue.add("poll", { reason: "queued during the outage" }, { ...JOB_OPTIONS[QUEUE.poll], jobId: "during-outage" });
        // The lock stays until that job has failed once (on a loaded machine the worker may reach it
        // late), so "retried after the outage" is what is checked, not the machine's speed.
        await waitFor(async () => ((await queue.getJob("during-outage"))?.attemptsMade ?? 0) >= 1, 90_000, "the poll queued during the outage to fail once");
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - startedAt))));
        lock.exec("ROLLBACK");
        lock.close();
        const outageMs = Date.now() - startedAt;
        await worker.waitForOutput(/database is reachable again/, 30_000);
        const during = worker.output().slice(before).split("\n").filter((line) => line.trim() !== "");
        const about = (pattern: RegExp): string[] => during.filter((line) => pattern.test(line));
        expect(about(/database is unreachable/), during.join("\n")).toHaveLength(1);
        expect(about(/database is still unreachable/).length).toBeLessThanOrEqual(Math.floor(outageMs / 60_000));
        expect(about(/database is reachable again/)).toHaveLength(1);
        // Only through the structured logger: every line is JSON, none is a stack frame or Prisma's code frame.
        expect(during.filter((line) => !line.startsWith("{")), "lines outside the structured log").toEqual([]);
        expect(about(/\\n\s+at |Invalid `|→/), "stack traces or Prisma code frames in the log").toEqual([]);
        // The lock's errors are told only by the outage log, not one by one by the jobs that met them.
        expect(about(/SQLITE_BUSY|database is locked|Operation has timed out/).filter((line) => !line.includes('"dependency":"database"')), during.join("\n")).toEqual([]);
        expect(about(/"msg":"job failed"/).filter((line) => /Prisma|SQLITE|database/i.test(line)), "job failures logged one by one").toEqual([]);
        // Everything else the worker said in those seconds fits in a screen (its polls, a venue request
        // that timed out while a write held up the process).
        expect(during.length, during.join("\n")).toBeLessThan(30);
        expect(worker.isAlive()).toBe(true);
        await waitFor(async () => (await queue.getJob("during-outage"))?.finishedOn !== undefined, 90_000, "the poll queued during the outage finished");
        const job = await queue.getJob("during-outage");
        expect(await job?.getState()).toBe("completed");
        expect(job?.attemptsStarted ?? 0, "it failed during the outage and was retried").toBeGreaterThanOrEqual(2);
      } finally {
        if (lock.open) {
          if (lock.inTransaction) lock.exec("ROLLBACK");
          lock.close();
        }
        await queue.close();
      }
    });
  }, 240_000);
});
