import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { isBusyError, openDatabase, transact } from "../../src/store/database";

/**
 * SQLite's lock as the real adapter reports it: SQLITE_BUSY arrives as Prisma's P1008 "Operation
 * has timed out", the driver's code kept in the error's meta. `transact` must know it for what it
 * is (another process holds the file; run again), or every conflict between the bot and the worker
 * becomes a failed job. Always on a SQLite file: this is about SQLite's lock.
 */
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-busy-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("SQLite lock conflicts", () => {
  it("are recognised in the adapter's shape, and a transaction meeting a brief lock is run again and commits", async () => {
    const file = path.join(scratch, "brief.db");
    const db = await openDatabase(`file:${file}`);
    try {
      // A short wait per attempt, so the other connection's release (a timer) gets its turn.
      await db.$queryRawUnsafe("PRAGMA busy_timeout = 50");
      const other = new Database(file);
      other.exec("BEGIN EXCLUSIVE");
      const refused = await db.setting.create({ data: { key: "probe", value: "x" } }).then(() => null, (error: unknown) => error);
      expect(refused, "the write under another process's lock fails").not.toBeNull();
      expect(isBusyError(refused), String(refused)).toBe(true);
      setTimeout(() => { other.exec("ROLLBACK"); other.close(); }, 300);
      let attempts = 0;
      await transact(db, async (tx) => {
        attempts += 1;
        await tx.setting.create({ data: { key: "after-lock", value: "committed" } });
      });
      expect(attempts, "run again after the lock's refusals").toBeGreaterThan(1);
      expect((await db.setting.findUnique({ where: { key: "after-lock" } }))?.value).toBe("committed");
    } finally {
      await db.$disconnect();
    }
  });

  it("a lock held for long fails the transaction after two waits instead of stalling the process for a dozen", async () => {
    const file = path.join(scratch, "long.db");
    const db = await openDatabase(`file:${file}`);
    const other = new Database(file);
    try {
      await db.$queryRawUnsafe("PRAGMA busy_timeout = 2100");
      other.exec("BEGIN EXCLUSIVE");
      let attempts = 0;
      const startedAt = Date.now();
      const error = await transact(db, async (tx) => {
        attempts += 1;
        await tx.setting.create({ data: { key: "never", value: "x" } });
      }).then(() => null, (e: unknown) => e);
      expect(isBusyError(error), String(error)).toBe(true);
      expect(attempts).toBe(2);
      expect(Date.now() - startedAt).toBeLessThan(15_000);
    } finally {
      other.exec("ROLLBACK");
      other.close();
      await db.$disconnect();
    }
  });
});
