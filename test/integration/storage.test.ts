import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations, openDatabase } from "../../src/store/database";
import { claimSetting, readSetting, writeSetting } from "../../src/store/settings";
import { z } from "zod";

const ROOT = path.resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-storage-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("SQLite through Prisma", () => {
  it("creates and migrates a new database on open, once", async () => {
    const file = path.join(scratch, "nested", "dir", "fresh.db");
    const db = await openDatabase(`file:${file}`);
    expect(await db.proposal.count()).toBe(0);
    await db.$disconnect();
    expect(applyMigrations(file)).toEqual([]);
    const raw = new Database(file, { readonly: true });
    const applied = raw.prepare("SELECT migration_name, checksum FROM _prisma_migrations").all() as { migration_name: string; checksum: string }[];
    raw.close();
    const committed = readdirSync(path.join(ROOT, "prisma/migrations"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(applied.map((a) => a.migration_name)).toEqual(committed);
    expect(applied.every((a) => /^[0-9a-f]{64}$/.test(a.checksum))).toBe(true);
  });

  it("upgrades a populated database from every earlier migration, keeping rows and references", () => {
    const all = readdirSync(path.join(ROOT, "prisma/migrations"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    for (let k = 1; k < all.length; k += 1) {
      const dir = path.join(scratch, `steps-${k}`);
      for (const name of all.slice(0, k)) cpSync(path.join(ROOT, "prisma/migrations", name), path.join(dir, name), { recursive: true });
      const file = path.join(scratch, `upgrade-${k}.db`);
      applyMigrations(file, dir);
      const before = new Database(file);
      before.prepare(`INSERT INTO Signal (symbol, venue, ts, direction, fired, score, confidence, horizonHours, explanation, streamsJson, modelVersion)
        VALUES ('MNT/USDT:USDT', 'bybit', 1, 'short', 1, -0.5, 0.5, 8, 'x', '[]', 'prior-v1')`).run();
      before.prepare(`INSERT INTO Proposal (id, signalId, symbol, venue, side, status, refPrice, quantity, notionalUsd, marginUsd, leverage, stopPrice, horizonHours, createdAt, expiresAt)
        VALUES ('p1', 1, 'MNT/USDT:USDT', 'bybit', 'short', 'pending', 1, 1, 1, 1, 1, 1, 8, 1, 1)`).run();
      before.close();
      expect(applyMigrations(file)).toEqual(all.slice(k));
      const after = new Database(file, { readonly: true });
      expect(after.prepare("SELECT count(*) AS n FROM Signal").get()).toEqual({ n: 1 });
      expect(after.prepare("SELECT signalId FROM Proposal").get()).toEqual({ signalId: 1 });
      expect(after.prepare("PRAGMA foreign_key_check").all()).toEqual([]);
      after.close();
    }
  });

  it("agrees with Prisma Migrate: `prisma migrate status` sees every migration applied", () => {
    const file = path.join(scratch, "status.db");
    applyMigrations(file);
    const out = execFileSync(process.execPath, [path.join(ROOT, "scripts/prisma.mjs"), "migrate", "status"], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: `file:${file}` }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
    });
    expect(out).toMatch(/Database schema is up to date/);
  });

  it("has a committed migration for every change in schema.prisma", () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, "scripts/new-migration.mjs"), "drift_check"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toMatch(/nothing to write/);
  });

  it("keeps settings as JSON and claims a marker only once", async () => {
    const db = await openDatabase(`file:${path.join(scratch, "settings.db")}`);
    try {
      await writeSetting(db, "k", { a: 1 });
      expect(await readSetting(db, "k", z.object({ a: z.number() }))).toEqual({ a: 1 });
      expect(await readSetting(db, "k", z.object({ b: z.string() }))).toBeNull();
      expect(await claimSetting(db, "once", true)).toBe(true);
      expect(await claimSetting(db, "once", true)).toBe(false);
    } finally {
      await db.$disconnect();
    }
  });
});
