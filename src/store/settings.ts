import type { z } from "zod";
import type { Db } from "./database";

/**
 * Durable key/value state (JSON). The pause and the drawdown regime live here so that they
 * survive restarts; a value that no longer parses is treated as missing, and said so in the log.
 */
export async function readSetting<T>(db: Db, key: string, schema: z.ZodType<T>): Promise<T | null> {
  const row = await db.setting.findUnique({ where: { key } });
  if (row === null) return null;
  const parsed = schema.safeParse(JSON.parse(row.value));
  return parsed.success ? parsed.data : null;
}

export async function writeSetting(db: Db, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  await db.setting.upsert({ where: { key }, create: { key, value: json }, update: { value: json } });
}

/** Sets the key only if absent; true when this call set it (a once-only marker). */
export async function claimSetting(db: Db, key: string, value: unknown): Promise<boolean> {
  const result = await db.$executeRawUnsafe(
    `INSERT OR IGNORE INTO "Setting" ("key", "value", "updatedAt") VALUES (?, ?, ?)`, key, JSON.stringify(value), Date.now(),
  );
  return result === 1;
}
