import { COMMANDS } from "../../commands";
import type { AlertEvent, AlertMode } from "../../src/core/alert-events";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { startRuntime, type Runtime } from "../../src/runtime";
import { openDatabase } from "../../src/store/database";
import { DiscordStandIn, type Json } from "../stand-ins/discord-server";
import { TelegramServer, type RecordedMessage } from "../stand-ins/telegram-server";
import { deployCommands } from "./discord-commands";
import { freshPrefix, newRedis, silentLogger, tempDatabase, testSettings } from "./test-env";

/**
 * A desk for the alert-settings tests: the real bot role (startRuntime, so the chats are mirrored
 * where production mirrors them, and notices go through BullMQ to the notify worker) with the real
 * telegraf and discord.js against both stand-ins. Two Telegram chats (a supergroup and a private
 * chat) and one Discord channel get the alerts.
 */
export const DESK = -1001234567890;
export const CHAT = 4242;
/** A private chat with the bot that is not an alert chat. */
export const DM = 555;

export const TG = {
  admin: { id: 111, first_name: "Alice" },
  approver: { id: 444, first_name: "Aaron" },
  viewer: { id: 333, first_name: "Vera" },
} as const;
export const DC = {
  admin: { id: "284101956723015680", username: "alice" },
  approver: { id: "284101956723015681", username: "aaron" },
  viewer: { id: "284101956723015682", username: "vera" },
} as const;

export interface AlertDesk {
  readonly telegram: TelegramServer;
  readonly discord: DiscordStandIn;
  runtime: Runtime;
  /** Stops this process and starts a new one on the same database file (a new Prisma client). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startAlertDesk(): Promise<AlertDesk> {
  const telegram = new TelegramServer({ botUsername: "perpbot_bot" });
  const discord = new DiscordStandIn();
  await Promise.all([telegram.start(), discord.start()]);
  await deployCommands(discord, COMMANDS, discord.guildId);
  const temp = await tempDatabase();
  const redis = newRedis();
  const prefix = freshPrefix();
  const settings = testSettings({
    chatRoles: {
      telegram: { [TG.admin.id]: "admin", [TG.approver.id]: "approver", [TG.viewer.id]: "viewer" },
      discord: { [DC.admin.id]: "admin", [DC.approver.id]: "approver", [DC.viewer.id]: "viewer" },
    },
  });
  let db = temp.db;
  const start = async (): Promise<Runtime> => {
    const transports = [
      new TelegramTransport({ token: telegram.token, apiRoot: telegram.apiRoot, chatIds: [String(DESK), String(CHAT)], logger: silentLogger, rateLimit: { secondMs: 20 }, pacing: { perChatGapMs: 10 } }),
      new DiscordTransport({ token: discord.token, apiRoot: discord.apiRoot, channelIds: [discord.channelId], guildId: discord.guildId, logger: silentLogger }),
    ];
    const runtime = await startRuntime({ roles: ["bot"], db, logger: silentLogger, settings, redis, queuePrefix: prefix, sources: [], transports, schedule: false });
    await runtime.botReady();
    return runtime;
  };
  const desk: AlertDesk = {
    telegram, discord, runtime: await start(),
    async restart() {
      await desk.runtime.stop();
      const old = db;
      db = await openDatabase(temp.url);
      await old.$disconnect();
      desk.runtime = await start();
    },
    async close() {
      await desk.runtime.stop();
      await Promise.all([telegram.stop(), discord.stop()]);
      await redis.quit();
      if (db !== temp.db) await db.$disconnect();
      await temp.cleanup();
    },
  };
  return desk;
}

/** The bot's next message in `chatId` after a user typed `text` there. */
export async function sayOnTelegram(desk: AlertDesk, from: { id: number; first_name: string }, chatId: number, text: string): Promise<RecordedMessage> {
  const before = desk.telegram.sentMessages.length;
  desk.telegram.injectCommand(from, chatId, text);
  return desk.telegram.waitFor(() => desk.telegram.sentMessages.slice(before).find((m) => m.chatId === chatId), 5_000);
}

/** What the user sees after a slash command: the edited deferral (public) or an ephemeral follow-up. */
export async function slashOnDiscord(desk: AlertDesk, user: { id: string; username: string }, name: string, options: Record<string, string> = {}): Promise<{ content: string; ephemeral: boolean }> {
  const id = desk.discord.runSlashCommand(user, name, options);
  const response = await desk.discord.waitFor(() => desk.discord.interactionResponses.find((r) => r.interactionId === id && (r.type === "edit-original" || r.type === "follow-up")), 5_000);
  const data: Json = response.data;
  return { content: String(data.content), ephemeral: response.type === "follow-up" && (Number(data.flags) & 64) === 64 };
}

/** The stored mode of one chat for one kind (no row: on). */
export async function storedMode(desk: AlertDesk, platform: string, chatId: string, event: AlertEvent): Promise<AlertMode> {
  const row = await desk.runtime.app.db.chatAlertSetting.findUnique({ where: { platform_chatId_event: { platform, chatId, event } } });
  return (row?.mode ?? "on") as AlertMode;
}

export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("until: condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}
