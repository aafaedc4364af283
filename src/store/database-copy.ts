import { Prisma } from "./generated/client";
import { databaseProvider, type Db } from "./database";

/**
 * Every table in reference order: a table comes after every table it references, so rows can be
 * inserted in this order (and deleted in reverse) with the foreign keys checked. `copyDatabase`
 * refuses to run if this list and the generated models disagree, so a new model cannot be
 * forgotten silently.
 */
export const TABLES_IN_REFERENCE_ORDER = [
  "FundingPrint", "MarketSnapshot", "Signal", "Proposal", "ChatMessage", "ChatUser", "Chat", "ChatAlertSetting",
  "Order", "Fill", "Position", "FundingPayment", "Intent", "PaperOrder", "EquitySnapshot", "Setting", "AuditLog",
  "WeightSet", "SpotCandle", "OpenInterestPrint", "BookSummary", "Candle",
] as const satisfies readonly Prisma.ModelName[];
export type TableName = (typeof TABLES_IN_REFERENCE_ORDER)[number];

/** The primary key of each table: rows are read in its order. Tables with an Int `id` are paged by it. */
const PRIMARY_KEYS: Readonly<Record<TableName, readonly string[]>> = {
  FundingPrint: ["id"], MarketSnapshot: ["id"], Signal: ["id"], Proposal: ["id"], ChatMessage: ["id"],
  ChatUser: ["platform", "userId"], Chat: ["platform", "chatId"], ChatAlertSetting: ["platform", "chatId", "event"],
  Order: ["id"], Fill: ["id"], Position: ["id"], FundingPayment: ["id"], Intent: ["id"], PaperOrder: ["clientOrderId"],
  EquitySnapshot: ["id"], Setting: ["key"], AuditLog: ["id"], WeightSet: ["version"], SpotCandle: ["id"],
  OpenInterestPrint: ["id"], BookSummary: ["id"], Candle: ["id"],
};
/** Tables whose `id` is an autoincrement Int: PostgreSQL's sequence must be moved past the copied ids. */
const SERIAL_ID_TABLES: readonly TableName[] = [
  "FundingPrint", "MarketSnapshot", "Signal", "ChatMessage", "Order", "Fill", "Position", "FundingPayment",
  "EquitySnapshot", "AuditLog", "SpotCandle", "OpenInterestPrint", "BookSummary", "Candle",
];

type Row = Record<string, unknown>;
/**
 * The part of a Prisma model delegate the copy needs. Each model's delegate has its own row type;
 * the copy moves rows unchanged between two databases of the same schema, so it works on plain rows.
 */
interface RowDelegate {
  count(): Promise<number>;
  findMany(args: { where?: Row; orderBy: Row[]; take: number; skip?: number }): Promise<Row[]>;
  createMany(args: { data: Row[] }): Promise<{ count: number }>;
  deleteMany(): Promise<{ count: number }>;
}
export function tableOf(db: Db, table: TableName): RowDelegate {
  const key = table.charAt(0).toLowerCase() + table.slice(1);
  return (db as unknown as Record<string, RowDelegate>)[key] as RowDelegate;
}

/** Rows of one table in primary-key order, a batch at a time (by `id` where it is an Int: no growing offsets). */
export async function* readRows(db: Db, table: TableName, batchSize: number): AsyncGenerator<Row[]> {
  const keys = PRIMARY_KEYS[table];
  const orderBy = keys.map((k) => ({ [k]: "asc" }));
  const pagedById = SERIAL_ID_TABLES.includes(table);
  let after: unknown = undefined;
  for (let skip = 0; ; skip += batchSize) {
    const rows = pagedById
      ? await tableOf(db, table).findMany({ where: after === undefined ? {} : { id: { gt: after } }, orderBy, take: batchSize })
      : await tableOf(db, table).findMany({ orderBy, take: batchSize, skip });
    if (rows.length === 0) return;
    after = rows.at(-1)?.id;
    yield rows;
    if (rows.length < batchSize) return;
  }
}

export async function tableCounts(db: Db): Promise<Record<TableName, number>> {
  const counts = await Promise.all(TABLES_IN_REFERENCE_ORDER.map(async (t) => [t, await tableOf(db, t).count()] as const));
  return Object.fromEntries(counts) as Record<TableName, number>;
}

export interface CopyProgress { table: TableName; copied: number }
export interface CopyOptions {
  /** Empty a target that holds rows first; without it a non-empty target is refused. */
  overwrite: boolean;
  batchSize?: number;
  onProgress?: (progress: CopyProgress) => void;
}
export class TargetNotEmptyError extends Error {}

/**
 * Copies every row of every table from one database to another (both migrated to the same schema
 * by opening them), in reference order, ids kept. On a PostgreSQL target the id sequences are then
 * moved past the copied ids, so the next insert does not collide. Returns the rows copied per table.
 */
export async function copyDatabase(from: Db, to: Db, targetUrl: string, options: CopyOptions): Promise<Record<TableName, number>> {
  const models = new Set<string>(Object.values(Prisma.ModelName));
  const listed = new Set<string>(TABLES_IN_REFERENCE_ORDER);
  const missing = [...models].filter((m) => !listed.has(m));
  if (missing.length > 0 || models.size !== listed.size) throw new Error(`database-copy.ts does not list every model (missing: ${missing.join(", ") || "none"}): add them in reference order`);

  const held = Object.entries(await tableCounts(to)).filter(([, n]) => n > 0);
  if (held.length > 0) {
    if (!options.overwrite) throw new TargetNotEmptyError(`the target already holds rows (${held.map(([t, n]) => `${t} ${n}`).join(", ")})`);
    for (const table of [...TABLES_IN_REFERENCE_ORDER].reverse()) await tableOf(to, table).deleteMany();
  }
  const copied = {} as Record<TableName, number>;
  for (const table of TABLES_IN_REFERENCE_ORDER) {
    copied[table] = 0;
    for await (const rows of readRows(from, table, options.batchSize ?? 500)) {
      copied[table] += (await tableOf(to, table).createMany({ data: rows })).count;
      options.onProgress?.({ table, copied: copied[table] });
    }
  }
  if (databaseProvider(targetUrl) === "postgres") await resetSequences(to);
  return copied;
}

/** PostgreSQL only: each serial id's sequence continues after the largest id now in its table. */
async function resetSequences(db: Db): Promise<void> {
  for (const table of SERIAL_ID_TABLES) {
    await db.$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), COALESCE((SELECT MAX("id") FROM "${table}"), 0) + 1, false)`);
  }
}
