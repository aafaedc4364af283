import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations, openDatabase } from "../../src/store/database";
import { loadTrade } from "../../src/store/trade-repo";
import { migrationStatus } from "../../scripts/schema-engine.mjs";

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

  it("agrees with Prisma Migrate: its schema engine sees every migration applied, and notices one missing", async () => {
    const file = path.join(scratch, "status.db");
    applyMigrations(file);
    const out = execFileSync(process.execPath, [path.join(ROOT, "scripts/schema-engine.mjs"), "status"], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: `file:${file}` }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
    });
    expect(out).toMatch(/Database schema is up to date/);
    // The same engine is not just agreeable: a migration the table lacks is reported as not applied.
    const latest = readdirSync(path.join(ROOT, "prisma/migrations"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().at(-1);
    const sqlite = new Database(file);
    sqlite.prepare("DELETE FROM _prisma_migrations WHERE migration_name = ?").run(latest);
    sqlite.close();
    const status = await migrationStatus(`file:${file}`);
    expect(status.upToDate).toBe(false);
    expect(status.history).toEqual({ diagnostic: "databaseIsBehind", unappliedMigrationNames: [latest] });
  });

  it("has a committed migration for every change in schema.prisma", () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, "scripts/new-migration.mjs"), "drift_check"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toMatch(/nothing to write/);
  });

  it("converts a journal written with Float money into exact decimal strings, and the lifecycle reads it", async () => {
    // A database as the previous release left it: every migration before the exact-money one.
    const oldMigrations = path.join(scratch, "old-migrations");
    const all = readdirSync(path.join(ROOT, "prisma/migrations"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    const cut = all.findIndex((name) => name.endsWith("_exact_money_outbox"));
    for (const name of all.slice(0, cut)) cpSync(path.join(ROOT, "prisma/migrations", name), path.join(oldMigrations, name), { recursive: true });
    const file = path.join(scratch, "legacy.db");
    applyMigrations(file, oldMigrations);
    const sqlite = new Database(file);
    const t = Date.UTC(2026, 0, 5);
    sqlite.prepare(`INSERT INTO "Proposal" (id, symbol, venue, side, status, refPrice, quantity, notionalUsd, marginUsd, leverage, stopPrice, horizonHours, createdAt, expiresAt, decidedAt, decidedBy)
      VALUES ('pold', 'MNT/USDT:USDT', 'bybit', 'short', 'open', 0.6, 8333.333333333334, 5000, 1000, 5, 0.612, 8, ?, ?, ?, 'alice (telegram)')`).run(t, t + 1_800_000, t + 60_000);
    sqlite.prepare(`INSERT INTO "Order" (id, clientOrderId, proposalId, mode, purpose, venue, symbol, side, quantity, status, createdAt)
      VALUES (1, 'pold-entry', 'pold', 'paper', 'entry', 'bybit', 'MNT/USDT:USDT', 'sell', 8333.333333333334, 'filled', ?)`).run(t + 60_000);
    sqlite.prepare(`INSERT INTO "Fill" (orderId, ts, price, quantity, fee) VALUES (1, ?, 0.59982, 8333.333333333334, 2.749175)`).run(t + 60_000);
    sqlite.prepare(`INSERT INTO "Position" (proposalId, mode, venue, symbol, side, quantity, entryPrice, entryTs, leverage, marginUsd, stopPrice, exitDueTs, status, feesPaid, fundingPnl)
      VALUES ('pold', 'paper', 'bybit', 'MNT/USDT:USDT', 'short', 8333.333333333334, 0.59982, ?, 5, 1000, 0.6118164, ?, 'open', 2.749175, 0.25)`).run(t + 60_000, t + 8 * 3_600_000);
    sqlite.close();

    const db = await openDatabase(`file:${file}`);
    try {
      const order = await db.order.findUniqueOrThrow({ where: { clientOrderId: "pold-entry" }, include: { fills: true } });
      // REAL → TEXT keeps every digit the float held: parsing it back gives the very same float.
      expect(order).toMatchObject({ avgPrice: "0.59982", fee: "2.749175", status: "filled" });
      expect(Number(order.requestedQty)).toBe(8333.333333333334);
      expect(order.filledQty).toBe(order.requestedQty);
      expect(order.fills.map((f) => [f.seq, f.price, f.fee])).toEqual([[0, "0.59982", "2.749175"]]);
      const position = await db.position.findUniqueOrThrow({ where: { proposalId: "pold" } });
      expect(position).toMatchObject({ entryPrice: "0.59982", feesPaid: "2.749175", fundingPnl: "0.25" });
      expect(Number(position.quantity)).toBe(8333.333333333334);
      const trade = await loadTrade(db, "pold");
      expect(trade?.state.status).toBe("open");
      if (trade?.state.status !== "open") throw new Error("not open");
      expect(trade.state.position.entryPrice.toString()).toBe("0.59982");
      expect(trade.state.entry.clientOrderId).toBe("pold-entry");
      // Made before take-profit existed: it is never reached rather than invented.
      expect(trade.state.position.takeProfitPrice).toBe(0);
    } finally {
      await db.$disconnect();
    }
  });
});
