import path from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../src/core/database-errors";
import { freePort } from "../support/child-processes";
import { tempDatabase } from "../support/test-env";

/**
 * The classifier on the errors the real clients throw: Prisma on better-sqlite3 with the file
 * locked by another connection, better-sqlite3 on a read-only or missing file, PostgreSQL (the
 * local server) refusing, terminating our backend, and a pg client used after that — and, on the
 * other side, a real constraint error and a real Redis connection error, which are not outages.
 */
const PG = "postgresql://postgres@127.0.0.1:5432/postgres";
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const thrown = async (work: () => unknown): Promise<unknown> => {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected it to throw");
};

describe("database-unavailable errors, as the clients throw them", () => {
  it("SQLite: a write while another connection holds the lock (Prisma), a read-only file, a file that cannot be opened", async (context) => {
    const database = await tempDatabase();
    cleanups.push(database.cleanup);
    if (!database.url.startsWith("file:")) context.skip();
    const { db, file } = database;
    await db.$queryRawUnsafe("PRAGMA busy_timeout = 200");
    const lock = new Database(file);
    lock.exec("BEGIN EXCLUSIVE");
    const busy = await thrown(() => db.setting.create({ data: { key: "k", value: "v" } }));
    const busyRaw = await thrown(() => db.$executeRaw`UPDATE "Setting" SET "key" = "key" WHERE 1 = 0`);
    lock.exec("ROLLBACK");
    lock.close();
    expect(isDatabaseUnavailable(busy), String(busy)).toBe(true);
    expect(isDatabaseUnavailable(busyRaw), String(busyRaw)).toBe(true);
    // The same error once a job has folded it into its own message (only the text is left).
    expect(isDatabaseUnavailable(new Error(`No market data this round. bybit BTC/USDT:USDT: ${String(busy)}`))).toBe(true);
    const readonly = new Database(file, { readonly: true });
    const readOnlyWrite = await thrown(() => readonly.exec(`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ('a', 'b', 0)`));
    readonly.close();
    expect(isDatabaseUnavailable(readOnlyWrite), String(readOnlyWrite)).toBe(true);
    const cannotOpen = await thrown(() => new Database(path.dirname(file), { fileMustExist: true })); // a directory, not a database file
    expect(isDatabaseUnavailable(cannotOpen), String(cannotOpen)).toBe(true);
    // A query's own mistake is not an outage.
    await db.setting.create({ data: { key: "dup", value: "1" } });
    const duplicate = await thrown(() => db.setting.create({ data: { key: "dup", value: "2" } }));
    expect(isDatabaseUnavailable(duplicate), String(duplicate)).toBe(false);
  });

  it("PostgreSQL: nothing listening, our backend terminated by an administrator, a client used after that", async () => {
    const adapter = await new PrismaPg({ connectionString: `postgresql://postgres@127.0.0.1:${await freePort()}/postgres` }).connect();
    cleanups.push(() => adapter.dispose());
    const refused = await thrown(() => adapter.queryRaw({ sql: "SELECT 1", args: [], argTypes: [] }));
    expect(isDatabaseUnavailable(refused), JSON.stringify(refused)).toBe(true);

    const victim = new pg.Client({ connectionString: PG });
    const events: unknown[] = [];
    victim.on("error", (error) => events.push(error));
    await victim.connect();
    cleanups.push(() => victim.end().catch(() => undefined));
    const { pid } = (await victim.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0] ?? { pid: -1 };
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend($1)", [pid]); // only the backend this test opened
    await admin.end();
    for (let i = 0; i < 50 && events.length < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(isDatabaseUnavailable(event), String(event)).toBe(true);
    const after = await thrown(() => victim.query("SELECT 1"));
    expect(isDatabaseUnavailable(after), String(after)).toBe(true);
  });

  it("Redis refusing a connection is not the database", async () => {
    const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => null });
    const refused = await new Promise<unknown>((resolve) => redis.once("error", resolve));
    redis.disconnect();
    expect(String(refused)).toMatch(/ECONNREFUSED/);
    expect(isDatabaseUnavailable(refused), String(refused)).toBe(false);
  });
});
