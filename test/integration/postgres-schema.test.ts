import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { postgresSchemaFrom } from "../../prisma/postgres/derive-schema.mjs";
import { schemaDiff } from "../../scripts/schema-engine.mjs";

/**
 * prisma/schema.prisma is the one source of the models: the PostgreSQL schema is derived from it,
 * and each provider's migrations must end at its schema. These fail when someone edits the models
 * and forgets `npm run db:migration` (which rewrites the PostgreSQL schema and writes both).
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (file: string): string => readFileSync(path.join(ROOT, file), "utf8");
const migrationsOf = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe("the PostgreSQL schema and migrations", () => {
  it("prisma/postgres/schema.prisma is derived from prisma/schema.prisma and only the datasource and output differ", () => {
    expect(read("prisma/postgres/schema.prisma"), "run: node prisma/postgres/derive-schema.mjs").toBe(postgresSchemaFrom(read("prisma/schema.prisma")));
    const models = (text: string): string => text.slice(text.indexOf("/// Settled funding prints"));
    expect(models(read("prisma/postgres/schema.prisma"))).toBe(models(read("prisma/schema.prisma")));
  });

  it("each provider's latest migration was written from the current schema (nothing left to migrate)", async () => {
    for (const [dir, schema] of [["prisma/migrations", "prisma/schema.prisma"], ["prisma/postgres/migrations", "prisma/postgres/schema.prisma"]] as const) {
      const latest = migrationsOf(dir).at(-1);
      // Prisma's own schema engine (scripts/schema-engine.mjs): "" when both describe the same database.
      expect(await schemaDiff(path.join(dir, String(latest), "schema.snapshot.prisma"), schema), `${schema} has changes no migration in ${dir} holds: npm run db:migration -- <name>`).toBe("");
    }
  }, 60_000);

  it("the diff is not silently empty: a model change shows up as SQL for both providers", async () => {
    // Prisma 7's CLI without its native engine printed nothing and exited 0 for every diff.
    const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-schema-"));
    try {
      const changed = read("prisma/schema.prisma").replace(/(model FundingPrint \{[^}]*?)\n\s*@@unique/, "$1\n  note   String?\n\n  @@unique");
      writeFileSync(path.join(scratch, "sqlite.prisma"), changed);
      writeFileSync(path.join(scratch, "postgres.prisma"), postgresSchemaFrom(changed));
      expect(await schemaDiff("prisma/schema.prisma", path.join(scratch, "sqlite.prisma"))).toMatch(/ALTER TABLE "FundingPrint" ADD COLUMN "note" TEXT/);
      expect(await schemaDiff("prisma/postgres/schema.prisma", path.join(scratch, "postgres.prisma"))).toMatch(/ALTER TABLE "FundingPrint" ADD COLUMN\s+"note" TEXT/);
      expect(await schemaDiff(null, "prisma/postgres/schema.prisma")).toMatch(/CREATE TABLE "Proposal"[\s\S]*CONSTRAINT "Proposal_pkey" PRIMARY KEY/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
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
