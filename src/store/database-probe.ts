import Database from "better-sqlite3";
import { sqlitePathFromUrl, type Db } from "./database";

/**
 * How the database's outage log (src/queue/outage-log.ts) and /health ask whether the database can
 * be used again. A `SELECT 1` is not enough: on SQLite it never touches the file, so it answers
 * while another process holds the write lock and every write waits out busy_timeout and fails.
 * The probe has to ask for what work needs, a write.
 */

/**
 * Provider-neutral: a trivial query, then an UPDATE that matches no row (it must take the write
 * lock, and changes nothing). On SQLite through Prisma the UPDATE waits out busy_timeout while the
 * file is locked, and better-sqlite3 waits synchronously, holding up the whole process: use
 * `sqliteWriteProbe` there.
 */
export function databaseAnswers(db: Db): () => Promise<boolean> {
  return async () => {
    await db.$queryRaw`SELECT 1`;
    await db.$executeRaw`UPDATE "Setting" SET "key" = "key" WHERE 1 = 0`;
    return true;
  };
}

/** How long the SQLite probe waits for another connection's lock: longer than any healthy write holds it. */
const SQLITE_PROBE_WAIT_MS = 200;

/**
 * SQLite: whether a write transaction can begin on `file` now, asked on a connection of its own
 * that waits at most 200 ms for the lock (the application's connection waits 5 s, blocking the
 * event loop meanwhile). Nothing is written: BEGIN IMMEDIATE takes the lock, ROLLBACK gives it back.
 * Also asks the application's own client, so a client that is closed or broken is not reported up.
 */
export function sqliteWriteProbe(db: Db, file: string): () => Promise<boolean> {
  return async () => {
    await db.$queryRaw`SELECT 1`;
    const probe = new Database(file, { fileMustExist: true, timeout: SQLITE_PROBE_WAIT_MS });
    try {
      probe.exec("BEGIN IMMEDIATE");
      probe.exec("ROLLBACK");
      return true;
    } finally {
      probe.close();
    }
  };
}

/** The probe for a DATABASE_URL: SQLite's non-blocking write check for file: URLs, the neutral one otherwise. */
export function databaseProbeFor(db: Db, url: string): () => Promise<boolean> {
  return url.startsWith("file:") ? sqliteWriteProbe(db, sqlitePathFromUrl(url)) : databaseAnswers(db);
}
