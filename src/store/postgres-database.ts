import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated-postgres/client";
import { PROJECT_ROOT } from "../project-root";

export const POSTGRES_MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma/postgres/migrations");

/** What a postgres:// or postgresql:// DATABASE_URL names, split into what pg and Prisma each take. */
export interface PostgresTarget {
  /** The URL without the parameters only we understand (pg would send them to the server). */
  connectionString: string;
  /** `?schema=…` (Prisma's own parameter), else "public". */
  schema: string;
  /** `?connection_limit=…` (Prisma's own parameter): the pool's size. */
  poolSize: number | undefined;
}

export function postgresTarget(url: string): PostgresTarget {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema") ?? "public";
  const limit = parsed.searchParams.get("connection_limit");
  parsed.searchParams.delete("schema");
  parsed.searchParams.delete("connection_limit");
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema)) throw new Error(`DATABASE_URL: schema "${schema}" is not a plain PostgreSQL identifier`);
  const poolSize = limit === null ? undefined : Number(limit);
  if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize > 0)) throw new Error(`DATABASE_URL: connection_limit "${limit}" is not a positive whole number`);
  return { connectionString: parsed.toString(), schema, poolSize };
}

/** pg's settings for a target: every connection works in the target's schema. */
export function poolConfig(target: PostgresTarget): pg.PoolConfig {
  return { connectionString: target.connectionString, options: `-c search_path="${target.schema}"`, max: target.poolSize };
}

/**
 * Applies the committed migrations in prisma/postgres/migrations that the database has not seen,
 * in order, each in its own transaction (PostgreSQL's DDL is transactional), keeping Prisma's
 * `_prisma_migrations` bookkeeping like the SQLite side. Creates the schema if it is missing.
 * An advisory lock keeps two processes starting at once from applying the same migration twice.
 */
export async function applyPostgresMigrations(url: string, migrationsDir: string = POSTGRES_MIGRATIONS_DIR): Promise<string[]> {
  const target = postgresTarget(url);
  const client = new pg.Client(poolConfig(target));
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [`perpbot-migrate:${target.schema}`]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const applied = new Set((await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    )).rows.map((row) => row.migration_name));
    const names = readdirSync(migrationsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const newlyApplied: string[] = [];
    for (const name of names) {
      if (applied.has(name)) continue;
      const sql = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      await client.query("BEGIN");
      try {
        await client.query(sql);
        await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count, started_at)
          VALUES ($1, $2, now(), $3, 1, now())`, [randomUUID(), checksum, name]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${name} failed; nothing of it was applied: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      newlyApplied.push(name);
    }
    return newlyApplied;
  } finally {
    await client.end();
  }
}

/**
 * `upsert({ where, create, update: {} })` is the code's insert-or-ignore: two writers of the same
 * key end with one row and neither fails. Prisma runs an upsert as one INSERT … ON CONFLICT only
 * when it has something to update; with an empty update it reads, then inserts, and two
 * PostgreSQL connections interleave there (the loser fails on the unique key; SQLite's single
 * writer never lets them). So on PostgreSQL an empty update becomes "set the key's columns to the
 * values they have", which changes nothing and makes the upsert a single atomic statement.
 */
function keyColumns(where: Record<string, unknown>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(where)) {
    // A compound key arrives as { venue_symbol_ts: { venue, symbol, ts } }.
    if (value !== null && typeof value === "object" && !(value instanceof Date)) Object.assign(columns, value);
    else columns[name] = value;
  }
  return columns;
}

/** The PostgreSQL Prisma client on a migrated database (its own generated client: see database.ts). */
export async function openPostgresClient(url: string) {
  await applyPostgresMigrations(url);
  const target = postgresTarget(url);
  const db = new PrismaClient({ adapter: new PrismaPg(poolConfig(target), { schema: target.schema }) });
  await db.$connect();
  return db.$extends({
    query: {
      $allModels: {
        upsert({ args, query }) {
          if (Object.keys(args.update).length > 0) return query(args);
          return query({ ...args, update: keyColumns(args.where) });
        },
      },
    },
  });
}
