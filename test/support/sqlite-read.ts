import { existsSync } from "node:fs";
import Database from "better-sqlite3";

// ── read-only SQL on the shared SQLite file ──────────────────────────────────────────────

/** Opens `file` read-only for one query (no Prisma: the client is being regenerated). */
export function sql<T = Record<string, unknown>>(file: string, query: string, ...params: unknown[]): T[] {
  if (!existsSync(file)) throw new Error(`database ${file} does not exist yet`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 2000");
    return db.prepare(query).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function sqlCount(file: string, query: string, ...params: unknown[]): number {
  const row = sql<Record<string, unknown>>(file, query, ...params)[0];
  const value = row === undefined ? 0 : Object.values(row)[0];
  return Number(value ?? 0);
}
