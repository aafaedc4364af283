import { actorRole } from "../src/chat/chat-router";
import { roleVariable, type Role } from "../src/chat/roles";
import type { Command } from "./command";

const MAY: Record<Role, string> = {
  viewer: "you may use the read commands (/status, /pnl …).",
  approver: "you may use the read commands and approve or reject proposals.",
  admin: "you may use every command and press Approve/Reject.",
};

/**
 * Open to everyone: a newcomer needs their own numeric id before the owner can give them a role,
 * and it is nowhere in Telegram's or Discord's interface. The answer is private (a reply to their
 * own message in a Telegram group, ephemeral on Discord) and carries the id and role, never the
 * name. The role is the one authorization uses (memory, from the environment), so /whoami can
 * never promise what the router then refuses.
 */
export const whoamiCommand: Command = {
  name: "whoami",
  description: "Your user id on this app, and your role (what you may do)",
  args: [],
  usage: "/whoami",
  role: "viewer",
  openToEveryone: true,
  run(app, _args, actor) {
    const role = actorRole(app, actor);
    const id = `Your ${actor.platform} user id is ${actor.userId}.`;
    if (role !== null) return Promise.resolve({ text: `${id} Your role is ${role}: ${MAY[role]}`, private: true });
    const platform = actor.platform === "discord" ? "discord" : "telegram";
    const variables = `${roleVariable(platform, "viewer")}, ${roleVariable(platform, "approver")} or ${roleVariable(platform, "admin")}`;
    return Promise.resolve({ text: `${id} You have no role yet: the owner adds this id to ${variables}.`, private: true });
  },
};
