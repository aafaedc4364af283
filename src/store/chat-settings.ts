import { ALERT_EVENTS, DEFAULT_ALERT_MODE, isAlertEvent, isAlertMode, type AlertEvent, type AlertMode } from "../core/alert-events";
import type { Actor, Platform } from "../chat/transport";
import { wellFormed } from "./audit";
import { transact, type Db } from "./database";

/** The chats one platform's transport posts alerts to, as configured for this process. */
export interface ConfiguredChats {
  readonly platform: Platform;
  readonly chatIds: readonly string[];
}

export interface ChatChanges {
  readonly added: number;
  readonly removed: number;
}

/**
 * Makes the Chat table match the configured chats of the platforms this process posts to. A chat
 * no longer listed is marked, not deleted: its settings come back with it. Platforms this process
 * has no transport for are left alone (another process may serve them). One transaction.
 */
export async function syncChats(db: Db, configured: readonly ConfiguredChats[], now: number): Promise<ChatChanges> {
  return transact(db, async (tx) => {
    let added = 0;
    let removed = 0;
    for (const { platform, chatIds } of configured) {
      const wanted = new Set(chatIds);
      const stored = await tx.chat.findMany({ where: { platform } });
      const byId = new Map(stored.map((row) => [row.chatId, row]));
      for (const chatId of wanted) {
        const row = byId.get(chatId);
        if (row === undefined) await tx.chat.create({ data: { platform, chatId, configured: true, updatedAt: new Date(now) } });
        else if (!row.configured) await tx.chat.update({ where: { platform_chatId: { platform, chatId } }, data: { configured: true, updatedAt: new Date(now) } });
        else continue;
        added += 1;
      }
      const gone = stored.filter((row) => row.configured && !wanted.has(row.chatId));
      for (const row of gone) await tx.chat.update({ where: { platform_chatId: { platform, chatId: row.chatId } }, data: { configured: false, updatedAt: new Date(now) } });
      removed += gone.length;
    }
    return { added, removed };
  });
}

/** One chat's mode for every kind of alert; a kind it never chose is on. */
export type AlertModes = Readonly<Record<AlertEvent, AlertMode>>;

function modesFrom(rows: readonly { event: string; mode: string }[]): AlertModes {
  const modes = Object.fromEntries(ALERT_EVENTS.map((event) => [event, DEFAULT_ALERT_MODE])) as Record<AlertEvent, AlertMode>;
  for (const row of rows) if (isAlertEvent(row.event) && isAlertMode(row.mode)) modes[row.event] = row.mode;
  return modes;
}

/** A configured chat's modes; null for a chat the bot does not post alerts to (a private chat with it, say). */
export async function readChatModes(db: Db, platform: Platform, chatId: string): Promise<AlertModes | null> {
  const chat = await db.chat.findUnique({ where: { platform_chatId: { platform, chatId } }, include: { alerts: true } });
  return chat === null || !chat.configured ? null : modesFrom(chat.alerts);
}

/**
 * Every chat whose mode for `event` is not "on", as "platform:chatId" → mode: one read per notice,
 * whatever the number of chats. A row this version cannot read counts as "on" (a stored typo must
 * not silence an alert).
 */
export async function chatsNotOn(db: Db, event: AlertEvent): Promise<ReadonlyMap<string, Exclude<AlertMode, "on">>> {
  const rows = await db.chatAlertSetting.findMany({ where: { event, mode: { not: "on" } }, select: { platform: true, chatId: true, mode: true } });
  const modes = new Map<string, Exclude<AlertMode, "on">>();
  for (const row of rows) if (row.mode === "silent" || row.mode === "off") modes.set(`${row.platform}:${row.chatId}`, row.mode);
  return modes;
}

export interface ModeChange {
  readonly event: AlertEvent;
  readonly before: AlertMode;
  readonly after: AlertMode;
}

/**
 * Sets `mode` for `events` in one configured chat, and audits the change in the same transaction
 * (who, which chat, each kind before → after), beside the router's entry for the command. Returns
 * what changed; null when the chat is not a configured one (nothing written).
 */
export async function setChatModes(db: Db, chat: { platform: Platform; chatId: string }, events: readonly AlertEvent[], mode: AlertMode, actor: Actor, now: number): Promise<ModeChange[] | null> {
  return transact(db, async (tx) => {
    const key = { platform: chat.platform, chatId: chat.chatId };
    const stored = await tx.chat.findUnique({ where: { platform_chatId: key }, include: { alerts: true } });
    if (stored === null || !stored.configured) return null;
    const before = modesFrom(stored.alerts);
    const changes = events.filter((event) => before[event] !== mode).map((event) => ({ event, before: before[event], after: mode }));
    for (const { event } of changes) {
      await tx.chatAlertSetting.upsert({
        where: { platform_chatId_event: { ...key, event } },
        create: { ...key, event, mode, updatedAt: new Date(now) },
        update: { mode, updatedAt: new Date(now) },
      });
    }
    if (changes.length > 0) {
      await tx.auditLog.create({
        data: {
          ts: new Date(now), platform: actor.platform, userId: wellFormed(actor.userId), displayName: wellFormed(actor.displayName),
          action: "alert-settings", target: `${chat.platform}:${chat.chatId}`, outcome: "ok",
          detail: changes.map((c) => `${c.event} ${c.before} -> ${c.after}`).join(", "),
        },
      });
    }
    return changes;
  });
}
