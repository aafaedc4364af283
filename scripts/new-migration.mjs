#!/usr/bin/env node
// Writes a new migration from the difference between the latest migration's schema and
// prisma/schema.prisma, offline: `npm run db:migration -- add_foo`. It writes it twice, with the
// same name: for SQLite in prisma/migrations and for PostgreSQL in prisma/postgres/migrations
// (the PostgreSQL schema is first rewritten from prisma/schema.prisma). Hand-written data steps
// must be added to both.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writePostgresSchema } from "../prisma/postgres/derive-schema.mjs";
import { schemaDiff } from "./schema-engine.mjs";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const name = (process.argv[2] ?? "").replace(/[^a-z0-9_]/gi, "_").toLowerCase();
if (!name) {
  console.error("usage: npm run db:migration -- <short_name>");
  process.exit(2);
}
writePostgresSchema();
const providers = [
  { label: "SQLite", migrations: path.join("prisma", "migrations"), schema: path.join("prisma", "schema.prisma") },
  { label: "PostgreSQL", migrations: path.join("prisma", "postgres", "migrations"), schema: path.join("prisma", "postgres", "schema.prisma") },
];

// Each migration keeps the schema it was written from (schema.snapshot.prisma), so the next one is
// the diff between two schema files: no database needed.
async function diffFromLatest({ migrations, schema }) {
  const previous = readdirSync(path.join(root, migrations), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().at(-1);
  const script = await schemaDiff(previous ? path.join(migrations, previous, "schema.snapshot.prisma") : null, schema);
  return script === "" ? undefined : script;
}

const scripts = [];
for (const provider of providers) scripts.push(await diffFromLatest(provider));
if (scripts.every((script) => script === undefined)) {
  console.log("The schema matches the latest migrations: nothing to write.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
providers.forEach((provider, i) => {
  const script = scripts[i];
  if (script === undefined) return;
  const dir = path.join(root, provider.migrations, `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "migration.sql"), script);
  copyFileSync(path.join(root, provider.schema), path.join(dir, "schema.snapshot.prisma"));
  console.log(`wrote ${path.relative(root, dir)}/migration.sql (${provider.label}, ${readdirSync(path.dirname(dir)).length - 1} migrations now)`);
});
