import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach } from "vitest";
import { openDatabase, type Db } from "../../src/store/database";

/**
 * Fresh migrated SQLite files in a scratch folder, each disconnected after its test and the folder
 * removed after the file: `const freshDb = useFreshDatabases("import"); const db = await freshDb();`
 */
export function useFreshDatabases(prefix: string): () => Promise<Db> {
  const scratch = mkdtempSync(path.join(tmpdir(), `perpbot-${prefix}-`));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const open: Db[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.$disconnect()));
  });
  let count = 0;
  return async () => {
    count += 1;
    const db = await openDatabase(`file:${path.join(scratch, `${prefix}-${count}.db`)}`);
    open.push(db);
    return db;
  };
}
