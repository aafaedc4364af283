/**
 * Issue 9 point 4, delivery that loses nothing, on the real telegraf, discord.js and BullMQ:
 * the queue retries a notice no sooner than Telegram's retry_after; a Telegram 429 storm never
 * holds Discord's copies; each Telegram chat has its own paced lane where a burst of texts is
 * merged (cards never are); a notice still undelivered after its last attempt is recorded and
 * told on the next /status, once.
 */
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { statusCommand } from "../../commands/status";
import { sendNotificationJob } from "../../jobs/send-notification";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { TelegramTransport, type TelegramTransportOptions } from "../../src/chat/telegram/telegram-transport";
import type { ChatTransport } from "../../src/chat/transport";
import { closeQueues, createQueues, QUEUE, RETRY_AFTER, type Queues } from "../../src/queue/queues";
import { startWorkers } from "../../src/queue/workers";
import type { App } from "../../src/app/context";
import { writeIntents } from "../../src/store/outbox";
import { seedProposal } from "../support/fixtures";
import { DiscordStandIn } from "../stand-ins/discord-server";
import { TelegramServer } from "../stand-ins/telegram-server";
import { freshPrefix, newRedis, silentLogger, useRecordingApps } from "../support/test-env";

const CHAT = 4242;
const DESK = -1001234567890;
const newApp = useRecordingApps();
let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});
const noHandlers = { onCommand: () => Promise.resolve({ text: "" }), onButton: () => Promise.resolve({ toast: "" }) };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function telegramDesk(extra: Partial<TelegramTransportOptions> = {}) {
  const server = new TelegramServer();
  await server.start();
  const transport = new TelegramTransport({ token: server.token, apiRoot: server.apiRoot, chatIds: [String(CHAT), String(DESK)], logger: silentLogger, ...extra });
  await transport.start(noHandlers, []);
  cleanups.push(() => server.stop(), () => transport.stop());
  return { server, transport };
}

function notifyWorker(app: App, transports: readonly ChatTransport[]): { queues: Queues; redis: Redis } {
  const redis = newRedis();
  const prefix = freshPrefix();
  const queues = createQueues(redis, prefix);
  const workers = startWorkers([{ queue: QUEUE.notify, processor: sendNotificationJob({ app, transports }) }], {
    connection: redis, prefix, logger: silentLogger, db: app.db, clock: Date.now,
  });
  cleanups.push(() => redis.quit(), () => closeQueues(queues), () => workers.close());
  return { queues, redis };
}

async function queueText(app: App, queues: Queues, key: string, text: string, opts: { attempts?: number; delay?: number } = {}): Promise<string> {
  const [intentId] = await writeIntents(app.db, [{ kind: "text", key, text }], Date.now());
  if (intentId === undefined) throw new Error("no intent written");
  const options = opts.attempts === undefined ? {} : { attempts: opts.attempts, backoff: { type: RETRY_AFTER, delay: opts.delay ?? 50 } };
  await queues[QUEUE.notify].add("text", { intentId, kind: "text", text }, { jobId: intentId, ...options });
  return intentId;
}

async function until<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("until: condition not met in time");
    await sleep(20);
  }
}

const intentStatus = async (app: App, id: string): Promise<string | undefined> =>
  (await app.db.intent.findUnique({ where: { id }, select: { status: true } }))?.status;

describe("retry_after in the queue", () => {
  it("a notice Telegram answers 429 retry_after=3 is tried again no sooner than 3 s later (not at the 1 s schedule), and arrives once", async () => {
    const { app } = await newApp({ now: Date.now() });
    // In-process waits are capped at 0.5 s here, so the 3 s ban goes back to the queue at once.
    const { server, transport } = await telegramDesk({ rateLimit: { maxWaitMs: 500 } });
    const { queues } = notifyWorker(app, [transport]);
    server.floodChat(CHAT, 3);
    setTimeout(() => server.floodChat(CHAT, undefined), 2_000); // lifted while the job waits
    const id = await queueText(app, queues, "stop-btc", "Stop hit on BTC");
    await until(async () => ((await intentStatus(app, id)) === "done" ? true : undefined), 15_000);

    const attempts = server.timeline.filter((c) => c.method === "sendmessage" && c.chatId === String(CHAT)).map((c) => c.at);
    expect(attempts).toHaveLength(2);
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(3_000);
    expect(server.sentMessages.filter((m) => m.chatId === CHAT && m.text === "Stop hit on BTC")).toHaveLength(1);
    expect(server.sentMessages.filter((m) => m.chatId === DESK && m.text === "Stop hit on BTC")).toHaveLength(1);
  }, 20_000);
});

describe("one lane per destination", () => {
  it("a Telegram 429 storm never holds Discord's copies; Telegram gets each notice once after it", async () => {
    const { app } = await newApp({ now: Date.now() });
    // The production in-process wait (up to 3 s) with 800 ms bans: each Telegram try waits ~2.4 s
    // before it gives the notice back to the queue; other notices must not wait behind it.
    const { server, transport } = await telegramDesk({ rateLimit: { secondMs: 20 }, pacing: { perChatGapMs: 20 } });
    const discord = new DiscordStandIn();
    await discord.start();
    const dc = new DiscordTransport({ token: discord.token, apiRoot: discord.apiRoot, channelIds: [discord.channelId], guildId: discord.guildId, logger: silentLogger });
    await dc.start(noHandlers, []);
    cleanups.push(() => discord.stop(), () => dc.stop());
    const { queues } = notifyWorker(app, [transport, dc]);

    server.floodChat(CHAT, 40); // 800 ms per ban, renewed on every early try: a storm
    server.floodChat(DESK, 40);
    const started = Date.now();
    const texts = ["Funding in 30 min", "Stop hit on BTC", "Drawdown 5%: size halved", "Data from okx is late", "Take-profit on ETH"];
    for (const [i, text] of texts.entries()) await queueText(app, queues, `storm-${i}`, text);
    await discord.waitFor(() => (discord.messages.length === texts.length ? true : undefined), 5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.sentMessages).toHaveLength(0);

    server.floodChat(CHAT, undefined);
    server.floodChat(DESK, undefined);
    for (const chat of [CHAT, DESK]) {
      // Retried notices may share one message (a merged burst); each text arrives exactly once.
      const all = await until(() => {
        const joined = server.sentMessages.filter((m) => m.chatId === chat).map((m) => m.text).join("\n\n").split("\n\n");
        return texts.every((t) => joined.includes(t)) ? joined : undefined;
      }, 15_000);
      for (const text of texts) expect(all.filter((t) => t === text)).toHaveLength(1);
    }
    expect(discord.messages.map((m) => m.content).sort()).toEqual([...texts].sort());
  }, 25_000);

  it("paces one chat (a gap between messages, a group's window), merges a burst of texts, and never merges a card", async () => {
    const { server, transport } = await telegramDesk({ pacing: { perChatGapMs: 150, groupPerWindow: 3, windowMs: 1_000 } });
    const card = { text: "Long MNT?", buttons: [{ label: "Approve", data: "p:a:1", style: "primary" as const }] };
    const sends = [{ text: "alert 1" }, { text: "alert 2" }, { text: "alert 3" }, card, { text: "alert 4" }, { text: "alert 5" }];
    await Promise.all(sends.map((m) => transport.broadcast(m, new Set([String(DESK)]))));
    const inChat = server.timeline.filter((c) => c.method === "sendmessage" && c.chatId === String(CHAT));
    expect(server.sentMessages.map((m) => m.text)).toEqual(["alert 1", "alert 2\n\nalert 3", "Long MNT?", "alert 4\n\nalert 5"]);
    expect(server.sentMessages[2]?.replyMarkup).toBeDefined();
    for (let i = 1; i < inChat.length; i += 1) expect((inChat[i]?.at ?? 0) - (inChat[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(145);

    // A group: at most 3 in any second, so the 4th waits for the first to leave the window.
    const group = await Promise.all(["g1", "g2", "g3"].map(async (t, i) => { await sleep(i * 160); return transport.broadcast({ text: t }, new Set([String(CHAT)])); }));
    expect(group.flat()).toHaveLength(3);
    const before = Date.now();
    await transport.broadcast({ text: "g4" }, new Set([String(CHAT)]));
    const firstAt = server.timeline.find((c) => c.method === "sendmessage" && c.chatId === String(DESK))?.at ?? 0;
    expect(Date.now()).toBeGreaterThanOrEqual(firstAt + 1_000);
    expect(Date.now() - before).toBeGreaterThan(300);
  });
});

describe("cards first", () => {
  it("a proposal card dispatched with a burst of texts takes each chat's first slot; the texts follow, merged", async () => {
    const { app } = await newApp({ now: Date.now() });
    const { server, transport } = await telegramDesk({ pacing: { perChatGapMs: 400 } });
    const { queues } = notifyWorker(app, [transport]);
    const proposalId = await seedProposal(app);
    const [cardIntent] = await writeIntents(app.db, [{ kind: "card", proposalId }], Date.now());
    const texts = Array.from({ length: 99 }, (_, i) => ({ key: `burst-${i}`, text: `Funding alert ${i}` }));
    const textIntents = await writeIntents(app.db, texts.map((t) => ({ kind: "text" as const, ...t })), Date.now());
    // The card's job is under way (reading the trade, rendering) when the texts arrive, each of
    // which is ready to send at once: without the rule they take each chat's next slot first.
    const queue = queues[QUEUE.notify];
    await queue.add("card", { intentId: String(cardIntent), kind: "card", proposalId }, { jobId: String(cardIntent) });
    await until(async () => ((await queue.getJobState(String(cardIntent))) === "active" ? true : undefined), 5_000);
    await queue.addBulk(texts.map((t, i) => ({ name: "text", data: { intentId: String(textIntents[i]), kind: "text" as const, text: t.text }, opts: { jobId: String(textIntents[i]) } })));
    for (const chat of [CHAT, DESK]) {
      const inChat = await until(() => {
        const sent = server.sentMessages.filter((m) => m.chatId === chat);
        const joined = sent.map((m) => m.text).join("\n\n");
        return texts.every((t) => joined.includes(t.text)) && sent.some((m) => m.replyMarkup !== undefined) ? sent : undefined;
      }, 15_000);
      expect(inChat[0]?.replyMarkup, `chat ${chat}: the first message is the card`).toBeDefined();
      expect(inChat.length).toBeLessThan(texts.length); // the texts behind it were merged
    }
  }, 25_000);
});

describe("Discord failures fail the notice too", () => {
  it("a channel Discord keeps answering 5xx fails the delivery (typed), and the retry posts it once", async () => {
    const { app } = await newApp({ now: Date.now() });
    const discord = new DiscordStandIn();
    await discord.start();
    const dc = new DiscordTransport({ token: discord.token, apiRoot: discord.apiRoot, channelIds: [discord.channelId], guildId: discord.guildId, logger: silentLogger });
    await dc.start(noHandlers, []);
    cleanups.push(() => discord.stop(), () => dc.stop());
    const { queues } = notifyWorker(app, [dc]);
    // More 502s than discord.js retries on its own (3): the first attempt of the job fails.
    discord.failNext("POST", /^\/channels\/\d+\/messages$/, 4, 502, { message: "502: Bad Gateway", code: 0 });
    const id = await queueText(app, queues, "dc-5xx", "Stop hit on ETH", { attempts: 4, delay: 100 });
    await until(async () => ((await intentStatus(app, id)) === "done" ? true : undefined), 20_000);
    const job = await queues[QUEUE.notify].getJob(id);
    expect(job?.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(discord.messages.map((m) => m.content)).toEqual(["Stop hit on ETH"]);
  }, 25_000);
});

describe("undeliverable notices", () => {
  it("are recorded after the last attempt and told once on the next /status", async () => {
    const { app } = await newApp({ now: Date.now() });
    const { server, transport } = await telegramDesk({ rateLimit: { secondMs: 10, maxWaitMs: 0 } });
    const { queues } = notifyWorker(app, [transport]);
    server.floodChat(CHAT, 1); // never lifted
    const ids = [await queueText(app, queues, "lost-1", "Funding in 30 min", { attempts: 3 }), await queueText(app, queues, "lost-2", "Stop hit", { attempts: 3 })];
    await until(async () => ((await Promise.all(ids.map((id) => intentStatus(app, id)))).every((s) => s === "failed") ? true : undefined), 10_000);

    const first = (await statusCommand.run(app, [], { platform: "telegram", userId: "111", displayName: "Ada" })).text;
    expect(first).toMatch(/⚠️ 2 alerts could not be delivered to telegram since \d\d:\d\d UTC/);
    const second = (await statusCommand.run(app, [], { platform: "telegram", userId: "111", displayName: "Ada" })).text;
    expect(second).not.toMatch(/could not be delivered/);
    expect(server.sentMessages.filter((m) => m.chatId === DESK)).toHaveLength(2); // the other chat got both
  });
});
