// prisma/schema.prisma is the one source of the models. Prisma needs one schema per provider, so
// the PostgreSQL schema (prisma/postgres/schema.prisma) is derived from it: same models, only the
// datasource provider and the generated client's folder differ. `node scripts/prisma.mjs generate`
// and `npm run db:migration` rewrite it; test/integration/postgres-schema.test.ts fails on drift.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SQLITE_SCHEMA = path.join(root, "prisma", "schema.prisma");
export const POSTGRES_SCHEMA = path.join(root, "prisma", "postgres", "schema.prisma");

const HEADER = "// GENERATED from prisma/schema.prisma by prisma/postgres/derive-schema.mjs: do not edit; edit that file.\n";

function replaceOnce(text, pattern, replacement, what) {
  if (!pattern.test(text)) throw new Error(`prisma/schema.prisma: cannot find the ${what} to swap for PostgreSQL`);
  return text.replace(pattern, replacement);
}

/** The PostgreSQL schema for a SQLite schema text. */
export function postgresSchemaFrom(sqliteSchema) {
  let text = replaceOnce(sqliteSchema, /provider\s*=\s*"sqlite"/, 'provider = "postgresql"', "sqlite provider");
  text = replaceOnce(text, /output\s*=\s*"\.\.\/src\/store\/generated"/, 'output       = "../../src/store/generated-postgres"', "generator output");
  return HEADER + text;
}

/** Rewrites prisma/postgres/schema.prisma from prisma/schema.prisma; true if it changed. */
export function writePostgresSchema() {
  const wanted = postgresSchemaFrom(readFileSync(SQLITE_SCHEMA, "utf8"));
  let current = "";
  try { current = readFileSync(POSTGRES_SCHEMA, "utf8"); } catch { /* first time */ }
  if (current === wanted) return false;
  writeFileSync(POSTGRES_SCHEMA, wanted);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(writePostgresSchema() ? "wrote prisma/postgres/schema.prisma" : "prisma/postgres/schema.prisma is up to date");
}
