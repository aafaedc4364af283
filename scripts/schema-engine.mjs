#!/usr/bin/env node
// Prisma Migrate's schema engine, offline. Prisma 7's CLI runs `migrate diff` and `migrate status`
// only through a native engine it downloads from binaries.prisma.sh, which these machines cannot
// reach (it then prints nothing and exits 0: a diff that is silently empty). The same engine is
// published on npm compiled to WebAssembly, @prisma/schema-engine-wasm, at the version Prisma 7.10
// pins; this drives it through the project's own driver adapters, as Prisma 6's CLI did.
//
//   node scripts/schema-engine.mjs diff <from.prisma | empty> <to.prisma>   the SQL from one to the other
//   node scripts/schema-engine.mjs status                                  DATABASE_URL against its migrations
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const NO_FILTERS = { externalTables: [], externalEnums: [] };

let SchemaEngine;
/** The package is built for bundlers (it imports its .wasm as a module), so instantiate it by hand. */
function engineClass() {
  if (SchemaEngine) return SchemaEngine;
  const wasmFile = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm");
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmFile)), { "./schema_engine_bg.js": engineBindings });
  engineBindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  SchemaEngine = engineBindings.SchemaEngine;
  return SchemaEngine;
}

/**
 * A schema file's text as Prisma 7 accepts it. Snapshots written under Prisma 6 carry a datasource
 * `url` (now an error, P1012) and the generator's `engineType`; neither changes the database.
 */
export function readSchema(file) {
  return readFileSync(path.resolve(root, file), "utf8")
    .replace(/^\s*url\s*=.*$/gm, "")
    .replace(/^\s*engineType\s*=.*$/gm, "");
}

const providerOf = (schema) => /provider\s*=\s*"(sqlite|postgresql)"/.exec(schema.slice(schema.indexOf("datasource")))?.[1];

async function adapterFor(provider, url) {
  if (provider === "sqlite") {
    const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3");
    return new PrismaBetterSqlite3({ url: url ?? ":memory:" });
  }
  // As src/store/postgres-database.ts does: `?schema=` is Prisma's parameter, not pg's.
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema") ?? "public";
  parsed.searchParams.delete("schema");
  parsed.searchParams.delete("connection_limit");
  const { PrismaPg } = await import("@prisma/adapter-pg");
  return new PrismaPg({ connectionString: parsed.toString(), options: `-c search_path="${schema}"` }, { schema });
}

/** Runs `work` on an engine over `adapter`; engine errors come back with the engine's log lines. */
async function withEngine(schema, adapter, work) {
  const logs = [];
  let engine;
  try {
    engine = await engineClass().new({ datamodels: [["schema.prisma", schema]] }, (line) => logs.push(line), bindMigrationAwareSqlAdapterFactory(adapter));
    return await work(engine);
  } catch (error) {
    throw new Error(`schema engine: ${error?.message ?? String(error)}${logs.length ? `\n${logs.join("\n")}` : ""}`, { cause: error });
  } finally {
    engine?.free();
  }
}

/** The SQL script from one schema file (or none: `null`) to another; "" when they describe the same database. */
export async function schemaDiff(fromFile, toFile) {
  const to = readSchema(toFile);
  const target = (schema) => ({ tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: schema }] });
  // Two schema files need no database: an in-memory SQLite connection serves both providers.
  const result = await withEngine(to, await adapterFor("sqlite"), (engine) => engine.diff({
    from: fromFile === null ? { tag: "empty" } : target(readSchema(fromFile)),
    to: target(to),
    script: true,
    exitCode: null,
    filters: NO_FILTERS,
  }));
  const script = result.stdout ?? "";
  return /\S/.test(script.replace(/^--.*$/gm, "")) ? script : "";
}

/** Where the migrations of a database URL's provider live, and its schema. */
export function layoutFor(url) {
  return url.startsWith("file:")
    ? { migrations: path.join(root, "prisma", "migrations"), schema: "prisma/schema.prisma" }
    : { migrations: path.join(root, "prisma", "postgres", "migrations"), schema: "prisma/postgres/schema.prisma" };
}

function migrationsList(dir) {
  const names = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const lockfile = path.join(dir, "migration_lock.toml");
  let lock = null;
  try { lock = readFileSync(lockfile, "utf8"); } catch { /* no lockfile yet */ }
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: lock },
    shadowDbInitScript: "",
    migrationDirectories: names.map((name) => {
      let content;
      try { content = { tag: "ok", value: readFileSync(path.join(dir, name, "migration.sql"), "utf8") }; } catch (error) { content = { tag: "error", value: String(error) }; }
      return { path: name, migrationFile: { path: "migration.sql", content } };
    }),
  };
}

/**
 * What `prisma migrate status` reports: the database's migration table against the migrations
 * folder (applied, edited since, failed, missing on either side).
 */
export async function migrationStatus(url) {
  const { migrations, schema } = layoutFor(url);
  const text = readSchema(schema);
  const diagnosis = await withEngine(text, await adapterFor(providerOf(text), url), (engine) => engine.diagnoseMigrationHistory({
    migrationsList: migrationsList(migrations), optInToShadowDatabase: false, filters: NO_FILTERS,
  }));
  const upToDate = diagnosis.hasMigrationsTable && diagnosis.history === null && diagnosis.failedMigrationNames.length === 0 && diagnosis.editedMigrationNames.length === 0;
  return { upToDate, ...diagnosis };
}

function describeStatus(status) {
  if (status.upToDate) return "Database schema is up to date: every migration is applied.";
  const lines = [];
  if (!status.hasMigrationsTable) lines.push("The database has no migration table: the program creates it on its first start.");
  const h = status.history;
  if (h?.unappliedMigrationNames?.length) lines.push(`Not yet applied: ${h.unappliedMigrationNames.join(", ")}`);
  if (h?.unpersistedMigrationNames?.length) lines.push(`Applied but missing from the migrations folder: ${h.unpersistedMigrationNames.join(", ")}`);
  if (status.failedMigrationNames.length) lines.push(`Failed: ${status.failedMigrationNames.join(", ")}`);
  if (status.editedMigrationNames.length) lines.push(`Edited after they were applied: ${status.editedMigrationNames.join(", ")}`);
  return lines.join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (command === "diff" && args.length === 2) {
    const script = await schemaDiff(args[0] === "empty" ? null : args[0], args[1]);
    process.stdout.write(script === "" ? "-- The two schemas describe the same database.\n" : script);
  } else if (command === "status") {
    const status = await migrationStatus(process.env.DATABASE_URL ?? `file:${path.join(root, "data", "perpbot.db")}`);
    console.log(describeStatus(status));
    process.exitCode = status.upToDate ? 0 : 1;
  } else {
    console.error("usage: node scripts/schema-engine.mjs diff <from.prisma | empty> <to.prisma>\n       node scripts/schema-engine.mjs status   (reads DATABASE_URL)");
    process.exitCode = 2;
  }
}
