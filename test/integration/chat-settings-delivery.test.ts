/**
 * Issue 9 point 3: the notifier honours each chat's alert settings. Through the real bot role
 * (outbox → BullMQ → notify job) to the real telegraf and discord.js, against stand-ins that check
 * disable_notification and message flags as Telegram and Discord do: "off" is not posted to that
 * chat (the others still get it), "silent" is posted without a sound; a card follows "proposal"
 * for its first post only; an intent written before kinds existed counts as "system".
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rejectProposal } from "../../src/app/decide-proposal";
import { sendText } from "../../src/app/send-text";
import type { AlertEvent, AlertMode } from "../../src/core/alert-events";
import { setChatModes } from "../../src/store/chat-settings";
import { writeIntents } from "../../src/store/outbox";
import { seedProposal } from "../support/fixtures";
import { CHAT, DESK, startAlertDesk, until, type AlertDesk } from "../support/alert-desk";

const SUPPRESS_NOTIFICATIONS = 1 << 12;
const ADMIN = { platform: "telegram" as const, userId: "111", displayName: "Alice" };

let desk: AlertDesk;
beforeEach(async () => {
  desk = await startAlertDesk();
});
afterEach(async () => {
  await desk.close();
});

async function setMode(platform: "telegram" | "discord", chatId: string | number, event: AlertEvent, mode: AlertMode): Promise<void> {
  const changes = await setChatModes(desk.runtime.app.db, { platform, chatId: String(chatId) }, [event], mode, ADMIN, Date.now());
  expect(changes, `${platform} ${chatId} is a configured chat`).not.toBeNull();
}

async function delivered(intentId: string): Promise<void> {
  await until(async () => (await desk.runtime.app.db.intent.findUnique({ where: { id: intentId } }))?.status === "done", 10_000);
}

const telegramCopies = (text: string) => desk.telegram.sentMessages.filter((m) => m.text === text).map((m) => ({ chatId: m.chatId, silent: m.silent }));
const discordCopies = (text: string) => desk.discord.messages.filter((m) => m.content === text).map((m) => ({ silent: (m.flags & SUPPRESS_NOTIFICATIONS) !== 0 }));

describe("text notices", () => {
  it("skips the chats that turned a kind off, posts silently where it is silent, loudly elsewhere", async () => {
    await setMode("telegram", DESK, "funding", "off");
    await setMode("telegram", CHAT, "funding", "silent");
    await sendText(desk.runtime.app, "funding-1", "⏰ MNT funding in 30 min", "funding");
    await delivered("text-funding-1");
    expect(telegramCopies("⏰ MNT funding in 30 min")).toEqual([{ chatId: CHAT, silent: true }]);
    expect(discordCopies("⏰ MNT funding in 30 min")).toEqual([{ silent: false }]);

    // Another kind is untouched by the funding setting: both Telegram chats, with sound.
    await sendText(desk.runtime.app, "exit-1", "MNT stop hit", "exit");
    await delivered("text-exit-1");
    expect(telegramCopies("MNT stop hit").sort((a, b) => a.chatId - b.chatId)).toEqual([{ chatId: DESK, silent: false }, { chatId: CHAT, silent: false }]);

    await setMode("discord", desk.discord.channelId, "funding", "silent");
    await sendText(desk.runtime.app, "funding-2", "⏰ MNT funding in 29 min", "funding");
    await delivered("text-funding-2");
    expect(discordCopies("⏰ MNT funding in 29 min")).toEqual([{ silent: true }]);

    await setMode("discord", desk.discord.channelId, "funding", "off");
    await sendText(desk.runtime.app, "funding-3", "⏰ MNT funding in 28 min", "funding");
    await delivered("text-funding-3");
    expect(discordCopies("⏰ MNT funding in 28 min")).toEqual([]);
    expect(telegramCopies("⏰ MNT funding in 28 min")).toEqual([{ chatId: CHAT, silent: true }]);
  });

  it("counts an intent written without a kind (before kinds existed) as system", async () => {
    await setMode("telegram", DESK, "system", "off");
    await setMode("telegram", CHAT, "system", "silent");
    const [id] = await writeIntents(desk.runtime.app.db, [{ kind: "text", key: "old-1", text: "Redis lost the queues" }], Date.now());
    await desk.runtime.app.dispatch([id ?? ""]);
    await delivered(id ?? "");
    expect(telegramCopies("Redis lost the queues")).toEqual([{ chatId: CHAT, silent: true }]);
    expect(discordCopies("Redis lost the queues")).toEqual([{ silent: false }]);
  });

  it("a retry after a rate limit posts only to the chats still missing it, still silent, and the off chat never", async () => {
    await setMode("telegram", DESK, "data", "silent");
    await setMode("discord", desk.discord.channelId, "data", "off");
    desk.telegram.floodChat(CHAT, 1);
    // Lifted once the job's first attempt has failed for CHAT (not at a fixed time: on a loaded
    // machine the job could start after it, and nothing would be retried).
    const lift = setInterval(() => {
      void desk.runtime.queues.notify.getJob("text-data-1").then((job) => {
        if ((job?.attemptsMade ?? 0) < 1) return;
        clearInterval(lift);
        desk.telegram.floodChat(CHAT, undefined);
      });
    }, 20);
    await sendText(desk.runtime.app, "data-1", "bybit: no order book for 10 min", "data");
    await delivered("text-data-1");
    expect(telegramCopies("bybit: no order book for 10 min").sort((a, b) => a.chatId - b.chatId)).toEqual([{ chatId: DESK, silent: true }, { chatId: CHAT, silent: false }]);
    expect(discordCopies("bybit: no order book for 10 min")).toEqual([]);
    const job = await desk.runtime.queues.notify.getJob("text-data-1");
    // BullMQ counts the completing attempt too: 2 or more means the first one failed for CHAT and the job really was retried.
    expect(job?.attemptsMade).toBeGreaterThanOrEqual(2);
  }, 15_000);
});

describe("cards", () => {
  it("follow the proposal setting for their first post, and keep being edited where a copy exists", async () => {
    await setMode("telegram", DESK, "proposal", "silent");
    await setMode("telegram", CHAT, "proposal", "off");
    const app = desk.runtime.app;
    const proposalId = await seedProposal(app);
    const card = `card-${proposalId}-0`;
    await app.dispatch([card]);
    await delivered(card);
    const posted = desk.telegram.sentMessages.filter((m) => m.replyMarkup !== undefined);
    expect(posted.map((m) => ({ chatId: m.chatId, silent: m.silent }))).toEqual([{ chatId: DESK, silent: true }]);
    expect(desk.discord.messages.filter((m) => m.components.length > 0).map((m) => (m.flags & SUPPRESS_NOTIFICATIONS) !== 0)).toEqual([false]);

    // Turned off after the card was posted: the copy must still lose its buttons when decided.
    await setMode("telegram", DESK, "proposal", "off");
    await rejectProposal(app, proposalId, ADMIN);
    const deskCopy = posted[0];
    await until(() => desk.telegram.edits.find((e) => e.chatId === DESK && e.messageId === deskCopy?.messageId && e.replyMarkup === undefined));
    expect(desk.telegram.sentMessages.filter((m) => m.chatId === CHAT)).toEqual([]);
    await until(() => desk.discord.edits.length > 0);
  });
});

describe("the stand-ins check the silent fields as the services do", () => {
  it("Telegram takes disable_notification only as a Boolean; Discord's new messages take only the suppress flags", async () => {
    const telegram = (body: object) => fetch(`${desk.telegram.apiRoot}/bot${desk.telegram.token}/sendMessage`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ chat_id: DESK, text: "x", ...body }) });
    expect((await telegram({ disable_notification: "yes" })).status).toBe(400);
    expect((await telegram({ disable_notification: true })).status).toBe(200);
    const discord = (flags: unknown) => fetch(`${desk.discord.apiRoot}/v10/channels/${desk.discord.channelId}/messages`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bot ${desk.discord.token}` }, body: JSON.stringify({ content: "x", flags }),
    });
    expect((await discord(64)).status).toBe(400); // EPHEMERAL: only for interaction responses
    expect((await discord("many")).status).toBe(400);
    expect((await discord(SUPPRESS_NOTIFICATIONS | 4)).status).toBe(200);
  });
});
