import type { Actor } from "../chat/transport";
import type { Db } from "./database";

export type AuditOutcome = "ok" | "refused" | "error";

/** Every chat action, allowed or refused, is written here before the answer goes out. */
export async function audit(db: Db, entry: { actor: Actor; action: string; target?: string; outcome: AuditOutcome; detail?: string; now: number }): Promise<void> {
  await db.auditLog.create({
    data: {
      ts: new Date(entry.now),
      platform: entry.actor.platform,
      userId: entry.actor.userId,
      displayName: entry.actor.displayName,
      action: entry.action,
      target: entry.target ?? null,
      outcome: entry.outcome,
      detail: entry.detail ?? null,
    },
  });
}
