import { describe, expect, it } from "vitest";
import { transact, type Db } from "../../src/store/database";
import type { Tx } from "../../src/store/outbox";
import { onPostgres } from "../support/test-database";
import { useFreshDatabases } from "../support/fresh-databases";

/**
 * One process, one database, several flows at once (a decision, card copies, an audit row): what a
 * flow writes outside any transaction is its own, whatever another flow's transaction does
 * meanwhile. On SQLite the process has ONE connection (src/store/sqlite-connection.ts takes it in
 * turns); on PostgreSQL each transaction has its own connection from the pool, and the same must
 * hold there.
 */
const freshDb = useFreshDatabases("turns");
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens a transaction that writes Setting `key` = "1" and then runs `rest` in it; resolves once the
 * write is made (the transaction is open), with the promise of the transaction's end.
 */
async function openTransaction(db: Db, key: string, rest: (tx: Tx) => Promise<void>, attempts?: number): Promise<{ done: Promise<void> }> {
  let inside!: () => void;
  const opened = new Promise<void>((resolve) => { inside = resolve; });
  const done = transact(db, async (tx) => {
    await tx.setting.create({ data: { key, value: "1" } });
    inside();
    await rest(tx);
  }, attempts);
  // A transaction meant to fail may fail before the test awaits `done` (the other flow's write
  // took longer than its sleep, as on a fresh PostgreSQL pool); the test still asserts on `done`.
  done.catch(() => undefined);
  await opened;
  return { done };
}

describe("one database, several flows in one process", () => {
  it("a write made while another flow's transaction is open survives that transaction's rollback", async () => {
    const db = await freshDb();
    const abandoned = await openTransaction(db, "tx-row", async () => {
      await sleep(60); // the other flow writes now
      throw new Error("abandoned (a guard conflict, say)");
    }, 1);
    // Before the fix, this ran inside the open transaction on SQLite's shared connection, reported
    // success, and was rolled back with it.
    await db.auditLog.create({ data: { ts: new Date(), platform: "telegram", userId: "1", displayName: "A", action: "/status", outcome: "ok" } });
    await expect(abandoned.done).rejects.toThrow("abandoned");
    expect(await db.auditLog.count()).toBe(1);
    expect(await db.setting.findUnique({ where: { key: "tx-row" } })).toBeNull();
  });

  it("a read made while another flow's transaction is open does not see its uncommitted rows", async () => {
    const db = await freshDb();
    const writer = await openTransaction(db, "half-written", async (tx) => {
      await sleep(40);
      await tx.setting.update({ where: { key: "half-written" }, data: { value: "2" } });
    });
    const seen = await db.setting.findUnique({ where: { key: "half-written" } });
    await writer.done;
    // It waited for the commit (SQLite: its turn on the connection) or read the committed past
    // (PostgreSQL): never the "1" that was never committed.
    expect(seen === null || seen.value === "2").toBe(true);
    if (!onPostgres) expect(seen?.value).toBe("2");
  });

  it("a statement through the client inside a transaction body still runs (no deadlock)", async () => {
    const db = await freshDb();
    const result = await transact(db, async (tx) => {
      await tx.setting.create({ data: { key: "a", value: "1" } });
      return db.setting.count(); // not through tx: a mistake, but it must not hang the process
    });
    expect(result).toBeGreaterThanOrEqual(0);
  });

  it("flows in turn keep every write: 50 plain writes racing 20 transactions that roll back", async () => {
    const db = await freshDb();
    const rollbacks = Array.from({ length: 20 }, (_, i) => transact(db, async (tx) => {
      await tx.setting.create({ data: { key: `doomed-${i}`, value: "x" } });
      await sleep(1);
      throw new Error("rolled back");
    }, 1).catch(() => "rolled back"));
    const writes = Array.from({ length: 50 }, async (_, i) => {
      await sleep(i % 7);
      await db.setting.create({ data: { key: `kept-${i}`, value: String(i) } });
    });
    await Promise.all([...rollbacks, ...writes]);
    expect(await db.setting.count({ where: { key: { startsWith: "kept-" } } })).toBe(50);
    expect(await db.setting.count({ where: { key: { startsWith: "doomed-" } } })).toBe(0);
  });

  it.skipIf(onPostgres)("prepared statements are reused with new parameters each time (reads, writes, counts, raw SQL)", async () => {
    const db = await freshDb();
    for (let i = 0; i < 30; i += 1) await db.setting.create({ data: { key: `k${i}`, value: `v${i}` } });
    for (let i = 0; i < 30; i += 1) expect((await db.setting.findUnique({ where: { key: `k${i}` } }))?.value).toBe(`v${i}`);
    await db.setting.updateMany({ where: { key: { in: ["k1", "k2"] } }, data: { value: "changed" } });
    expect(await db.setting.count({ where: { value: "changed" } })).toBe(2);
    expect(await db.$queryRawUnsafe<{ n: bigint }[]>("SELECT COUNT(*) AS n FROM Setting WHERE value = ?", "changed")).toEqual([{ n: 2n }]);
    expect(await db.$queryRawUnsafe<{ n: bigint }[]>("SELECT COUNT(*) AS n FROM Setting WHERE value = ?", "v7")).toEqual([{ n: 1n }]);
    expect(await db.$executeRawUnsafe("DELETE FROM Setting WHERE key = ?", "k3")).toBe(1);
    expect(await db.$executeRawUnsafe("DELETE FROM Setting WHERE key = ?", "k3")).toBe(0);
  });
});
