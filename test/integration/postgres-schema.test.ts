import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { postgresSchemaFrom } from "../../prisma/postgres/derive-schema.mjs";

/**
 * prisma/schema.prisma is the one source of the models: the PostgreSQL schema is derived from it,
 * and each provider's migrations must end at its schema. These fail when someone edits the models
 * and forgets `npm run db:migration` (which rewrites the PostgreSQL schema and writes both).
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (file: string): string => readFileSync(path.join(ROOT, file), "utf8");
const migrationsOf = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

/** Prisma's own diff between two schema files, offline; "" when they describe the same database. */
function schemaDiff(from: string, to: string): string {
  const run = spawnSync(process.execPath, ["scripts/prisma.mjs", "migrate", "diff", "--from-schema-datamodel", from, "--to-schema-datamodel", to, "--script"], { cwd: ROOT, encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.replace(/^--.*$/gm, "").trim();
}

describe("the PostgreSQL schema and migrations", () => {
  it("prisma/postgres/schema.prisma is derived from prisma/schema.prisma and only the datasource and output differ", () => {
    expect(read("prisma/postgres/schema.prisma"), "run: node prisma/postgres/derive-schema.mjs").toBe(postgresSchemaFrom(read("prisma/schema.prisma")));
    const models = (text: string): string => text.slice(text.indexOf("/// Settled funding prints"));
    expect(models(read("prisma/postgres/schema.prisma"))).toBe(models(read("prisma/schema.prisma")));
  });

  it("each provider's latest migration was written from the current schema (nothing left to migrate)", () => {
    for (const [dir, schema] of [["prisma/migrations", "prisma/schema.prisma"], ["prisma/postgres/migrations", "prisma/postgres/schema.prisma"]] as const) {
      const latest = migrationsOf(dir).at(-1);
      expect(schemaDiff(path.join(dir, String(latest), "schema.snapshot.prisma"), schema), `${schema} has changes no migration in ${dir} holds: npm run db:migration -- <name>`).toBe("");
    }
  }, 60_000);

  it("every PostgreSQL migration after the baseline has its SQLite twin of the same name", () => {
    const sqlite = new Set(migrationsOf("prisma/migrations"));
    const [baseline, ...later] = migrationsOf("prisma/postgres/migrations");
    expect(baseline).toMatch(/_baseline$/);
    expect(later.filter((name) => !sqlite.has(name))).toEqual([]);
    // and every SQLite migration after the baseline has its PostgreSQL twin
    const after = [...sqlite].filter((name) => name > String(baseline));
    expect(after.filter((name) => !later.includes(name))).toEqual([]);
  });
});
