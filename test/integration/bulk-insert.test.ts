import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { insertRows, insertRowsReturning, type BulkTables } from "../../src/store/bulk-insert";
import { openDatabase, type Db } from "../../src/store/database";
import { dropTestDatabase, ownPostgresSchemaUrl } from "../support/test-database";

/**
 * The multi-row INSERT that replaces Prisma's createMany on the hot paths must store exactly what
 * createMany stores: the same rows written both ways are read back column by column as the
 * database holds them (SQLite's quote(), which shows the storage class: 1 and 1.0 and '1' differ;
 * PostgreSQL's text form) and through Prisma, on both databases whichever the suite runs on.
 */

const dir = mkdtempSync(path.join(tmpdir(), "perpbot-bulk-"));
const postgresUrl = ownPostgresSchemaUrl("bulk");
const open: Db[] = [];
afterAll(async () => {
  await Promise.all(open.map((db) => db.$disconnect()));
  await dropTestDatabase(postgresUrl);
  rmSync(dir, { recursive: true, force: true });
});

const PROVIDERS = [
  { name: "SQLite", url: () => `file:${path.join(dir, "bulk.db")}`, postgres: false },
  { name: "PostgreSQL", url: () => postgresUrl, postgres: true },
] as const;

const at = (iso: string): Date => new Date(iso);

/** Rows chosen for what an encoding could get wrong: whole-number floats, tiny and negative floats, dates on and off the second, quotes, unicode, nulls, omitted defaults. */
function signals(symbol: string): BulkTables["Signal"][] {
  return [
    { symbol, venue: "bybit", ts: at("2026-03-01T08:00:00.000Z"), direction: "long", fired: true, score: 1, confidence: 0.5, horizonHours: 8, explanation: "funding −0.05% → long; \"quoted\" 'too'", streamsJson: "{\"funding\":{\"z\":-2.5}}", modelVersion: "v1", crossConfirmed: true },
    { symbol, venue: "okx", ts: at("2026-03-01T08:00:00.123Z"), direction: "neutral", fired: false, score: -1.234567890123456e-7, confidence: 0, horizonHours: 0.25, explanation: "", streamsJson: "{}", modelVersion: "v1", crossConfirmed: false },
  ];
}
function proposals(prefix: string): BulkTables["Proposal"][] {
  const base = { symbol: "MNT/USDT:USDT", venue: "bybit", side: "long", status: "pending", refPrice: "0.8123", quantity: "123.4", notionalUsd: "100.00", marginUsd: "33.33", leverage: 3, stopPrice: "0.79", horizonHours: 8, createdAt: at("2026-03-01T08:00:01.500Z"), expiresAt: at("2026-03-01T08:15:01.500Z") };
  return [
    { ...base, id: `${prefix}1`, signalId: null, version: 0, takeProfitPrice: "0.85", liquidationPrice: null, expectedFeesUsd: "0.11", expectedFundingUsd: "-0.02", autoExecute: false, updatedAt: at("2026-03-01T08:00:01.500Z") },
    { ...base, id: `${prefix}2`, signalId: null, version: 0, takeProfitPrice: null, liquidationPrice: "0.5", expectedFeesUsd: null, expectedFundingUsd: null, autoExecute: true, updatedAt: null },
  ];
}
function intents(prefix: string): BulkTables["Intent"][] {
  return [1, 2, 3].map((i) => ({ id: `${prefix}${i}`, kind: "card", payloadJson: JSON.stringify({ kind: "card", proposalId: `p${i}` }), status: "pending", createdAt: at("2026-03-01T08:00:00Z") }));
}
function candles(symbol: string, count: number): BulkTables["Candle"][] {
  return Array.from({ length: count }, (_, i) => ({ venue: "bybit", symbol, ts: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000), open: 0.8 + i / 1e4, high: 1, low: 0.7, close: 0.81, volume: 12_345_678.9 }));
}

/** Every column of the rows, as the database stores it, keyed and ordered by `order`. */
async function stored(db: Db, postgres: boolean, table: string, where: string, order: string): Promise<Record<string, string | null>[]> {
  const columns = postgres
    ? (await db.$queryRawUnsafe<{ name: string }[]>(`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}' ORDER BY ordinal_position`)).map((c) => c.name)
    : (await db.$queryRawUnsafe<{ name: string }[]>(`PRAGMA table_info("${table}")`)).map((c) => c.name);
  expect(columns.length).toBeGreaterThan(3);
  const shown = columns.map((c) => (postgres ? `"${c}"::text AS "${c}"` : `quote("${c}") AS "${c}"`)).join(", ");
  return db.$queryRawUnsafe(`SELECT ${shown} FROM "${table}" WHERE ${where} ORDER BY ${order}`);
}

/** Drops the columns that differ by construction (the twin rows' keys). */
const without = (rows: Record<string, unknown>[], ...keys: string[]): Record<string, unknown>[] =>
  rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !keys.includes(k))));

describe.each(PROVIDERS)("multi-row insert on $name", (provider) => {
  let db: Db;
  it("stores signals, proposals, intents and candles byte for byte as Prisma's createMany does", async () => {
    db = await openDatabase(provider.url());
    open.push(db);
    await db.signal.createMany({ data: signals("PRISMA") });
    const returned = await insertRowsReturning(db, "Signal", signals("RAW"), ["id", "symbol"]);
    expect(returned).toHaveLength(2);
    const sig = (symbol: string): Promise<Record<string, string | null>[]> => stored(db, provider.postgres, "Signal", `"symbol" = '${symbol}'`, `"venue"`);
    expect(without(await sig("RAW"), "id", "symbol")).toEqual(without(await sig("PRISMA"), "id", "symbol"));
    // The ids RETURNING gave are the rows' ids, and Prisma reads the rows back alike.
    const raw = await db.signal.findMany({ where: { symbol: "RAW" }, orderBy: { id: "asc" } });
    expect(returned.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(raw.map((r) => r.id));
    const viaPrisma = await db.signal.findMany({ where: { symbol: "PRISMA" }, orderBy: { id: "asc" } });
    expect(without(raw, "id", "symbol")).toEqual(without(viaPrisma, "id", "symbol"));

    await db.proposal.createMany({ data: proposals("prisma-") });
    await insertRows(db, "Proposal", proposals("raw-"));
    const prop = (prefix: string): Promise<Record<string, string | null>[]> => stored(db, provider.postgres, "Proposal", `"id" LIKE '${prefix}%'`, `"id"`);
    expect(without(await prop("raw-"), "id")).toEqual(without(await prop("prisma-"), "id"));

    await db.intent.createMany({ data: intents("prisma-") });
    await insertRows(db, "Intent", intents("raw-"));
    const intent = (prefix: string): Promise<Record<string, string | null>[]> => stored(db, provider.postgres, "Intent", `"id" LIKE '${prefix}%'`, `"id"`);
    expect(without(await intent("raw-"), "id")).toEqual(without(await intent("prisma-"), "id"));
    expect((await db.intent.findUniqueOrThrow({ where: { id: "raw-1" } })).dispatches).toBe(0);

    await db.candle.createMany({ data: candles("PRISMA", 3) });
    await insertRows(db, "Candle", candles("RAW", 3));
    const bars = (symbol: string): Promise<Record<string, string | null>[]> => stored(db, provider.postgres, "Candle", `"symbol" = '${symbol}'`, `"ts"`);
    expect(without(await bars("RAW"), "id", "symbol")).toEqual(without(await bars("PRISMA"), "id", "symbol"));
  });

  it("splits a large insert into statements under the parameter limits and inserts every row", async () => {
    // 8 columns × 8,500 rows: 68,000 parameters, over SQLite's 32,766 and PostgreSQL's 65,535, so
    // one statement would be refused on either.
    expect(await insertRows(db, "Candle", candles("MANY", 8_500))).toBe(8_500);
    expect(await db.candle.count({ where: { symbol: "MANY" } })).toBe(8_500);
    expect(await insertRowsReturning(db, "Candle", candles("MANY-R", 8_500), ["ts"])).toHaveLength(8_500);
  });

  it("refuses what it cannot store faithfully, and a duplicate key fails the insert so callers can fall back", async () => {
    await expect(insertRows(db, "Candle", [{ ...candles("BAD", 1)[0]!, close: Number.NaN }])).rejects.toThrow(/close is NaN, not a finite number/);
    await expect(insertRows(db, "Candle", [{ ...candles("BAD", 1)[0]!, ts: new Date("nope") }])).rejects.toThrow(/ts is an invalid date/);
    const { updatedAt: _left, ...withoutUpdatedAt } = proposals("mix-")[1]!;
    await expect(insertRows(db, "Proposal", [proposals("mix-")[0]!, withoutUpdatedAt])).rejects.toThrow(/every row must set the same columns/);
    expect(await db.candle.count({ where: { symbol: "BAD" } })).toBe(0);
    await expect(insertRows(db, "Candle", candles("RAW", 1))).rejects.toThrow();
    expect(await db.candle.count({ where: { symbol: "RAW" } })).toBe(3);
  });
});
