#!/usr/bin/env node
// Writes a new migration from the difference between the committed migrations and
// prisma/schema.prisma (offline; no shadow database): `npm run db:migration -- add_foo`.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const name = (process.argv[2] ?? "").replace(/[^a-z0-9_]/gi, "_").toLowerCase();
if (!name) {
  console.error("usage: npm run db:migration -- <short_name>");
  process.exit(2);
}
// Apply the committed migrations to a scratch database, then diff it against the schema.
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-migration-"));
const url = `file:${path.join(scratch, "scratch.db")}`;
const run = (args, capture = false) => spawnSync(process.execPath, [path.join(root, "scripts/prisma.mjs"), ...args], {
  cwd: root, env: { ...process.env, DATABASE_URL: url }, encoding: "utf8", stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
});
if (run(["migrate", "deploy"]).status !== 0) process.exit(1);
const diff = run(["migrate", "diff", "--from-url", url, "--to-schema-datamodel", "prisma/schema.prisma", "--script"], true);
rmSync(scratch, { recursive: true, force: true });
if (diff.status !== 0) process.exit(1);
if (!/\S/.test(diff.stdout.replace(/^--.*$/gm, ""))) {
  console.log("The schema matches the migrations: nothing to write.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join(root, "prisma", "migrations", `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "migration.sql"), diff.stdout);
console.log(`wrote ${path.relative(root, dir)}/migration.sql (${readdirSync(path.dirname(dir)).length - 1} migrations now)`);
