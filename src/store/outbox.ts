import { intentId, type Intent } from "../core/trading/intents";
import type { Db } from "./database";

/** A Prisma client or the transaction client inside `$transaction(async (tx) => …)`. */
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export interface StoredIntent {
  readonly id: string;
  readonly intent: Intent;
  readonly status: "pending" | "done" | "failed";
  readonly dispatchedAt: number | null;
  readonly dispatches: number;
  readonly createdAt: number;
}

/**
 * Writes intents into the outbox. Call it inside the transaction that makes the state change, so
 * the change and the work it causes commit together or not at all. An intent already there is
 * left as it is (its id is deterministic), so a repeated transition adds nothing.
 */
export async function writeIntents(tx: Tx, intents: readonly Intent[], now: number, revision = 0): Promise<string[]> {
  const ids: string[] = [];
  for (const intent of intents) {
    const id = intentId(intent, revision);
    if (ids.includes(id)) continue;
    ids.push(id);
    // An upsert that changes nothing when the id exists: two processes writing the same intent
    // (a once-only message from two workers) end with one row and neither fails.
    await tx.intent.upsert({
      where: { id }, update: {},
      create: { id, kind: intent.kind, payloadJson: JSON.stringify(intent), status: "pending", createdAt: new Date(now) },
    });
  }
  return ids;
}

/** Re-opens an intent that was closed while its work is evidently not done (the reconciler's repair). */
export async function reopenIntent(tx: Tx, intent: Intent, now: number, revision = 0): Promise<string> {
  const id = intentId(intent, revision);
  await tx.intent.upsert({
    where: { id },
    create: { id, kind: intent.kind, payloadJson: JSON.stringify(intent), status: "pending", createdAt: new Date(now) },
    update: { status: "pending", doneAt: null, lastError: null },
  });
  return id;
}

export async function markIntentDone(db: Tx, id: string, now: number): Promise<void> {
  await db.intent.updateMany({ where: { id, status: "pending" }, data: { status: "done", doneAt: new Date(now), lastError: null } });
}

export async function markIntentFailed(db: Tx, id: string, error: string, now: number): Promise<void> {
  await db.intent.updateMany({ where: { id, status: "pending" }, data: { status: "failed", doneAt: new Date(now), lastError: error.slice(0, 500) } });
}

export async function noteDispatched(db: Tx, id: string, now: number): Promise<void> {
  await db.intent.update({ where: { id }, data: { dispatchedAt: new Date(now), dispatches: { increment: 1 } } });
}

export async function noteIntentError(db: Tx, id: string, error: string): Promise<void> {
  await db.intent.updateMany({ where: { id, status: "pending" }, data: { lastError: error.slice(0, 500) } });
}

function toStored(row: { id: string; payloadJson: string; status: string; dispatchedAt: Date | null; dispatches: number; createdAt: Date }): StoredIntent {
  return {
    id: row.id, intent: JSON.parse(row.payloadJson) as Intent, status: row.status as StoredIntent["status"],
    dispatchedAt: row.dispatchedAt?.getTime() ?? null, dispatches: row.dispatches, createdAt: row.createdAt.getTime(),
  };
}

export async function readIntents(db: Tx, ids: readonly string[]): Promise<StoredIntent[]> {
  const rows = await db.intent.findMany({ where: { id: { in: [...ids] } } });
  return rows.map(toStored);
}

/** Pending intents not dispatched since `before` (or never), oldest first. */
export async function pendingIntents(db: Tx, before: number, limit = 500): Promise<StoredIntent[]> {
  const rows = await db.intent.findMany({
    where: { status: "pending", OR: [{ dispatchedAt: null }, { dispatchedAt: { lt: new Date(before) } }] },
    orderBy: { createdAt: "asc" }, take: limit,
  });
  return rows.map(toStored);
}
