#!/usr/bin/env node
// Writes a new migration from the difference between the latest migration's schema and
// prisma/schema.prisma, offline: `npm run db:migration -- add_foo`.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const name = (process.argv[2] ?? "").replace(/[^a-z0-9_]/gi, "_").toLowerCase();
if (!name) {
  console.error("usage: npm run db:migration -- <short_name>");
  process.exit(2);
}
// Prisma's diff against a database is not supported with a driver adapter, so each migration
// keeps the schema it was written from (schema.snapshot.prisma); the next one diffs against it.
const migrationsDir = path.join(root, "prisma", "migrations");
const previous = readdirSync(migrationsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().at(-1);
const from = previous ? ["--from-schema-datamodel", path.join("prisma", "migrations", previous, "schema.snapshot.prisma")] : ["--from-empty"];
const diff = spawnSync(process.execPath, [path.join(root, "scripts/prisma.mjs"), "migrate", "diff", ...from, "--to-schema-datamodel", "prisma/schema.prisma", "--script"], {
  cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
});
if (diff.status !== 0) process.exit(1);
if (!/\S/.test(diff.stdout.replace(/^--.*$/gm, ""))) {
  console.log("The schema matches the latest migration: nothing to write.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "migration.sql"), diff.stdout);
copyFileSync(path.join(root, "prisma", "schema.prisma"), path.join(dir, "schema.snapshot.prisma"));
console.log(`wrote ${path.relative(root, dir)}/migration.sql (${readdirSync(path.dirname(dir)).length - 1} migrations now)`);
