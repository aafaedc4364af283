#!/usr/bin/env node
// Runs the Prisma CLI fully offline. Prisma 6.19 with `engine: "js"` needs no native engine, but
// the CLI still tries to download one unless told a (any) file is already there.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const env = {
  ...process.env,
  PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: "1",
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
  DATABASE_URL: process.env.DATABASE_URL ?? `file:${path.join(root, "data", "perpbot.db")}`,
};
// The adapter opens the SQLite file even for commands that only read the schema; its folder must exist.
const dbUrl = env.DATABASE_URL;
if (dbUrl.startsWith("file:")) mkdirSync(path.dirname(path.resolve(root, dbUrl.slice("file:".length))), { recursive: true });
const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { cwd: root, env, stdio: "inherit" });
process.exit(result.status ?? 1);
