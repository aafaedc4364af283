import type { Actor } from "./transport";

/**
 * Who may do what in chat: a viewer reads (balances and positions are private, so reads need a
 * role too), an approver also decides proposals, an admin also pauses, resumes, changes risk,
 * closes positions and changes settings. Each role includes the ones before it.
 */
export type Role = "viewer" | "approver" | "admin";

/** Lowest first: the order that "includes the ones before it" means. */
export const ROLES: readonly Role[] = ["viewer", "approver", "admin"];

/** The platforms whose users are configured by id (the console is the machine's own operator). */
export type ChatPlatform = "telegram" | "discord";
export const CHAT_PLATFORMS: readonly ChatPlatform[] = ["telegram", "discord"];

/** Per platform, numeric user id → role. Users not listed have no role (strangers). */
export type ChatRoles = { readonly [P in ChatPlatform]: Readonly<Record<string, Role>> };

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * The environment variable that gives `role` on `platform`, e.g. TELEGRAM_APPROVER_USER_IDS: named
 * in refusals and /whoami so the owner knows exactly what to change.
 */
export function roleVariable(platform: ChatPlatform, role: Role): string {
  return `${platform.toUpperCase()}_${role.toUpperCase()}_USER_IDS`;
}

/**
 * Merges the configured lists into one role per user: an id in two lists gets the higher role
 * (naming someone an admin and, by habit, also a viewer must not demote them).
 */
export function rolesFromLists(lists: { readonly [R in Role]: readonly string[] }): Record<string, Role> {
  const roles: Record<string, Role> = {};
  for (const role of ROLES) for (const userId of lists[role]) roles[userId] = role; // ROLES is lowest first: later wins
  return roles;
}

/**
 * The role of whoever acts, or null for a stranger. Authorization reads it from memory, from the
 * settings built at start (src/app/settings-from-config.ts), never from the database: it is asked
 * on every command and every press, must answer within a button's deadline with the database
 * busy, and the environment is the source of truth anyway (the ChatUser table mirrors it for the
 * audit and later management; src/store/chat-users.ts). The console is the operator at the
 * machine's own terminal: always admin.
 */
export function roleOf(roles: ChatRoles, actor: Actor): Role | null {
  if (actor.platform === "console") return "admin";
  const forPlatform = roles[actor.platform];
  return Object.hasOwn(forPlatform, actor.userId) ? (forPlatform[actor.userId] ?? null) : null;
}
