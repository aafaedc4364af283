import { CHAT_PLATFORMS, ROLES, type ChatPlatform, type ChatRoles, type Role } from "../chat/roles";
import { transact, type Db } from "./database";

/** Rows written from the *_USER_IDS variables; a later /settings would write its own source. */
export const ENV_SOURCE = "env";

export interface StoredChatUser {
  readonly platform: ChatPlatform;
  readonly userId: string;
  readonly role: Role;
  readonly source: string;
  readonly updatedAt: Date;
}

export interface ChatUserChanges {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
}

/**
 * Makes the ChatUser table match the configured roles, at the start of a process that answers
 * chat. The environment is the truth at each start: a user no longer listed loses their row, a
 * changed role is rewritten (and `updatedAt` then says since when), an unchanged one is left as it
 * was. One transaction, so the audit never sees half a list. Returns what changed, for the log.
 */
export async function syncChatUsers(db: Db, roles: ChatRoles, now: number): Promise<ChatUserChanges> {
  return transact(db, async (tx) => {
    const stored = await tx.chatUser.findMany({ where: { platform: { in: [...CHAT_PLATFORMS] } } });
    const byKey = new Map(stored.map((row) => [`${row.platform}:${row.userId}`, row]));
    let added = 0;
    let changed = 0;
    const wanted = new Set<string>();
    for (const platform of CHAT_PLATFORMS) {
      for (const [userId, role] of Object.entries(roles[platform])) {
        const key = `${platform}:${userId}`;
        wanted.add(key);
        const row = byKey.get(key);
        if (row === undefined) {
          await tx.chatUser.create({ data: { platform, userId, role, source: ENV_SOURCE, updatedAt: new Date(now) } });
          added += 1;
        } else if (row.role !== role || row.source !== ENV_SOURCE) {
          await tx.chatUser.update({ where: { platform_userId: { platform, userId } }, data: { role, source: ENV_SOURCE, updatedAt: new Date(now) } });
          changed += 1;
        }
      }
    }
    // Only rows the environment wrote: rows another source may write one day are that source's to manage.
    const gone = stored.filter((row) => row.source === ENV_SOURCE && !wanted.has(`${row.platform}:${row.userId}`));
    for (const row of gone) await tx.chatUser.delete({ where: { platform_userId: { platform: row.platform, userId: row.userId } } });
    return { added, changed, removed: gone.length };
  });
}

/** The stored roles, for the audit and later management; authorization reads memory instead. */
export async function readChatUsers(db: Db): Promise<StoredChatUser[]> {
  const rows = await db.chatUser.findMany({ orderBy: [{ platform: "asc" }, { userId: "asc" }] });
  return rows.flatMap((row) => {
    const platform = CHAT_PLATFORMS.find((p) => p === row.platform);
    const role = ROLES.find((r) => r === row.role);
    return platform === undefined || role === undefined ? [] : [{ ...row, platform, role }];
  });
}
