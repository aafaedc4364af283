import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database";
import { onPostgres } from "../support/test-database";

/**
 * In a process that answers chat (openDatabase's `sqliteThread`, set for the bot role),
 * SQLite's statements run on the connection's own thread (src/store/sqlite-thread.ts), so a long
 * statement, or a wait for another process's lock, leaves the event loop free: a button press or a
 * network reply is handled meanwhile (issue 9, acknowledgement p99 ≤ 20 ms). Real better-sqlite3,
 * real Prisma; nothing mocked.
 */
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-sqlite-thread-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** About a quarter of a second of SQLite work in one statement. */
const SLOW_COUNT = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT count(*) AS c FROM n";

/** Runs `work` beside a 5 ms timer: the longest gap between its ticks is how long the loop was held. */
async function loopStallDuring<T>(work: () => Promise<T>): Promise<{ value: T; took: number; longestGap: number }> {
  let last = performance.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  const value = await work();
  const took = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 30)); // a tick after the statement, to see a stall
  clearInterval(ticker);
  return { value, took, longestGap };
}

describe.skipIf(onPostgres)("the SQLite connection's own thread", () => {
  it("a long statement leaves the event loop free: timers keep their time while it runs", async () => {
    const db = await openDatabase(`file:${path.join(scratch, "slow.db")}`, { sqliteThread: true });
    try {
      const { value: rows, took, longestGap } = await loopStallDuring(() => db.$queryRawUnsafe<{ c: bigint | number }[]>(SLOW_COUNT));
      expect(Number(rows[0]?.c)).toBe(1_000_000);
      expect(took, "the statement must be long enough to show a blocked loop").toBeGreaterThan(80);
      // On the main thread the loop would stall for the whole statement.
      expect(longestGap).toBeLessThan(Math.min(60, took / 2));
    } finally {
      await db.$disconnect();
    }
  });

  it("in process (the default, for batch work) the same statement does hold the loop: the test above can tell", async () => {
    const db = await openDatabase(`file:${path.join(scratch, "in-process.db")}`);
    try {
      const { took, longestGap } = await loopStallDuring(() => db.$queryRawUnsafe(SLOW_COUNT));
      expect(longestGap).toBeGreaterThan(took * 0.8);
    } finally {
      await db.$disconnect();
    }
  });

  it("keeps Prisma's error codes: a unique violation is P2002 and the connection goes on", async () => {
    const db = await openDatabase(`file:${path.join(scratch, "unique.db")}`, { sqliteThread: true });
    try {
      await db.setting.create({ data: { key: "k", value: "1" } });
      await expect(db.setting.create({ data: { key: "k", value: "2" } })).rejects.toMatchObject({ code: "P2002" });
      expect((await db.setting.findUnique({ where: { key: "k" } }))?.value).toBe("1");
    } finally {
      await db.$disconnect();
    }
  });

  it("after $disconnect a query reconnects (a new thread) instead of hanging, as Prisma does", async () => {
    const db = await openDatabase(`file:${path.join(scratch, "closed.db")}`, { sqliteThread: true });
    await db.setting.create({ data: { key: "kept", value: "1" } });
    await db.$disconnect();
    const outcome = await Promise.race([
      db.setting.findUnique({ where: { key: "kept" } }).then((row) => row?.value ?? "no row", (error: unknown) => `refused: ${error instanceof Error ? error.message : String(error)}`),
      new Promise<string>((resolve) => setTimeout(() => resolve("hung"), 5_000)),
    ]);
    expect(outcome).toBe("1");
    await db.$disconnect();
  });
});
