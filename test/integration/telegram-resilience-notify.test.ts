import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sendNotificationJob } from "../../jobs/send-notification";
import { rejectProposal } from "../../src/app/decide-proposal";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { deliverNotice } from "../../src/chat/notifier";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { DeliveryError } from "../../src/chat/transport";
import { closeQueues, createQueues, QUEUE } from "../../src/queue/queues";
import { startWorkers } from "../../src/queue/workers";
import { startRuntime } from "../../src/runtime";
import { writeIntents } from "../../src/store/outbox";
import { DiscordStandIn } from "../stand-ins/discord-server";
import { TelegramServer } from "../stand-ins/telegram-server";
import { freePort } from "../support/child-processes";
import { seedProposal } from "../support/fixtures";
import { freshPrefix, newRedis, silentLogger, useRecordingApps } from "../support/test-env";

/**
 * Issue 9, alerts under Telegram's flood control, on the real telegraf, discord.js and BullMQ:
 * a 429 Telegram will not lift in time fails the notify job (typed, with retry-after) instead of
 * dropping the alert; the retry posts only where the alert is still missing; Telegram's wait does
 * not hold back Discord.
 */
const CHAT = 4242;
const DESK = -1001234567890;
const makeApp = useRecordingApps();
let telegram: TelegramServer;
let discord: DiscordStandIn;
let cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  telegram = new TelegramServer();
  discord = new DiscordStandIn();
  await Promise.all([telegram.start(), discord.start()]);
});

afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  await Promise.all([telegram.stop(), discord.stop()]);
});

/** retry_after seconds last 20 ms here; one call waits at most 200 ms in-process unless told. */
async function telegramTransport(maxWaitMs = 200): Promise<TelegramTransport> {
  const t = new TelegramTransport({
    token: telegram.token, apiRoot: telegram.apiRoot, chatIds: [String(CHAT), String(DESK)], logger: silentLogger,
    rateLimit: { secondMs: 20, maxWaitMs },
  });
  await t.start({ onCommand: () => Promise.resolve({ text: "" }), onButton: () => Promise.resolve({ toast: "" }) }, []);
  cleanups.push(() => t.stop());
  return t;
}

async function discordTransport(): Promise<DiscordTransport> {
  const t = new DiscordTransport({ token: discord.token, apiRoot: discord.apiRoot, channelIds: [discord.channelId], guildId: discord.guildId, logger: silentLogger });
  await t.start({ onCommand: () => Promise.resolve({ text: "" }), onButton: () => Promise.resolve({ toast: "" }) }, []);
  cleanups.push(() => t.stop());
  return t;
}

const sentTo = (chatId: number, text: string): number => telegram.sentMessages.filter((m) => m.chatId === chatId && m.text.includes(text)).length;

describe("notify job under a sustained Telegram 429", () => {
  it("fails the job with the retry-after, and the queue's retry delivers it exactly once per chat", async () => {
    const { app } = await makeApp({ now: Date.now() });
    const tg = await telegramTransport();
    const redis = newRedis();
    const prefix = freshPrefix();
    const queues = createQueues(redis, prefix);
    const workers = startWorkers([{ queue: QUEUE.notify, processor: sendNotificationJob({ app, transports: [tg] }) }], {
      connection: redis, prefix, logger: silentLogger, db: app.db, clock: Date.now,
    });
    cleanups.push(() => redis.quit(), () => closeQueues(queues), () => workers.close());

    telegram.floodChat(CHAT, 30); // 600 ms: more than the transport may wait in-process
    const [intentId] = await writeIntents(app.db, [{ kind: "text", key: "stop-mnt", text: "Stop hit on MNT" }], Date.now());
    if (intentId === undefined) throw new Error("no intent written");
    // The queue's own retry policy (src/queue/queues.ts): attempts and backoff as in production.
    await queues[QUEUE.notify].add("text", { intentId, kind: "text", text: "Stop hit on MNT" }, { jobId: intentId });

    const failedOnce = await poll(async () => {
      const job = await queues[QUEUE.notify].getJob(intentId);
      return job !== undefined && job.attemptsMade >= 1 ? job : undefined;
    });
    expect(failedOnce.failedReason).toMatch(/retry after 30/);
    expect(sentTo(DESK, "Stop hit on MNT")).toBe(1); // the chat without a flood got it at once
    expect(sentTo(CHAT, "Stop hit on MNT")).toBe(0);

    telegram.floodChat(CHAT, undefined);
    await waitForIntentDone(app.db, intentId);
    expect(sentTo(CHAT, "Stop hit on MNT")).toBe(1);
    expect(sentTo(DESK, "Stop hit on MNT")).toBe(1); // not posted again by the retry
  });
});

describe("card fan-out", () => {
  it("a card Telegram cannot post yet is posted on the retry to that chat only; the others keep their one copy", async () => {
    const { app } = await makeApp({ now: Date.now() });
    const [tg, dc] = await Promise.all([telegramTransport(), discordTransport()]);
    const proposalId = await seedProposal(app);

    telegram.floodChat(CHAT, 30);
    const error = await deliverNotice(app, [tg, dc], { kind: "card", proposalId }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryAfterMs).toBe(600);
    expect((await app.db.chatMessage.findMany({ where: { proposalId } })).map((m) => m.chatId).sort()).toEqual([String(DESK), discord.channelId].sort());

    telegram.floodChat(CHAT, undefined);
    await deliverNotice(app, [tg, dc], { kind: "card", proposalId });
    expect(telegram.sentMessages.map((m) => m.chatId).sort((a, b) => a - b)).toEqual([DESK, CHAT]);
    expect(discord.messages).toHaveLength(1);
    expect(await app.db.chatMessage.count({ where: { proposalId } })).toBe(3);
  });

  it("Telegram's flood wait does not delay the Discord edit of the same card", async () => {
    const { app } = await makeApp({ now: Date.now() });
    const [tg, dc] = await Promise.all([telegramTransport(2_000), discordTransport()]);
    const proposalId = await seedProposal(app);
    await deliverNotice(app, [tg, dc], { kind: "card", proposalId });
    // A change the card shows (an edit that would show the same is not sent at all).
    await rejectProposal(app, proposalId, { platform: "telegram", userId: "111", displayName: "Ada" });

    telegram.floodChat(CHAT, 10); // 200 ms per try, lifted after 500 ms: Telegram's edit lands at ~600 ms
    setTimeout(() => telegram.floodChat(CHAT, undefined), 500);
    const started = Date.now();
    let discordEditAt: number | null = null;
    const watch = setInterval(() => { if (discordEditAt === null && discord.edits.length > 0) discordEditAt = Date.now() - started; }, 2);
    await deliverNotice(app, [tg, dc], { kind: "card", proposalId });
    clearInterval(watch);
    const total = Date.now() - started;

    // deliverNotice resolved, so Telegram's edit went through: only after the flood was lifted.
    expect(telegram.calls.filter((m) => m === "editmessagetext").length).toBeGreaterThanOrEqual(3);
    expect(total).toBeGreaterThanOrEqual(495);
    expect(discordEditAt).not.toBeNull();
    expect(discordEditAt ?? Infinity).toBeLessThan(300);
  });
});

async function poll<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("poll: condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function waitForIntentDone(db: Parameters<typeof writeIntents>[0], id: string): Promise<void> {
  await poll(async () => ((await db.intent.findUnique({ where: { id }, select: { status: true } }))?.status === "done" ? true : undefined));
}

describe("bot role with Telegram down at start", () => {
  async function botRuntime(apiRoot: string, token: string) {
    const { app } = await makeApp({ now: Date.now() });
    const redis = newRedis();
    const runtime = await startRuntime({
      roles: ["bot"], db: app.db, logger: silentLogger, settings: app.settings, redis, queuePrefix: freshPrefix(), schedule: false, sources: [],
      transports: [new TelegramTransport({ token, apiRoot, chatIds: [String(DESK)], logger: silentLogger })],
      botRetry: { initialMs: 50, maxMs: 200 },
    });
    cleanups.push(() => redis.quit());
    return { app, runtime };
  }

  it("starts at once, connects when Telegram comes up, then sends what was queued meanwhile", async () => {
    const port = await freePort();
    const late = new TelegramServer({ token: telegram.token });
    cleanups.push(() => late.stop());
    const { app, runtime } = await botRuntime(`http://127.0.0.1:${port}`, late.token);
    cleanups.push(() => runtime.stop());
    const [intentId] = await writeIntents(app.db, [{ kind: "text", key: "queued", text: "Funding in 30 min" }], Date.now());
    if (intentId === undefined) throw new Error("no intent written");
    await runtime.queues[QUEUE.notify].add("text", { intentId, kind: "text", text: "Funding in 30 min" }, { jobId: intentId });
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few failed attempts to connect

    await late.start(port);
    await runtime.botReady();
    await waitForIntentDone(app.db, intentId);
    expect(late.sentMessages.map((m) => m.text)).toEqual(["Funding in 30 min"]);
  });

  it("stops promptly while still retrying to connect", async () => {
    const { runtime } = await botRuntime(`http://127.0.0.1:${await freePort()}`, telegram.token);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await runtime.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
