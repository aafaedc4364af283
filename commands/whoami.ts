import { isAllowed } from "../src/chat/chat-router";
import type { Command } from "./command";

/**
 * Open to everyone: a newcomer needs their own numeric id before the owner can allow them, and it
 * is nowhere in Telegram's or Discord's interface. The answer is private (a reply to their own
 * message in a Telegram group, ephemeral on Discord) and carries the id, never the name.
 */
export const whoamiCommand: Command = {
  name: "whoami",
  description: "Your user id on this app, and whether you may act",
  args: [],
  usage: "/whoami",
  mutates: false,
  openToEveryone: true,
  run(app, _args, actor) {
    const variable = actor.platform === "discord" ? "DISCORD_ALLOWED_USER_IDS" : "TELEGRAM_ALLOWED_USER_IDS";
    const may = isAllowed(app, actor)
      ? "You may use every command and press Approve/Reject."
      : `You may not act yet: the owner adds this id to ${variable}.`;
    return Promise.resolve({ text: `Your ${actor.platform} user id is ${actor.userId}. ${may}`, private: true });
  },
};
