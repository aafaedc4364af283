import { afterAll, describe, expect, it } from "vitest";
import { cleanupHarness, waitFor, withScenario } from "../support/process-harness";

/**
 * Calm under a Redis outage (issue 11, point 5), with real OS processes: a `worker` (its BullMQ
 * workers, queues and reconciler each hold Redis connections that retry several times a second)
 * loses its private Redis for 12 s. Its log must say once that Redis went, once that it is back,
 * and little else about it — before, the same outage wrote ~30 lines a second — and nothing on
 * raw stderr (no stack dumps). Polling resumes afterwards.
 */
const OUTAGE_MS = 12_000;

afterAll(async () => {
  await cleanupHarness();
});

describe("a Redis outage in the log", () => {
  it("one line when Redis goes, one when it is back, no stack traces, and the worker carries on", async () => {
    await withScenario({}, async (s) => {
      const worker = await s.start("worker");
      const before = worker.output().length;
      await s.redis.down();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await s.redis.up();
      await worker.waitForOutput(/Redis is reachable again/, 30_000);
      const during = worker.output().slice(before).split("\n").filter((line) => line.trim() !== "");
      const about = (pattern: RegExp): string[] => during.filter((line) => pattern.test(line));
      expect(about(/Redis is unreachable/), during.join("\n")).toHaveLength(1);
      expect(about(/Redis is reachable again/)).toHaveLength(1);
      // Outage errors only through the structured logger: every line is JSON, none is a stack frame.
      expect(during.filter((line) => !line.startsWith("{")), "lines outside the structured log").toEqual([]);
      expect(about(/connection problem|worker error/), "connection errors logged one by one").toEqual([]);
      expect(about(/ECONNREFUSED/).filter((line) => !line.includes('"dependency":"Redis"')), "connection errors logged one by one").toEqual([]);
      // Everything else the worker said in those seconds fits in a screen (its polls, the schedulers re-created).
      expect(during.length, during.join("\n")).toBeLessThan(30);
      expect(worker.isAlive()).toBe(true);
      const snapshots = s.count(`SELECT count(*) FROM "MarketSnapshot"`);
      await waitFor(() => s.count(`SELECT count(*) FROM "MarketSnapshot"`) > snapshots, 20_000, "polling resumes after the outage");
    });
  }, 120_000);
});
