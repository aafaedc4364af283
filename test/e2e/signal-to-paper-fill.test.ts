import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { createCcxtMarketData } from "../../src/exchange/ccxt-market-data";
import { QUEUE } from "../../src/queue/queues";
import { startRuntime, type Runtime } from "../../src/runtime";
import { DiscordStandIn } from "../stand-ins/discord-server";
import { deployCommands } from "../support/discord-commands";
import { ExchangeServer } from "../stand-ins/exchange-server";
import { TelegramServer } from "../stand-ins/telegram-server";
import { serveFundingAnomaly } from "../support/scenario-setup";
import { freshPrefix, newRedis, silentLogger, tempDatabase, testSettings } from "../support/test-env";

/**
 * The whole path on real parts: ccxt (Bybit's v5 REST format) → SQLite via Prisma → BullMQ on the
 * real Redis → funding-anomaly signal → proposal with buttons on the real telegraf and discord.js
 * clients → an unauthorized press changes nothing → an authorized press → paper fill → /pnl.
 * Nothing is mocked; the three services are local stand-ins speaking their wire protocols.
 */
const SYMBOL = "BTC/USDT:USDT";
const TG_ALICE = { id: 111, first_name: "Alice" };
const TG_MALLORY = { id: 999, first_name: "Mallory" };
const DESK = -100500;
const DC_BOB = { id: "222", username: "bob" };

const exchange = new ExchangeServer();
const telegram = new TelegramServer();
const discord = new DiscordStandIn();
const redis = newRedis();
let database: Awaited<ReturnType<typeof tempDatabase>>;
let runtime: Runtime;

beforeAll(async () => {
  await Promise.all([exchange.start(), telegram.start(), discord.start()]);
  await deployCommands(discord, COMMANDS, discord.guildId);
  // A calm real week of Binance BTC funding, then 0.15% per 8 h now and a book leaning short.
  serveFundingAnomaly(exchange);

  database = await tempDatabase();
  const settings = testSettings({
    symbols: [SYMBOL], venues: ["bybit"], tradingVenue: "bybit",
    chatRoles: { telegram: { [String(TG_ALICE.id)]: "admin" }, discord: { [DC_BOB.id]: "admin" } },
  });
  runtime = await startRuntime({
    roles: ["worker", "bot"], db: database.db, logger: silentLogger, settings, redis, queuePrefix: freshPrefix(), schedule: false,
    sources: [createCcxtMarketData({ venue: "bybit", logger: silentLogger, hostOverride: exchange.url, timeoutMs: 2000 })],
    transports: [
      new TelegramTransport({ token: telegram.token, apiRoot: telegram.apiRoot, chatIds: [String(DESK)], logger: silentLogger }),
      new DiscordTransport({ token: discord.token, apiRoot: discord.apiRoot, channelIds: [discord.channelId], guildId: discord.guildId, logger: silentLogger }),
    ],
  });
});

afterAll(async () => {
  await runtime?.stop();
  await redis.quit();
  await database?.cleanup();
  await Promise.all([exchange.stop(), telegram.stop(), discord.stop()]);
});

describe("funding anomaly at the exchange → approved paper trade → /pnl", () => {
  it("runs the whole path on the real clients", async () => {
    await runtime.queues[QUEUE.poll].add("poll", { reason: "test" }, { jobId: "e2e-poll-1" });

    // The proposal lands on both platforms with Approve / Reject.
    const tgCard = await telegram.waitFor(() => telegram.sentMessages.find((m) => m.replyMarkup !== undefined), 15_000);
    expect(tgCard.chatId).toBe(DESK);
    expect(tgCard.text).toMatch(/SHORT BTC\/USDT:USDT on bybit \(PAPER\)/);
    expect(tgCard.text).toMatch(/Funding on bybit is 0\.15% against a 24h average/);
    const buttons = tgCard.replyMarkup?.inline_keyboard.flat() ?? [];
    expect(buttons.map((b) => b.text)).toEqual(["✅ Approve", "❌ Reject"]);
    const approveData = (buttons[0] as { callback_data: string }).callback_data;
    const dcCard = await discord.waitFor(() => discord.messages.find((m) => m.components.length > 0), 10_000);
    expect(dcCard.content).toBe(tgCard.text);
    const proposal = await database.db.proposal.findFirstOrThrow();
    expect(proposal.status).toBe("pending");
    // The exchange really was asked, in Bybit's format.
    expect(exchange.requestsTo("bybit", /\/v5\/market\/tickers/).length).toBeGreaterThan(0);
    expect(exchange.requestsTo("bybit", /\/v5\/market\/funding\/history/).length).toBeGreaterThan(0);

    // Someone not on the allow-list presses Approve: refused, nothing changes, audited.
    const refusedQuery = telegram.pressButton(TG_MALLORY, DESK, tgCard.messageId, approveData);
    const refusal = await telegram.waitFor(() => telegram.callbackAnswers.find((a) => a.callbackQueryId === refusedQuery));
    expect(refusal.text).toMatch(/^You are not allowed to approve proposals\./);
    expect(refusal.text).not.toMatch(/Mallory|999/); // never the stranger's name (nor id) in the group
    expect((await database.db.proposal.findUniqueOrThrow({ where: { id: proposal.id } })).status).toBe("pending");
    // Audited after the answer (acknowledge first): waited for, then counted once.
    await waitForValue(() => database.db.auditLog.findFirst({ where: { userId: "999", outcome: "refused" } }));
    expect(await database.db.auditLog.count({ where: { userId: "999", outcome: "refused" } })).toBe(1);
    expect(await database.db.order.count()).toBe(0);

    // Bob approves on Discord: the paper order fills in SQLite and both cards say so.
    discord.pressButton(DC_BOB, dcCard.id, approveData);
    const position = await waitForValue(() => database.db.position.findUnique({ where: { proposalId: proposal.id } }));
    expect(position.side).toBe("short");
    // Sells into the 41,999.5 bid, minus 2 bp slippage.
    expect(position.entryPrice).toBeCloseTo(41_999.5 * 0.9998, 4);
    expect(tgCard.text).toMatch(/SHORT for the next 8h: 3 of 4 streams confirm \(the conservative profile needs 3\)/);
    expect(await database.db.order.count()).toBe(1);
    await telegram.waitFor(() => telegram.edits.find((e) => e.messageId === tgCard.messageId && /Open: filled/.test(e.text)), 10_000);
    await discord.waitFor(() => discord.edits.find((e) => e.messageId === dcCard.id && /Open: filled/.test(e.content ?? "")), 10_000);

    // /pnl on Telegram shows the position.
    telegram.injectCommand(TG_ALICE, DESK, "/pnl");
    const pnl = await telegram.waitFor(() => telegram.sentMessages.find((m) => m.text.startsWith("PnL (paper)")), 10_000);
    expect(pnl.text).toMatch(/open short 0\.\d+ BTC @ 41991\.1/);
  });

  it("serves /pause and /resume on both platforms, to allowed users only", async () => {
    // Mallory was answered a refusal in the previous test, less than a minute ago: this one is
    // audited but not answered (one answer per stranger per minute).
    telegram.injectCommand(TG_MALLORY, DESK, "/pause because I can");
    const refused = await waitForValue(() => database.db.auditLog.findFirst({ where: { userId: "999", action: "/pause" } }));
    expect([refused.outcome, refused.detail]).toEqual(["refused", expect.stringMatching(/not answered/) as unknown]);
    expect(telegram.sentMessages.filter((m) => /not allowed/.test(m.text))).toEqual([]);
    const account = await database.db.setting.findUnique({ where: { key: "risk.account" } });
    expect(account === null ? null : (JSON.parse(account.value) as { manualPause: unknown }).manualPause).toBeNull();

    const pause = discord.runSlashCommand(DC_BOB, "pause", { reason: "CPI print" });
    const paused = await discord.waitFor(() => discord.interactionResponses.find((r) => r.interactionId === pause && r.type === "edit-original"), 10_000);
    expect(JSON.stringify(paused.data)).toMatch(/Trading is paused/);
    // Everyone hears about it, on the other platform too.
    await telegram.waitFor(() => telegram.sentMessages.find((m) => /Trading paused by bob \(discord\) \(CPI print\)/.test(m.text)), 10_000);

    telegram.injectCommand(TG_ALICE, DESK, "/status");
    const status = await telegram.waitFor(() => telegram.sentMessages.find((m) => m.text.startsWith("perpbot — PAPER trading PAUSED")), 10_000);
    expect(status.text).toMatch(/paused by bob \(discord\) \(CPI print\)/);

    telegram.injectCommand(TG_ALICE, DESK, "/resume");
    await telegram.waitFor(() => telegram.sentMessages.find((m) => m.text === "Trading resumed."), 10_000);
    const audited = await database.db.auditLog.findMany({ where: { outcome: "ok" }, orderBy: { id: "asc" } });
    // Reads are audited too.
    expect(audited.map((a) => [a.platform, a.action])).toEqual([
      ["discord", "approve"], ["telegram", "/pnl"], ["discord", "/pause"], ["telegram", "/status"], ["telegram", "/resume"],
    ]);
  });
});

async function waitForValue<T>(read: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting for a value");
    await new Promise((r) => setTimeout(r, 50));
  }
}
