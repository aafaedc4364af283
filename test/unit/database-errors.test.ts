import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../src/core/database-errors";

/**
 * The classifier that decides which errors are a database outage (one line when it starts, one a
 * minute, one when it ends) and which are ordinary failures logged where they happen. The shapes
 * here are the ones the real clients throw (test/integration/database-outage-errors.test.ts makes
 * them for real); this file pins down the edges: what must not count.
 */
const prismaError = (code: string, message: string, meta?: unknown): Error =>
  Object.assign(new Error(message), { name: "PrismaClientKnownRequestError", code, ...(meta === undefined ? {} : { meta }) });
const busyMeta = { driverAdapterError: { name: "DriverAdapterError", cause: { originalCode: "SQLITE_BUSY", originalMessage: "database is locked", kind: "SocketTimeout" } } };
const socketError = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: "connect", errno: -111 });

describe("isDatabaseUnavailable", () => {
  it("counts SQLite's lock past busy_timeout, I/O errors, a file it cannot open or write", () => {
    expect(isDatabaseUnavailable(prismaError("P1008", "Invalid `db.setting.upsert()` invocation:\n\nOperation has timed out", busyMeta))).toBe(true);
    expect(isDatabaseUnavailable(prismaError("P2010", "Raw query failed. Code: `SQLITE_BUSY`. Message: `database is locked`", busyMeta))).toBe(true);
    for (const [code, message] of [["SQLITE_IOERR_WRITE", "disk I/O error"], ["SQLITE_CANTOPEN", "unable to open database file"], ["SQLITE_READONLY", "attempt to write a readonly database"]]) {
      expect(isDatabaseUnavailable(Object.assign(new Error(message), { name: "SqliteError", code })), code).toBe(true);
    }
  });

  it("counts PostgreSQL gone: refused, unreachable, closed, admin shutdown, terminated", () => {
    expect(isDatabaseUnavailable(prismaError("P1001", "Can't reach database server at `127.0.0.1:5432`"))).toBe(true);
    expect(isDatabaseUnavailable(prismaError("P1017", "Server has closed the connection."))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01", severity: "FATAL" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    // A driver adapter's error carrying the socket error as its cause.
    expect(isDatabaseUnavailable({ name: "DriverAdapterError", cause: { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 } })).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("query failed"), { name: "PrismaClientUnknownRequestError", cause: socketError("ECONNREFUSED") }))).toBe(true);
  });

  it("reads the message when only the text is left (a job folding errors into its own message)", () => {
    expect(isDatabaseUnavailable(new Error("No market data this round. bybit BTC/USDT:USDT: PrismaClientKnownRequestError: \nInvalid `app.db.marketSnapshot.create()` invocation in\n…\nOperation has timed out."))).toBe(true);
    expect(isDatabaseUnavailable("Invalid `prisma.$queryRaw()` invocation: connect ECONNREFUSED 127.0.0.1:5432")).toBe(true);
  });

  it("does not count a query's own mistakes, Redis, or the venues", () => {
    expect(isDatabaseUnavailable(prismaError("P2002", "Unique constraint failed on the fields: (`id`)"))).toBe(false);
    expect(isDatabaseUnavailable(prismaError("P2025", "An operation failed because it depends on one or more records that were required but not found."))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error("UNIQUE constraint failed: Setting.key"), { name: "SqliteError", code: "SQLITE_CONSTRAINT_PRIMARYKEY" }))).toBe(false);
    // Redis and the exchanges refuse connections too: not the database.
    expect(isDatabaseUnavailable(socketError("ECONNREFUSED"))).toBe(false);
    expect(isDatabaseUnavailable(new Error("connect ECONNREFUSED 127.0.0.1:6379"))).toBe(false);
    expect(isDatabaseUnavailable(new Error("Redis connection to 127.0.0.1:6379 failed - connect ECONNREFUSED (database 0)"))).toBe(false);
    expect(isDatabaseUnavailable(new Error("bybit GET https://api.bybit.com/v5/market/tickers request timed out (3000 ms)"))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable(42)).toBe(false);
  });

  it("does not loop on a cause that points back at itself", () => {
    const error: Error & { cause?: unknown } = new Error("odd");
    error.cause = error;
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
