import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach } from "vitest";
import { openDatabase, type Db } from "../../src/store/database";
import { dropTestDatabase, freshDatabaseUrl } from "./test-database";

/**
 * Fresh migrated databases, each disconnected (and on PostgreSQL dropped) after its test:
 * `const freshDb = useFreshDatabases("import"); const db = await freshDb();`. SQLite files live
 * in a scratch folder removed after the file; PostgreSQL ones are schemas (test-database.ts).
 */
export function useFreshDatabases(prefix: string): () => Promise<Db> {
  const scratch = mkdtempSync(path.join(tmpdir(), `perpbot-${prefix}-`));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const open: { db: Db; url: string }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map(async ({ db, url }) => {
      await db.$disconnect();
      await dropTestDatabase(url);
    }));
  });
  let count = 0;
  return async () => {
    count += 1;
    const url = freshDatabaseUrl(path.join(scratch, `${prefix}-${count}.db`));
    const db = await openDatabase(url);
    open.push({ db, url });
    return db;
  };
}
