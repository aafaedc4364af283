import type { Server } from "node:http";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { cooldownKey } from "../../src/app/venue-cooldown";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { startRuntime, type Role, type Runtime } from "../../src/runtime";
import { databaseProbeFor } from "../../src/store/database-probe";
import { startHttpServer } from "../../src/web/http-server";
import type { HealthReport } from "../../src/web/health";
import { freePort } from "../support/child-processes";
import { startPrivateRedis, type PrivateRedis } from "../support/private-redis";
import { freshPrefix, tempDatabase, testSettings } from "../support/test-env";

/**
 * GET /health on the real runtime (web role), a private redis-server that is taken down, and a
 * SQLite file another connection locks: it says what is down and since when, answers 503 while a
 * required dependency is down and 200 again once it is back, answers within about a second even
 * then, and never shows a secret (URLs, paths, tokens, a venue's own words).
 */
const TOKEN = "123456:health-test-token-secret";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Harness { url: string; redis: PrivateRedis; dbFile: string; dbUrl: string; lines: () => string[]; runtime: Runtime }

async function start(roles: Role[], options: { telegramPort?: number } = {}): Promise<Harness> {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  const database = await tempDatabase();
  cleanups.push(database.cleanup);
  const logs: string[] = [];
  const logger = pino({ level: "info" }, new Writable({ write(chunk: Buffer, _enc, done) { logs.push(chunk.toString()); done(); } }));
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  connection.on("error", () => undefined);
  cleanups.push(() => Promise.resolve(connection.disconnect()));
  let server: Server | null = null;
  const transports = options.telegramPort === undefined ? [] : [new TelegramTransport({ token: TOKEN, apiRoot: `http://127.0.0.1:${options.telegramPort}`, chatIds: ["-100"], logger })];
  const runtime = await startRuntime({
    roles, db: database.db, logger, settings: testSettings(), redis: connection, queuePrefix: freshPrefix(), schedule: false, sources: [], transports,
    databaseProbe: databaseProbeFor(database.db, database.url), botRetry: { initialMs: 50, maxMs: 200 },
    startWeb: async ({ app, queues, health }) => (server = await startHttpServer({ app, queues, health, port: 0 })),
  });
  cleanups.push(() => runtime.stop());
  const { port } = (server as Server | null)?.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/health`, redis, dbFile: database.file, dbUrl: database.url, lines: () => logs, runtime };
}

async function health(url: string): Promise<{ status: number; body: HealthReport; text: string; ms: number }> {
  const t0 = Date.now();
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as HealthReport, text, ms: Date.now() - t0 };
}

async function until(url: string, status: number, timeoutMs: number): Promise<Awaited<ReturnType<typeof health>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await health(url);
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const secretsOf = (h: Harness): string[] => [h.redis.url, String(h.redis.port), h.dbFile, h.dbUrl, TOKEN];

describe("GET /health", () => {
  it("is 200 with each dependency up, quickly, and shows no secret", async () => {
    const h = await start(["web"]);
    const answer = await health(h.url);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, status: "ok", roles: ["web"], redis: { up: true, required: true }, database: { up: true, required: true }, venuesCoolingDown: [], trading: "active" });
    expect(answer.ms).toBeLessThan(1_000);
    for (const secret of secretsOf(h)) expect(answer.text).not.toContain(secret);
  });

  it("says Redis is down, and since when, with a 503 while it is; 200 again once it is back", async () => {
    const h = await start(["web"]);
    await h.redis.down();
    const down = await health(h.url);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ ok: false, status: "down", redis: { up: false, required: true }, database: { up: true } });
    expect(Date.parse(down.body.redis.downSince ?? "")).toBeLessThanOrEqual(Date.now());
    expect(down.ms, "answers within about the check's timeout").toBeLessThan(2_000);
    for (const secret of secretsOf(h)) expect(down.text).not.toContain(secret);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const still = await health(h.url);
    expect(still.status).toBe(503);
    expect(still.body.redis.downSince).toBe(down.body.redis.downSince);
    expect(still.body.redis.downForSeconds).toBeGreaterThanOrEqual(1);
    await h.redis.up();
    const back = await until(h.url, 200, 15_000);
    expect(back.body).toMatchObject({ status: "ok", redis: { up: true } });
    // The log says it once each way, through the structured logger.
    expect(h.lines().filter((l) => /Redis is unreachable/.test(l))).toHaveLength(1);
    expect(h.lines().filter((l) => /Redis is reachable again/.test(l))).toHaveLength(1);
  }, 40_000);

  it("says the database is down while another connection holds its write lock, within about a second; 200 again after", async (context) => {
    const h = await start(["web"]);
    if (!h.dbUrl.startsWith("file:")) context.skip();
    const lock = new Database(h.dbFile);
    cleanups.push(() => Promise.resolve(lock.open ? lock.close() : undefined));
    lock.exec("BEGIN EXCLUSIVE");
    const down = await health(h.url);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ ok: false, status: "down", database: { up: false, required: true }, redis: { up: true }, trading: "unknown" });
    expect(down.ms, "the lock is noticed without waiting out busy_timeout (5 s)").toBeLessThan(1_500);
    for (const secret of secretsOf(h)) expect(down.text).not.toContain(secret);
    expect((await health(h.url)).status).toBe(503);
    lock.exec("ROLLBACK");
    const back = await health(h.url);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: "ok", database: { up: true }, trading: "active" });
    expect(h.lines().filter((l) => /database is unreachable/.test(l))).toHaveLength(1);
    expect(h.lines().filter((l) => /database is reachable again/.test(l))).toHaveLength(1);
  }, 30_000);

  it("reports chat apps that cannot connect and venues cooling down as degraded, still 200, without their words", async () => {
    const telegramPort = await freePort(); // nothing listens: Telegram is unreachable
    const h = await start(["web", "bot"], { telegramPort });
    const reason = "IP banned until later; your key abc-venue-secret-words";
    const until = Date.now() + 3_600_000;
    await h.runtime.app.db.setting.create({ data: { key: cooldownKey("bybit"), value: JSON.stringify({ until, kind: "banned", reason, notify: true }) } });
    const deadline = Date.now() + 10_000;
    let answer = await health(h.url);
    while (answer.body.chats?.[0]?.state !== "failing" && Date.now() < deadline) answer = await health(h.url);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      ok: true, status: "degraded", roles: ["web", "bot"], redis: { up: true }, database: { up: true },
      chats: [{ platform: "telegram", state: "failing" }],
      venuesCoolingDown: [{ venue: "bybit", state: "banned", until: new Date(until).toISOString() }],
    });
    for (const secret of [...secretsOf(h), reason, "abc-venue-secret-words"]) expect(answer.text).not.toContain(secret);
  }, 30_000);
});
