import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../prisma/migrations");

/** "file:./data/perpbot.db" → absolute path; relative paths resolve against the working directory. */
export function sqlitePathFromUrl(url: string): string {
  if (!url.startsWith("file:")) {
    throw new Error(`DATABASE_URL must be a SQLite file URL like file:./data/perpbot.db (got "${url.split(":")[0]}:…")`);
  }
  return path.resolve(url.slice("file:".length));
}

/**
 * Applies the committed migrations in prisma/migrations that the database has not seen, in order,
 * each in a transaction. It keeps Prisma's own `_prisma_migrations` bookkeeping (same checksum),
 * so `prisma migrate deploy` and this agree about what is applied. Returns the names applied.
 */
export function applyMigrations(dbFile: string, migrationsDir: string = MIGRATIONS_DIR): string[] {
  mkdirSync(path.dirname(dbFile), { recursive: true });
  const sqlite = new Database(dbFile);
  try {
    sqlite.pragma("journal_mode = WAL");
    sqlite.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
      "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
      "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
    const applied = new Set(
      (sqlite.prepare(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`).all() as { migration_name: string }[])
        .map((row) => row.migration_name),
    );
    const names = readdirSync(migrationsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const newlyApplied: string[] = [];
    for (const name of names) {
      if (applied.has(name)) continue;
      const sql = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      // SQLite ignores PRAGMA foreign_keys inside a transaction, and Prisma's table rebuilds
      // (create new, copy, drop old, rename) rely on it being off: with it on, dropping the old
      // table would null or delete the rows that reference it. So: off around the transaction,
      // and the references are checked before commit instead.
      sqlite.pragma("foreign_keys = OFF");
      sqlite.transaction(() => {
        sqlite.exec(sql);
        const broken = sqlite.pragma("foreign_key_check") as unknown[];
        if (broken.length > 0) throw new Error(`migration ${name} would leave ${broken.length} broken reference(s); nothing was changed`);
        sqlite.prepare(`INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count, started_at)
          VALUES (?, ?, ?, ?, 1, ?)`).run(randomUUID(), checksum, Date.now(), name, Date.now());
      })();
      sqlite.pragma("foreign_keys = ON");
      newlyApplied.push(name);
    }
    return newlyApplied;
  } finally {
    sqlite.close();
  }
}

/** Creates the database file if needed, migrates it, and opens a Prisma client on it. */
export async function openDatabase(url: string): Promise<Db> {
  const file = sqlitePathFromUrl(url);
  applyMigrations(file);
  const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${file}` }) });
  await db.$connect();
  // Several processes (web, worker, bot) may share the file: wait for locks instead of failing.
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  return db;
}

/** SQLite refused a write because another connection holds the lock (two processes on one file). */
export function isBusyError(error: unknown): boolean {
  return error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message);
}

type TxClient = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/**
 * An interactive write transaction that survives lock contention between processes. SQLite opens
 * it deferred; when two processes both read and then write, one is refused at once with "database
 * is locked" (waiting would deadlock, so busy_timeout does not apply). Nothing was written, so the
 * whole transaction — reads included — is simply run again after a short random pause.
 */
export async function transact<T>(db: Db, body: (tx: TxClient) => Promise<T>, attempts = 12): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.$transaction(body, { timeout: 15_000, maxWait: 10_000 });
    } catch (error) {
      if (!isBusyError(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, 10 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}
