#!/usr/bin/env node
// Runs the Prisma CLI fully offline, for `generate` and `format`/`validate`. Generating needs no
// native engine, but the CLI still tries to download one unless told a (any) file is already there.
// Prisma 7's migrate and db commands need that native engine, so they are refused here: the
// program applies migrations itself, and scripts/schema-engine.mjs diffs and checks them offline.
// `generate` without --schema generates both clients: SQLite (prisma/schema.prisma) and
// PostgreSQL (prisma/postgres/schema.prisma, first rewritten from the SQLite one).
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { writePostgresSchema } from "../prisma/postgres/derive-schema.mjs";
import { patchGeneratedClient } from "./patch-generated-client.mjs";

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
const run = (args) => spawnSync(process.execPath, [cli, ...args], { cwd: root, env, stdio: "inherit" }).status ?? 1;

const args = process.argv.slice(2);
if (args[0] === "migrate" || args[0] === "db") {
  console.error(`prisma ${args[0]} needs Prisma's native schema engine, which is downloaded from binaries.prisma.sh and not available here.
  new migration:     npm run db:migration -- <short_name>
  migration status:  npm run db:status   (reads DATABASE_URL)
  diff two schemas:  node scripts/schema-engine.mjs diff <from.prisma | empty> <to.prisma>
The program applies pending migrations itself when it starts.`);
  process.exit(2);
}
if (args[0] === "generate" && !args.some((a) => a.startsWith("--schema"))) {
  writePostgresSchema();
  const status = run(args);
  const both = status !== 0 ? status : run([...args, "--schema", "prisma/postgres/schema.prisma"]);
  // The clients' query compiler loader, patched to let its base64 text go (patch-generated-client.mjs).
  if (both === 0) for (const output of ["src/store/generated", "src/store/generated-postgres"]) patchGeneratedClient(path.join(root, output));
  process.exit(both);
}
process.exit(run(args));
