import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { PrismaClient } from "./generated/client";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { insideTransactionBody, inTurns } from "./sqlite-connection";
import { sqliteOnThread } from "./sqlite-thread";
import { keepWasmOnBaselineTier } from "./wasm-tier";
import { PROJECT_ROOT } from "../project-root";

/**
 * The one database type the rest of the code uses. SQLite and PostgreSQL each need a client
 * generated for their provider, but both are generated from the same models (prisma/schema.prisma;
 * the PostgreSQL schema is derived from it), so their model APIs are the same. The PostgreSQL
 * client (with its upsert extension, see postgres-database.ts) is cast to this type where it is
 * opened (openDatabase), and nowhere else.
 */
export type Db = PrismaClient;

export type DatabaseProvider = "sqlite" | "postgres";

const ACCEPTED_URLS = "a SQLite file URL like file:./data/perpbot.db or a PostgreSQL URL like postgresql://user@host:5432/perpbot";

/** Which database a DATABASE_URL names, by its scheme: file: → SQLite, postgres(ql):// → PostgreSQL. */
export function databaseProvider(url: string): DatabaseProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgres";
  throw new Error(`DATABASE_URL must be ${ACCEPTED_URLS} (got "${url.split(":")[0]}:…")`);
}

const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma/migrations");

/** "file:./data/perpbot.db" → absolute path; relative paths resolve against the working directory. */
export function sqlitePathFromUrl(url: string): string {
  if (databaseProvider(url) !== "sqlite") throw new Error(`this needs a SQLite file URL like file:./data/perpbot.db, not a PostgreSQL URL (DATABASE_URL accepts ${ACCEPTED_URLS})`);
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

/** The clients openDatabase opened on PostgreSQL (transact runs them serializable). */
const postgresClients = new WeakSet<Db>();

export interface OpenOptions {
  /**
   * SQLite only: run the connection on its own thread (sqlite-thread.ts). A process that answers
   * chat wants it (a press is answered while a decision is written: acknowledgement p99 about 3×
   * shorter in the bench); batch work is a little faster in process (every statement is a message
   * each way: the 100-symbol signals cycle 77–83 ms p50 through the thread against 72–77 ms in
   * process, after its writes became few batch statements). Default: in process.
   */
  readonly sqliteThread?: boolean;
}

/**
 * Migrates the database DATABASE_URL names and opens a Prisma client on it: a SQLite file (created
 * if needed) or a PostgreSQL database (the schema created if needed).
 */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Db> {
  keepWasmOnBaselineTier(); // before the client compiles Prisma's query planner (wasm-tier.ts: ~50 MB less)
  if (databaseProvider(url) === "postgres") {
    // Loaded only for a PostgreSQL URL: pg, its adapter and the second generated client cost a
    // SQLite process ~15 MB it never uses.
    const { openPostgresClient } = await import("./postgres-database");
    const db = (await openPostgresClient(url)) as unknown as Db;
    postgresClients.add(db);
    return db;
  }
  const file = sqlitePathFromUrl(url);
  applyMigrations(file);
  const connection = options.sqliteThread === true ? sqliteOnThread(`file:${file}`) : new PrismaBetterSqlite3({ url: `file:${file}` });
  const db = new PrismaClient({ adapter: inTurns(connection) });
  await db.$connect();
  // Several processes (web, worker, bot) may share the file: wait for locks instead of failing.
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  return db;
}

/**
 * The database refused a transaction because of another connection, and running it again is the
 * answer: SQLite's lock (two processes on one file); PostgreSQL's serialization failure or deadlock
 * (Prisma's P2034, or the server's codes 40001 / 40P01 in the message).
 */
export function isBusyError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as { code?: unknown }).code === "P2034") return true;
  // The SQLite adapter reports SQLITE_BUSY as P1008 "Operation has timed out"; the driver's own code
  // is kept beside it.
  const driver = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } }).meta?.driverAdapterError?.cause?.originalCode;
  if (typeof driver === "string" && driver.startsWith("SQLITE_BUSY")) return true;
  return /database is locked|SQLITE_BUSY|could not serialize access|deadlock detected|40001|40P01/i.test(error.message);
}

/** An attempt refused only after waiting this long met a lock held for long (an outage), not a brief conflict. */
const LONG_LOCK_WAIT_MS = 2_000;

type TxClient = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/**
 * An interactive write transaction that survives lock contention between processes. SQLite opens
 * it deferred; when two processes both read and then write, one is refused at once with "database
 * is locked" (waiting would deadlock, so busy_timeout does not apply). Nothing was written, so the
 * whole transaction — reads included — is simply run again after a short random pause.
 * On PostgreSQL it runs serializable, so callers get what SQLite's single writer gives them (a
 * read-then-insert cannot interleave with another's); the server refuses the loser with a
 * serialization failure, and the transaction is run again the same way.
 */
export async function transact<T>(db: Db, body: (tx: TxClient) => Promise<T>, attempts = 12): Promise<T> {
  const isolation = postgresClients.has(db) ? { isolationLevel: "Serializable" as const } : {};
  for (let attempt = 1; ; attempt += 1) {
    const startedAt = Date.now();
    try {
      return await db.$transaction((tx) => insideTransactionBody.run(true, () => body(tx)), { timeout: 15_000, maxWait: 10_000, ...isolation });
    } catch (error) {
      if (!isBusyError(error) || attempt >= attempts) throw error;
      // Refused after waiting out busy_timeout: another process holds the file for long. One more
      // try, then the caller's job fails and is retried later, instead of this process stalling
      // (better-sqlite3 waits synchronously) for a dozen busy timeouts.
      if (Date.now() - startedAt >= LONG_LOCK_WAIT_MS && attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, 10 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}
