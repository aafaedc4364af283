import type { Actor } from "../chat/transport";
import type { Db } from "./database";

export type AuditOutcome = "ok" | "refused" | "error";

/**
 * Typed input lands in the audit as text: a lone UTF-16 surrogate (an emoji cut by a length cap,
 * or a forged payload) makes the database driver refuse the whole row, and the action would fail
 * instead of being answered (found by test/integration/chat-fuzz.test.ts). Each one becomes U+FFFD.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export const wellFormed = (text: string): string => text.replace(LONE_SURROGATE, "\uFFFD");
const wellFormedOrNull = (text: string | undefined): string | null => (text === undefined ? null : wellFormed(text));

/** Every chat action, allowed or refused, is written here before the answer goes out. */
export async function audit(db: Db, entry: { actor: Actor; action: string; target?: string; outcome: AuditOutcome; detail?: string; now: number }): Promise<void> {
  await db.auditLog.create({
    data: {
      ts: new Date(entry.now),
      platform: entry.actor.platform,
      userId: wellFormed(entry.actor.userId),
      displayName: wellFormed(entry.actor.displayName),
      action: wellFormed(entry.action),
      target: wellFormedOrNull(entry.target),
      outcome: entry.outcome,
      detail: wellFormedOrNull(entry.detail),
    },
  });
}
