import { ALERT_EVENTS, type AlertEvent, type AlertMode } from "../core/alert-events";
import { roleAtLeast, roleOf } from "../chat/roles";
import type { Actor, Platform } from "../chat/transport";
import { readChatModes, setChatModes, type AlertModes, type ModeChange } from "../store/chat-settings";
import { UserError, type App } from "./context";

/** The setting that lists each platform's alert chats, named when a chat is not one of them. */
const CHAT_LIST_VARIABLE: Record<Platform, string> = {
  telegram: "TELEGRAM_CHAT_IDS", discord: "DISCORD_CHANNEL_IDS", console: "the console",
};

export interface ChatAlerts {
  readonly platform: Platform;
  readonly chatId: string;
  readonly modes: AlertModes;
}

function notAnAlertChat(platform: Platform): UserError {
  return new UserError(`This chat gets no alerts (it is not in ${CHAT_LIST_VARIABLE[platform]}), so it has no alert settings. Send /settings in a chat that gets the alerts.`);
}

/** The alert settings of the chat a command came from. */
export async function chatAlerts(app: App, platform: Platform, chatId: string | undefined): Promise<ChatAlerts> {
  if (chatId === undefined) throw notAnAlertChat(platform);
  const modes = await readChatModes(app.db, platform, chatId);
  if (modes === null) throw notAnAlertChat(platform);
  return { platform, chatId, modes };
}

export interface AlertsChanged extends ChatAlerts {
  readonly changes: readonly ModeChange[];
}

/**
 * Sets one kind (or all) to `mode` in the chat the command came from. Admins only: the router
 * already refused anyone else (`roleFor` of /settings); checked again here because a setting that
 * silences stop alerts must never be changed by a path that forgot to ask.
 */
export async function changeChatAlerts(app: App, actor: Actor, chatId: string | undefined, target: AlertEvent | "all", mode: AlertMode): Promise<AlertsChanged> {
  const role = roleOf(app.settings.chatRoles, actor);
  if (role === null || !roleAtLeast(role, "admin")) throw new UserError("Changing alert settings needs the admin role.");
  if (chatId === undefined) throw notAnAlertChat(actor.platform);
  const events = target === "all" ? ALERT_EVENTS : [target];
  const chat = { platform: actor.platform, chatId };
  const changes = await setChatModes(app.db, chat, events, mode, actor, app.clock());
  if (changes === null) throw notAnAlertChat(actor.platform);
  if (changes.length > 0) app.logger.info({ platform: chat.platform, chatId, changes, by: actor.userId }, "chat alert settings changed");
  return { ...await chatAlerts(app, chat.platform, chatId), changes };
}
