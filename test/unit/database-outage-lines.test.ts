import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/log";
import { createOutageLog, errorLine } from "../../src/queue/outage-log";
import { foldDatabaseOutage } from "../../src/queue/outage-lines";

/**
 * The application's logger during a database outage: lines that carry a database-unavailable
 * error go to the outage log (one line when it starts, one a minute, one when it ends), every other
 * line is written as always; and the outage log's `check` (what /health asks).
 */
function setUp(probe: () => Promise<boolean>) {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const base = createLogger({ level: "debug", secrets: [], destination: { write: (line: string) => { lines.push(JSON.parse(line) as never); } } });
  const outage = createOutageLog({ what: "database", logger: base, clock: () => Date.now(), probe, reportEveryMs: 60_000, probeEveryMs: 5_000, settleMs: 10_000 });
  return { lines, outage, logger: foldDatabaseOutage(base, outage) };
}

/** What Prisma throws when SQLite's lock outlasts busy_timeout (shape and text as seen from @prisma/adapter-better-sqlite3). */
const busy = (): Error => Object.assign(
  new Error("\nInvalid `app.db.setting.upsert()` invocation in\n/work/main/src/app/market-health.ts:40:26\n\n  37 export async function writeVenueHealth(…)\n→ 40     await app.db.setting.upsert(\nOperation has timed out"),
  { name: "PrismaClientKnownRequestError", code: "P1008", meta: { driverAdapterError: { name: "DriverAdapterError", cause: { originalCode: "SQLITE_BUSY", originalMessage: "database is locked", kind: "SocketTimeout" } } } },
);

afterEach(() => vi.useRealTimers());

describe("the application's logger during a database outage", () => {
  it("folds every way code logs a database error into the outage log, and writes everything else", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 3) });
    let up = false;
    const { lines, logger } = setUp(() => Promise.resolve(up));
    for (let second = 0; second < 90; second += 1) {
      logger.warn({ venue: "bybit", error: busy().message }, "market health not saved this round");
      logger.warn({ queue: "market-poll", jobId: `j${second}`, error: busy().message.slice(0, 160) }, "job failed");
      logger.error({ err: busy() }, "http request failed");
      logger.warn(`No market data this round. bybit BTC/USDT:USDT: PrismaClientKnownRequestError: ${busy().message} Retrying with backoff`);
      logger.child({ transport: "telegram" }).warn({ reason: busy() }, "a child logger's line");
      logger.error(busy());
      await vi.advanceTimersByTimeAsync(1000);
    }
    // Lines about something else are written, whatever their level.
    logger.error({ proposalId: "p1", action: "execute", attempt: 6 }, "order job gave up");
    logger.warn({ error: "connect ECONNREFUSED 127.0.0.1:6379" }, "queue connection problem");
    logger.info({ error: busy().message }, "info lines are never folded");
    expect(lines.map((l) => l.msg)).toEqual([
      "database is unreachable; work that needs it waits, and this log says once a minute while it lasts",
      "database is still unreachable",
      "order job gave up",
      "queue connection problem",
      "info lines are never folded",
    ]);
    expect(lines[0]?.["error"]).toBe("Operation has timed out");
    expect(lines[1]?.["errorsSinceLastLine"]).toBe(60 * 6);
    up = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines.at(-1)).toMatchObject({ msg: "database is reachable again", downForSeconds: 95 });
  });
});

describe("errorLine", () => {
  it("gives Prisma's last line (what happened) with the code, and a plain error's first line", () => {
    expect(errorLine(busy())).toBe("P1008: Operation has timed out");
    expect(errorLine(Object.assign(new Error("\nInvalid `prisma.$queryRaw()` invocation:\n\nCan't reach database server at `db:5432`"), { code: "P1001" }))).toBe("P1001: Can't reach database server at `db:5432`");
    expect(errorLine(new Error("connect ECONNREFUSED 127.0.0.1:6390\n    at TCPConnectWrap.afterConnect"))).toBe("connect ECONNREFUSED 127.0.0.1:6390");
  });
});

describe("OutageLog.check (what /health asks)", () => {
  it("starts an outage when the probe fails or is late, and ends it when the probe answers", async () => {
    let answer: () => Promise<boolean> = () => Promise.reject(busy());
    const { lines, outage } = setUp(() => answer());
    expect(await outage.check(100)).toBe(false);
    expect(outage.down).toBe(true);
    expect(lines).toMatchObject([{ msg: /database is unreachable/, error: "P1008: Operation has timed out" }]);
    answer = () => new Promise(() => undefined); // hangs: the check gives up after its timeout
    const t0 = Date.now();
    expect(await outage.check(100)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1_000);
    answer = () => Promise.resolve(true);
    // The hung probe is still the one in flight: a check shares it rather than stacking another.
    expect(await outage.check(100)).toBe(false);
    outage.stop();
    expect(lines).toHaveLength(1);
  });

  it("ends the outage on the first check that answers", async () => {
    let ok = false;
    const { lines, outage } = setUp(() => Promise.resolve(ok));
    expect(await outage.check(100)).toBe(false);
    ok = true;
    expect(await outage.check(100)).toBe(true);
    expect(outage.down).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/database is unreachable/), "database is reachable again"]);
    outage.stop();
  });
});
