import type { Server } from "node:http";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app/context";
import { writeVenueHealth } from "../../src/app/market-health";
import { pauseTrading } from "../../src/app/pause-trading";
import { recordUndelivered } from "../../src/app/undelivered-notices";
import { cooldownKey } from "../../src/app/venue-cooldown";
import type { MetricsConfig } from "../../src/metrics/metrics-config";
import { closeQueues, createQueues, QUEUE, type Queues } from "../../src/queue/queues";
import { startHttpServer } from "../../src/web/http-server";
import { seedProposal } from "../support/fixtures";
import { startPrivateRedis } from "../support/private-redis";
import { freshPrefix, newRedis, recordingApp, type RecordingApp } from "../support/test-env";

/** GET /metrics through a real HTTP server, a real App on a fresh SQLite file and a real Redis. */
const TOKEN = "scrape-token-0123456789abcdef";
const MNT = "MNT/USDT:USDT";
const HOUR = 3_600_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Harness { env: RecordingApp; app: App; queues: Queues; redis: Redis; prefix: string; url: string }

async function start(options: { operator?: MetricsConfig; redisUrl?: string } = {}): Promise<Harness> {
  const env = await recordingApp();
  const redis = options.redisUrl === undefined ? newRedis() : new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  redis.on("error", () => undefined);
  const prefix = freshPrefix();
  const queues = createQueues(redis, prefix);
  cleanups.push(env.cleanup, () => redis.quit().catch(() => redis.disconnect()), () => closeQueues(queues));
  const server: Server = await startHttpServer({ app: env.app, queues, port: 0, ...(options.operator ? { operator: options.operator } : {}) });
  cleanups.push(() => new Promise((r) => server.close(r)));
  const { port } = server.address() as { port: number };
  return { env, app: env.app, queues, redis, prefix, url: `http://127.0.0.1:${port}/metrics` };
}

/** A notify job that fails for good (one attempt), and two monitor jobs that run about 30 ms each, through real workers. */
async function runJobs(h: Harness): Promise<void> {
  const failing = new Worker(QUEUE.notify, () => Promise.reject(new Error("telegram said no")), { connection: h.redis, prefix: h.prefix });
  const slow = new Worker(QUEUE.monitor, () => new Promise((r) => setTimeout(r, 30)), { connection: h.redis, prefix: h.prefix });
  const failed = new Promise((r) => failing.once("failed", r));
  let completed = 0;
  const bothDone = new Promise<void>((r) => slow.on("completed", () => { completed += 1; if (completed === 2) r(); }));
  await h.queues[QUEUE.notify].add("notice", { kind: "text", text: "hello" }, { jobId: "note-1", attempts: 1 });
  await h.queues[QUEUE.monitor].add("monitor", { reason: "test" }, { jobId: "m1" });
  await h.queues[QUEUE.monitor].add("monitor", { reason: "test" }, { jobId: "m2" });
  await Promise.all([failed, bothDone]);
  await Promise.all([failing.close(), slow.close()]);
}

/** The journal a running desk would have: signals, proposals in several states, orders, one open position, alerts, an equity mark. */
async function seedJournal(app: App): Promise<void> {
  const now = app.clock();
  const signal = (symbol: string, fired: boolean) => ({
    symbol, venue: "bybit", ts: new Date(now), direction: fired ? "long" : "neutral", fired, score: 0.5, confidence: 0.5, horizonHours: 8, explanation: "", streamsJson: "{}", modelVersion: "v1",
  });
  await app.db.signal.createMany({ data: [signal(MNT, true), signal(MNT, false), signal(MNT, false), signal("BTC/USDT:USDT", true)] });
  await seedProposal(app, { status: "pending" });
  await seedProposal(app, { status: "rejected" });
  await seedProposal(app, { status: "expired" });
  const open = await seedProposal(app, { status: "open" });
  const order = (n: number, status: string) => ({
    clientOrderId: `c${n}`, proposalId: open, mode: "paper", purpose: "entry", venue: "bybit", symbol: MNT, side: "sell", requestedQty: "1", status, createdAt: new Date(now),
  });
  await app.db.order.createMany({ data: [order(1, "filled"), order(2, "filled"), order(3, "rejected")] });
  await app.db.position.create({
    data: { proposalId: open, mode: "paper", venue: "bybit", symbol: MNT, side: "short", quantity: "1", entryPrice: "0.6", entryTs: new Date(now), leverage: 5, marginUsd: "1000", stopPrice: "0.612", exitDueTs: new Date(now + 8 * HOUR), status: "open" },
  });
  const message = (n: number, platform: string) => ({ proposalId: open, platform, chatId: "-100", messageId: String(n) });
  await app.db.chatMessage.createMany({ data: [message(1, "telegram"), message(2, "telegram"), message(3, "discord")] });
  await recordUndelivered(app, "telegram", now);
  await recordUndelivered(app, "telegram", now);
  await app.db.equitySnapshot.create({ data: { ts: new Date(now - 60_000), equity: "9500", peak: "10000", drawdown: 0.05 } });
  await writeVenueHealth(app, {
    venue: "bybit", ts: now - 60_000,
    symbols: { [MNT]: { status: "recorded", streams: { funding: { ts: now - 120_000 }, book: { ts: now - 60_000 }, perpCandles: { ts: now - 2 * HOUR }, spot: { missing: "no spot pair listed" } } } },
  });
  await app.db.setting.create({ data: { key: cooldownKey("bybit"), value: JSON.stringify({ until: now + 300_000, kind: "banned", reason: "418", notify: true }) } });
  await pauseTrading(app, { platform: "telegram", userId: "111", displayName: "alice" }, "maintenance");
}

// ── the exposition format, read strictly ─────────────────────────────────────────────────
type Samples = Map<string, number>;
const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*",?)*)\\})? (-?[0-9.]+(?:e[+-]?[0-9]+)?|[Nn]a[Nn]|[+-]Inf)$`);

/**
 * Every line must be HELP, TYPE or a sample of a family whose TYPE came first; samples keyed `name{a="x",b="y"}` with labels sorted.
 * prom-client writes a not-yet-measured event-loop mean as "Nan", which Prometheus reads (it
 * parses floats case-insensitively), so any case of NaN is accepted.
 */
function parseExposition(text: string): Samples {
  const typed = new Map<string, string>();
  const samples: Samples = new Map();
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "" || line.startsWith("# HELP ")) continue; // the format ignores empty lines
    const type = /^# TYPE (\S+) (counter|gauge|summary|histogram|untyped)$/.exec(line);
    if (type) {
      expect(typed.has(type[1] ?? ""), `TYPE twice: ${line}`).toBe(false);
      typed.set(type[1] ?? "", type[2] ?? "");
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, `not exposition format: ${line}`).not.toBeNull();
    const [, name = "", labelText = "", value = ""] = m ?? [];
    const family = [...typed.keys()].find((f) => name === f || name === `${f}_bucket` || name === `${f}_sum` || name === `${f}_count`);
    expect(family, `sample before its TYPE: ${line}`).toBeDefined();
    const labels = [...labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort();
    const key = labels.length === 0 ? name : `${name}{${labels.join(",")}}`;
    expect(samples.has(key), `sample twice: ${key}`).toBe(false);
    samples.set(key, Number(value));
  }
  return samples;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url, { headers });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

describe("GET /metrics", () => {
  it("serves the journal, the queues, the market health and the account in the Prometheus text format, matching the database", async () => {
    const h = await start();
    await seedJournal(h.app);
    await runJobs(h);
    const answer = await scrape(h.url);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    const m = parseExposition(answer.text);
    const at = (key: string): number | undefined => m.get(key);

    for (const source of ["queues", "market", "trading", "alerts", "account"]) expect(at(`perpbot_scrape_source_up{source="${source}"}`), source).toBe(1);
    expect(answer.text).toContain("# TYPE perpbot_signals_total counter");
    expect(answer.text).toContain("# TYPE perpbot_proposals gauge");
    // Signals: per configured symbol, fired or not; a symbol no longer configured counts as "other".
    expect(at(`perpbot_signals_total{fired="true",symbol="${MNT}"}`)).toBe(1);
    expect(at(`perpbot_signals_total{fired="false",symbol="${MNT}"}`)).toBe(2);
    expect(at(`perpbot_signals_total{fired="true",symbol="other"}`)).toBe(1);
    // Proposals by state (every known state present), orders by status, positions.
    for (const [status, n] of [["pending", 1], ["rejected", 1], ["expired", 1], ["open", 1], ["failed", 0], ["closed", 0]] as const) {
      expect(at(`perpbot_proposals{status="${status}"}`), status).toBe(n);
    }
    const byStatus = await h.app.db.proposal.groupBy({ by: ["status"], _count: { _all: true } });
    for (const row of byStatus) expect(at(`perpbot_proposals{status="${row.status}"}`)).toBe(row._count._all);
    expect(at(`perpbot_orders{status="filled"}`)).toBe(2);
    expect(at(`perpbot_orders{status="rejected"}`)).toBe(1);
    expect(at(`perpbot_orders{status="unknown"}`)).toBe(0);
    expect(at("perpbot_positions_open")).toBe(1);
    // Alerts: cards per platform, the undelivered tally (not cleared by the scrape), the outbox (four card intents from the proposals).
    expect(at(`perpbot_alert_cards_posted_total{platform="telegram"}`)).toBe(2);
    expect(at(`perpbot_alert_cards_posted_total{platform="discord"}`)).toBe(1);
    expect(at(`perpbot_alerts_undelivered{platform="telegram"}`)).toBe(2);
    expect(await h.app.db.setting.count({ where: { key: "undelivered:telegram" } })).toBe(1);
    expect(at(`perpbot_outbox_intents{kind="card",status="pending"}`)).toBe(4);
    // Queues: the failed notify job, the two monitor runs and their durations.
    expect(at(`perpbot_queue_jobs{queue="notify",state="failed"}`)).toBe(1);
    expect(at(`perpbot_queue_jobs{queue="monitor",state="completed"}`)).toBe(2);
    expect(at(`perpbot_queue_jobs{queue="execution",state="waiting"}`)).toBe(0);
    expect(at(`perpbot_queue_job_duration_sampled_jobs{queue="monitor"}`)).toBe(2);
    expect(at(`perpbot_queue_job_duration_seconds{quantile="0.5",queue="monitor"}`)).toBeGreaterThanOrEqual(0.025);
    expect(at(`perpbot_queue_job_duration_max_seconds{queue="monitor"}`)).toBeLessThan(5);
    expect(at(`perpbot_queue_job_duration_sampled_jobs{queue="notify"}`)).toBe(1);
    expect(at(`perpbot_queue_job_duration_seconds{quantile="0.5",queue="signals"}`)).toBeUndefined();
    // Market: data age per venue and stream (bars from their close), what did not come, the poll, the ban.
    expect(at(`perpbot_market_data_age_seconds{stream="funding",venue="bybit"}`)).toBe(120);
    expect(at(`perpbot_market_data_age_seconds{stream="book",venue="bybit"}`)).toBe(60);
    expect(at(`perpbot_market_data_age_seconds{stream="perpCandles",venue="bybit"}`)).toBe(3600);
    expect(at(`perpbot_market_data_age_seconds{stream="spot",venue="bybit"}`)).toBeUndefined();
    expect(at(`perpbot_market_stream_missing_symbols{stream="spot",venue="bybit"}`)).toBe(1);
    expect(at(`perpbot_market_poll_age_seconds{venue="bybit"}`)).toBe(60);
    expect(at(`perpbot_market_poll_symbols{outcome="recorded",venue="bybit"}`)).toBe(1);
    expect(at(`perpbot_venue_cooldown_seconds{kind="banned",venue="bybit"}`)).toBe(300);
    // Account: the pause and the latest equity mark.
    expect(at(`perpbot_trading_paused{cause="manual"}`)).toBe(1);
    expect(at(`perpbot_trading_paused{cause="drawdown"}`)).toBe(0);
    expect(at("perpbot_equity_usd")).toBe(9500);
    expect(at("perpbot_drawdown_ratio")).toBe(0.05);
    expect(at("perpbot_equity_mark_age_seconds")).toBe(60);
    // The web process's own figures come along.
    expect(at("process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("still answers 200 when Redis is down: the queue source reads 0 and the rest is served", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const h = await start({ redisUrl: redis.url });
    await seedJournal(h.app);
    expect(parseExposition((await scrape(h.url)).text).get(`perpbot_scrape_source_up{source="queues"}`)).toBe(1);
    await redis.stop();
    const started = Date.now();
    const answer = await scrape(h.url);
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000);
    const m = parseExposition(answer.text);
    expect(m.get(`perpbot_scrape_source_up{source="queues"}`)).toBe(0);
    expect([...m.keys()].some((k) => k.startsWith("perpbot_queue_jobs"))).toBe(false);
    expect(m.get(`perpbot_scrape_source_up{source="trading"}`)).toBe(1);
    expect(m.get(`perpbot_orders{status="filled"}`)).toBe(2);
  });

  it("a database that is gone marks its sources down and keeps the queues", async () => {
    const h = await start();
    await h.app.db.$disconnect();
    await h.env.cleanup(); // the file is deleted: every query now fails
    const answer = await scrape(h.url);
    expect(answer.status).toBe(200);
    const m = parseExposition(answer.text);
    expect(m.get(`perpbot_scrape_source_up{source="queues"}`)).toBe(1);
    expect(m.get(`perpbot_scrape_source_up{source="trading"}`)).toBe(0);
    expect(m.get(`perpbot_scrape_source_up{source="account"}`)).toBe(0);
  });

  it("with METRICS_TOKEN, answers only the right bearer token", async () => {
    const h = await start({ operator: { metricsToken: TOKEN, queueDashboard: null } });
    const missing = await scrape(h.url);
    expect(missing.status).toBe(401);
    expect(missing.text).not.toContain("perpbot_");
    expect((await scrape(h.url, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await scrape(h.url, { authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
    expect((await scrape(h.url, { authorization: `Bearer ${TOKEN.slice(0, -1)}X` })).status).toBe(401);
    expect((await scrape(h.url, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` })).status).toBe(401);
    const right = await scrape(h.url, { authorization: `Bearer ${TOKEN}` });
    expect(right.status).toBe(200);
    expect(right.text).toContain(`perpbot_scrape_source_up{source="trading"} 1`);
    const post = await fetch(h.url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(post.status).toBe(405);
  });
});
