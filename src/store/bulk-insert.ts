import { Prisma } from "./generated/client";
import type { Tx } from "./outbox";

/**
 * Multi-row INSERTs for the writes that come in batches every cycle and every poll (the signal
 * journal, a cycle's proposals and their cards, each poll's new bars and funding prints), written as
 * one SQL statement here instead of Prisma's `createMany`.
 *
 * Why: Prisma 7 caches the query plan of every kind of query except `createMany` and
 * `createManyAndReturn` (their plans depend on the row count), so each of those compiles its plan
 * anew in Prisma's WebAssembly query compiler: about 20 ms of the 100-symbol signals cycle's
 * ~100 ms went there. A raw statement is not compiled. Its values go through the same driver
 * adapter argument mapping as Prisma's own writes (dates as the adapter formats them, booleans as
 * 1/0 on SQLite), so a row written here is stored byte for byte as `createMany` stores it
 * (test/integration/bulk-insert.test.ts compares both ways on SQLite and PostgreSQL).
 *
 * The SQL is the common subset of SQLite (3.35 and later) and PostgreSQL: quoted identifiers, a
 * VALUES list, RETURNING. Columns left out get the column's database default, as with Prisma.
 * Rows beyond one statement's parameters go in further statements: a caller that needs all or
 * none runs the call in a transaction.
 */

/** The tables written this way and the shape of their rows (Prisma's own createMany input types). */
export interface BulkTables {
  Signal: Prisma.SignalCreateManyInput;
  Proposal: Prisma.ProposalCreateManyInput;
  Intent: Prisma.IntentCreateManyInput;
  FundingPrint: Prisma.FundingPrintCreateManyInput;
  Candle: Prisma.CandleCreateManyInput;
  SpotCandle: Prisma.SpotCandleCreateManyInput;
}

type Value = string | number | boolean | Date | null;

/**
 * Bound parameters per statement. SQLite's limit is 32,766 and PostgreSQL's 65,535; a smaller
 * statement also keeps one insert from holding the database for long.
 */
const MAX_PARAMETERS = 8_000;

/** Inserts `rows` (all with the same columns); returns how many were inserted. */
export async function insertRows<T extends keyof BulkTables>(tx: Tx, table: T, rows: readonly BulkTables[T][]): Promise<number> {
  let inserted = 0;
  for (const chunk of chunks(rows)) inserted += await tx.$executeRaw(insertStatement(table, chunk, null));
  return inserted;
}

/**
 * Inserts `rows` and returns the listed columns of each inserted row. RETURNING promises no order:
 * callers match the rows by a column they wrote (a symbol, an id).
 */
export async function insertRowsReturning<T extends keyof BulkTables, K extends keyof BulkTables[T] & string>(
  tx: Tx, table: T, rows: readonly BulkTables[T][], returning: readonly K[],
): Promise<Record<K, unknown>[]> {
  const out: Record<K, unknown>[] = [];
  for (const chunk of chunks(rows)) out.push(...(await tx.$queryRaw<Record<K, unknown>[]>(insertStatement(table, chunk, returning))));
  return out;
}

function chunks<R extends object>(rows: readonly R[]): R[][] {
  const first = rows[0];
  if (first === undefined) return [];
  const perChunk = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, Object.keys(first).length)));
  const out: R[][] = [];
  for (let i = 0; i < rows.length; i += perChunk) out.push(rows.slice(i, i + perChunk));
  return out;
}

function insertStatement(table: string, rows: readonly object[], returning: readonly string[] | null): Prisma.Sql {
  const columns = columnsOf(table, rows);
  const values = rows.map((row) => Prisma.sql`(${Prisma.join(columns.map((column) => valueOf(table, column, (row as Record<string, unknown>)[column])))})`);
  const returned = returning === null ? Prisma.empty : Prisma.sql` RETURNING ${Prisma.raw(returning.map(quoted).join(", "))}`;
  return Prisma.sql`INSERT INTO ${Prisma.raw(quoted(table))} (${Prisma.raw(columns.map(quoted).join(", "))}) VALUES ${Prisma.join(values)}${returned}`;
}

/** The first row's columns (those not undefined); every row must have the same, as one VALUES list needs. */
function columnsOf(table: string, rows: readonly object[]): string[] {
  const defined = (row: object): string[] => Object.entries(row).filter(([, v]) => v !== undefined).map(([k]) => k);
  const columns = defined(rows[0] ?? {});
  const key = columns.join(",");
  for (const row of rows) {
    if (defined(row).join(",") !== key) throw new Error(`insert into ${table}: every row must set the same columns (${key}); one sets ${defined(row).join(",")}`);
  }
  return columns;
}

function valueOf(table: string, column: string, value: unknown): Value {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    // Raw parameters travel as JSON, where NaN and Infinity would quietly become null.
    if (!Number.isFinite(value)) throw new Error(`insert into ${table}: ${column} is ${value}, not a finite number`);
    return value;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error(`insert into ${table}: ${column} is an invalid date`);
    return value;
  }
  throw new Error(`insert into ${table}: ${column} has a value of a type this insert does not write (${typeof value})`);
}

function quoted(identifier: string): string {
  // Identifiers come from the model types above, never from input; checked anyway, as they are spliced into SQL.
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(identifier)) throw new Error(`not a plain identifier: ${identifier}`);
  return `"${identifier}"`;
}
