import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { expect } from "vitest";

/**
 * Which database the tests run on: SQLite files by default, PostgreSQL with
 * PERPBOT_TEST_DATABASE=postgres (server at PERPBOT_TEST_POSTGRES_URL, default the local `test`
 * database). On PostgreSQL every fresh database is its own schema, `t_<run>_<hash>`, created by
 * the program's migrations on first open and dropped by `dropTestDatabase` (and, for whatever a
 * test left behind, by the global teardown: see `dropRunSchemas`).
 */
export const TEST_DATABASE: "sqlite" | "postgres" = process.env.PERPBOT_TEST_DATABASE === "postgres" ? "postgres" : "sqlite";
export const onPostgres = TEST_DATABASE === "postgres";

/**
 * Tests about the SQLite file itself, which keep SQLite files in the PostgreSQL run too (a file,
 * or "file > test name" for one test). They read the file behind the connection (PRAGMA
 * database_list, sqlite_master, VACUUM) and have nothing to check on PostgreSQL.
 */
const SQLITE_ONLY: readonly string[] = [
  "test/integration/market-recording-size.test.ts", // the bytes a compacted SQLite file takes per day
  "test/integration/chat-fuzz.test.ts", // dumps the state through sqlite_master and rowid
  "test/integration/liquidation-warnings.test.ts > liquidation warnings > a position driven toward liquidation across monitor passes: one warning per level, none on repeats or after a restart",
  "test/integration/chat-router.test.ts > chat router: authorization on every path > keeps the pause across a restart (a second process on the same file)",
];

/** Whether the test running now gets PostgreSQL databases from test support. */
function postgresHere(): boolean {
  if (!onPostgres) return false;
  const state = expect.getState();
  const file = path.relative(path.resolve(import.meta.dirname, "../.."), state.testPath ?? "");
  const here = state.currentTestName === undefined ? file : `${file} > ${state.currentTestName}`;
  return !SQLITE_ONLY.some((entry) => here === entry || file === entry);
}

export const TEST_POSTGRES_URL = process.env.PERPBOT_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

/** Set once per run by the global setup (inherited by the workers), so one run's schemas can be found and dropped. */
export const RUN_KEY_VARIABLE = "PERPBOT_TEST_RUN_KEY";
export const newRunKey = (): string => randomBytes(3).toString("hex");
const runKey = (): string => process.env[RUN_KEY_VARIABLE] ?? "x";

/** A PostgreSQL URL in its own schema. A small pool: many test databases are open at once. */
function schemaUrl(schema: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set("schema", schema);
  url.searchParams.set("connection_limit", "4");
  return url.toString();
}

/**
 * A PostgreSQL URL in a new schema of this run, for a test that uses PostgreSQL whichever database
 * the suite runs on (`label` names the test in the schema). Its test drops it; the global teardown
 * drops it too if the test could not.
 */
export function ownPostgresSchemaUrl(label: string): string {
  return schemaUrl(`t_${runKey()}_${label}_${process.pid}_${Date.now().toString(36)}`);
}

/**
 * The DATABASE_URL for a test database that would be the SQLite file `file`: `file:<file>` on
 * SQLite; on PostgreSQL a schema derived from the path, so the same file name always gives the
 * same database (a restarted process finds its data) and different files never share one.
 */
export function freshDatabaseUrl(file: string): string {
  if (!postgresHere()) return `file:${file}`;
  const hash = createHash("sha256").update(file).digest("hex").slice(0, 16);
  return schemaUrl(`t_${runKey()}_${hash}`);
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Drops a PostgreSQL test database (its schema); a SQLite file is removed by its owner. A test that
 * failed may leave a connection holding locks in it: then the drop gives up after a few seconds
 * instead of hanging the cleanup, and the global teardown drops it once the workers are gone.
 */
export async function dropTestDatabase(url: string): Promise<void> {
  if (!url.startsWith("postgres")) return;
  const schema = new URL(url).searchParams.get("schema");
  if (schema === null || !schema.startsWith("t_")) return;
  try {
    await adminQuery(`SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch (error) {
    if (!/lock timeout/i.test(error instanceof Error ? error.message : "")) throw error;
  }
}

/** Drops every schema this run made (the global teardown). */
export async function dropRunSchemas(key: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", [`t\\_${key}\\_%`]);
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}
