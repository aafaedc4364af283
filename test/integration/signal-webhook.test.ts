import type { Server } from "node:http";
import { request as httpRequest } from "node:http";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app/context";
import { pauseTrading, resumeTrading } from "../../src/app/pause-trading";
import type { Actor } from "../../src/chat/transport";
import { loadConfig } from "../../src/config";
import { closeQueues, createQueues } from "../../src/queue/queues";
import { startHttpServer } from "../../src/web/http-server";
import { createSignalWebhook } from "../../src/web/signal-webhook";
import { seedProposal, seedSnapshot } from "../support/fixtures";
import { freshPrefix, newRedis, recordingApp, type RecordingApp } from "../support/test-env";

/** The inbound signal webhook through a real HTTP server on 127.0.0.1, the real app and a fresh SQLite file. */
const SECRET = "tv-shared-secret-0123456789";
const alice: Actor = { platform: "telegram", userId: "111", displayName: "alice" };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Harness { env: RecordingApp; app: App; url: string; logs: string[] }

async function start(options: { perMinute?: number } = {}): Promise<Harness> {
  const env = await recordingApp();
  const logs: string[] = [];
  // Everything logged, at the most verbose level and unredacted: the secret must not be in it at all.
  const logger = pino({ level: "trace" }, new Writable({ write(chunk: Buffer, _enc, done) { logs.push(chunk.toString()); done(); } }));
  const app: App = { ...env.app, logger };
  const redis = newRedis();
  const queues = createQueues(redis, freshPrefix());
  cleanups.push(env.cleanup, () => redis.quit(), () => closeQueues(queues));
  const server: Server = await startHttpServer({ app, queues, port: 0, signalWebhook: createSignalWebhook(app, { secret: SECRET, ...options }) });
  cleanups.push(() => new Promise((r) => server.close(r)));
  const { port } = server.address() as { port: number };
  await seedSnapshot(app, { price: 0.6 });
  return { env, app, url: `http://127.0.0.1:${port}/signals/inbound`, logs };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

const alert = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({ secret: SECRET, symbol: "MNTUSDT", side: "buy", horizonHours: 8, note: "4h breakout", ...overrides });

describe("inbound signal webhook", () => {
  it("turns a valid alert into a journaled signal and a pending proposal with its card", async () => {
    const { env, app, url, logs } = await start();
    const answer = await post(url, alert());
    expect(answer.status).toBe(202);
    const proposalId = answer.body.proposalId as string;
    const proposal = await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(proposal).toMatchObject({ status: "pending", symbol: "MNT/USDT:USDT", side: "long", leverage: 5, stopPrice: "0.588" });
    const signal = await app.db.signal.findUniqueOrThrow({ where: { id: proposal.signalId ?? -1 } });
    expect(signal).toMatchObject({ direction: "long", fired: true, modelVersion: "external-webhook", horizonHours: 8 });
    expect(signal.explanation).toMatch(/^external webhook: 4h breakout/);
    expect(env.notices).toEqual([{ kind: "card", proposalId }]);
    // The ccxt form, the header instead of the body field, and TradingView's ticker all work.
    await app.db.proposal.update({ where: { id: proposalId }, data: { status: "rejected" } });
    const byHeader = await post(url, { symbol: "BYBIT:MNTUSDT.P", side: "sell" }, { "x-perpbot-secret": SECRET });
    expect(byHeader.status).toBe(202);
    // A note JSON spells with a lone surrogate (or an emoji the length cap cuts in half) is stored, mended.
    await app.db.proposal.update({ where: { id: byHeader.body.proposalId as string }, data: { status: "rejected" } });
    const odd = await post(url, `{"secret":"${SECRET}","symbol":"MNT/USDT:USDT","side":"long","note":"cut \\ud83d here ${"😀".repeat(150)}"}`);
    expect(odd.status).toBe(202);
    const audits = await app.db.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audits.map((a) => [a.platform, a.action, a.outcome, a.target])).toEqual([
      ["webhook", "signal-webhook", "ok", "long MNT/USDT:USDT"], ["webhook", "signal-webhook", "ok", "short MNT/USDT:USDT"], ["webhook", "signal-webhook", "ok", "long MNT/USDT:USDT"],
    ]);
    expect(audits[0]?.userId).toMatch(/127\.0\.0\.1/);
    expect(logs.join("")).not.toContain(SECRET);
  });

  it("refuses a wrong or missing secret with 403 and stores nothing but the audit row", async () => {
    const { app, url, logs } = await start();
    const wrong = `${SECRET}x`;
    expect((await post(url, alert({ secret: wrong }))).status).toBe(403);
    expect((await post(url, alert({ secret: undefined }))).status).toBe(403);
    const header = await post(url, alert(), { "x-perpbot-secret": wrong });
    expect(header.status).toBe(403);
    expect(header.body).toEqual({ ok: false, error: "wrong or missing secret." });
    expect(await app.db.signal.count()).toBe(0);
    expect(await app.db.proposal.count()).toBe(0);
    const audits = await app.db.auditLog.findMany();
    expect(audits.map((a) => a.outcome)).toEqual(["refused", "refused", "refused"]);
    expect(JSON.stringify(audits)).not.toContain(SECRET);
    expect(logs.join("")).not.toContain(SECRET);
  });

  it("answers 400 naming the field for bad JSON, an unknown symbol, a bad side or horizon", async () => {
    const { app, url } = await start();
    const badJson = await post(url, `{"secret":"${SECRET}","symbol":`);
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatch(/not valid JSON/);
    const unknown = await post(url, alert({ symbol: "DOGEUSDT" }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/symbol "DOGEUSDT" is not watched.*MNT\/USDT:USDT/);
    expect((await post(url, alert({ side: "up" }))).body.error).toMatch(/^side must be/);
    expect((await post(url, alert({ horizonHours: 48 }))).body.error).toMatch(/^horizonHours must be/);
    expect((await post(url, [1, 2], { "x-perpbot-secret": SECRET })).status).toBe(400);
    expect(await app.db.signal.count()).toBe(0);
    expect(await app.db.proposal.count()).toBe(0);
  });

  it("journals but proposes nothing while paused or while the symbol is busy, and says why", async () => {
    const { env, app, url } = await start();
    await pauseTrading(app, alice, "CPI");
    const paused = await post(url, alert());
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ ok: true, proposalId: null });
    expect(paused.body.skipped).toMatch(/Trading is paused by alice.*CPI/);
    expect(await app.db.proposal.count()).toBe(0);
    expect(await app.db.signal.count()).toBe(1);

    await resumeTrading(app, alice);
    const busyId = await seedProposal(app);
    const busy = await post(url, alert());
    expect(busy.status).toBe(200);
    expect(busy.body.skipped).toBe(`MNT/USDT:USDT already has an unanswered proposal (${busyId}).`);
    expect(await app.db.proposal.count()).toBe(1);
    expect(env.notices.filter((n) => n.kind === "card")).toEqual([]);
    const audits = await app.db.auditLog.findMany({ where: { action: "signal-webhook" } });
    expect(audits.map((a) => a.detail)).toEqual([expect.stringMatching(/no proposal: Trading is paused/), expect.stringMatching(/no proposal: MNT\/USDT:USDT already has/)]);
  });

  it("refuses bodies over 16 kB (413), other methods (405), and more than the rate (429 with Retry-After)", async () => {
    const { app, url } = await start({ perMinute: 4 });
    const big = await post(url, alert({ note: "x".repeat(17 * 1024) }));
    expect(big.status).toBe(413);
    // A body streamed without a length is counted as it comes.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(url, { method: "POST", headers: { "transfer-encoding": "chunked" } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on("error", reject);
      for (let i = 0; i < 20; i++) req.write("y".repeat(1024));
      req.end();
    });
    expect(chunked).toBe(413);
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await post(url, alert({ side: "flat" }))).status).toBe(400);
    const limited = await post(url, alert());
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await post(url, alert())).status).toBe(429);
    expect(await app.db.signal.count()).toBe(0);
    // Refusals over the rate are audited once per window, not once per call.
    expect((await app.db.auditLog.findMany()).filter((a) => a.detail?.startsWith("429"))).toHaveLength(1);
  });

  it("is off without SIGNAL_WEBHOOK_SECRET, and a short secret stops the start", async () => {
    const env = await recordingApp();
    const redis = newRedis();
    const queues = createQueues(redis, freshPrefix());
    cleanups.push(env.cleanup, () => redis.quit(), () => closeQueues(queues));
    const server = await startHttpServer({ app: env.app, queues, port: 0 });
    cleanups.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as { port: number };
    expect((await post(`http://127.0.0.1:${port}/signals/inbound`, alert()).catch(() => ({ status: 404 }))).status).toBe(404);
    expect(() => loadConfig({ SIGNAL_WEBHOOK_SECRET: "short" })).toThrow(/SIGNAL_WEBHOOK_SECRET must be at least 16 characters/);
    expect(() => loadConfig({ SIGNAL_WEBHOOK_SECRET: "short" })).not.toThrow(/"short"/);
    expect(loadConfig({ SIGNAL_WEBHOOK_SECRET: SECRET }).SIGNAL_WEBHOOK_SECRET).toBe(SECRET);
  });
});
