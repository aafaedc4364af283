import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/store/database";
import { readRows, tableCounts, TABLES_IN_REFERENCE_ORDER, tableOf } from "../../src/store/database-copy";
import { startScript, type ScriptRun } from "../support/child-processes";
import { dropTestDatabase, ownPostgresSchemaUrl } from "../support/test-database";

/**
 * `npm run db:copy` as a real process: a populated SQLite journal (every table, ids with gaps,
 * exact decimal strings, nulls, dates, unicode) into a fresh PostgreSQL schema, compared row by
 * row; the next id after the copy; a non-empty target refused, then replaced with --overwrite.
 * Needs the PostgreSQL server the CI machines have (PERPBOT_TEST_POSTGRES_URL), whichever
 * database the rest of the suite runs on.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-db-copy-"));
const target = ownPostgresSchemaUrl("copy");
afterAll(async () => {
  await dropTestDatabase(target);
  rmSync(scratch, { recursive: true, force: true });
});

function dbCopy(args: readonly string[]): Promise<ScriptRun> {
  return startScript("scripts/db-copy.ts", args, { cwd: ROOT, env: { ...process.env } }).done;
}

const T = (iso: string): Date => new Date(iso);

/** A journal with rows in every table, as the bot would leave it (ids with gaps: rows were deleted). */
async function populate(db: Db): Promise<void> {
  const bars = (n: number) => Array.from({ length: n }, (_, i) => ({ venue: "bybit", symbol: "MNT/USDT:USDT", ts: new Date(Date.UTC(2026, 0, 1, i)), open: 0.5 + i / 1e4, high: 0.6, low: 0.4, close: 0.55, volume: 1234.5678 }));
  await db.fundingPrint.createMany({ data: Array.from({ length: 1200 }, (_, i) => ({ venue: i % 2 ? "okx" : "bybit", symbol: "BTC/USDT:USDT", ts: new Date(Date.UTC(2025, 0, 1) + i * 8 * 3_600_000), rate: (i - 600) * 1.1e-6 })) });
  await db.fundingPrint.deleteMany({ where: { id: { in: [3, 500, 501] } } });
  await db.marketSnapshot.create({ data: { venue: "okx", symbol: "BTC/USDT:USDT", ts: T("2026-01-02T03:04:05.678Z"), fundingRate: 0.0001, markPrice: 97_000.5, bookJson: '{"bids":[[1,2]],"asks":[[3,4]]}', openInterest: null } });
  const signal = await db.signal.create({ data: { symbol: "BTC/USDT:USDT", venue: "okx", ts: T("2026-01-02T04:00:00Z"), direction: "long", fired: true, score: 0.73, confidence: 0.61, horizonHours: 8, explanation: "funding z=−3.1 — «crowded shorts»", streamsJson: "[]", modelVersion: "2026-01", crossConfirmed: true } });
  const money = { refPrice: "97000.123456789012345", quantity: "0.00100000000000000001", notionalUsd: "97.000123456789012345", marginUsd: "19.4", stopPrice: "95000", leverage: 5, horizonHours: 8 };
  await db.proposal.create({ data: { id: "p-1", signalId: signal.id, symbol: "BTC/USDT:USDT", venue: "okx", side: "long", status: "closed", version: 7, ...money, createdAt: T("2026-01-02T04:00:01Z"), expiresAt: T("2026-01-02T04:30:01Z"), decidedAt: T("2026-01-02T04:01:00Z"), decidedBy: "alice (telegram)", decidedVia: "telegram", decidedByUserId: "111", note: null } });
  await db.proposal.create({ data: { id: "p-2", symbol: "MNT/USDT:USDT", venue: "bybit", side: "short", status: "pending", ...money, createdAt: T("2026-01-03T00:00:00Z"), expiresAt: T("2026-01-03T00:30:00Z"), autoExecute: true } });
  await db.chatMessage.create({ data: { proposalId: "p-1", platform: "telegram", chatId: "-100123", messageId: "42", version: 7, shownHash: "abc" } });
  await db.chatUser.create({ data: { platform: "telegram", userId: "111", role: "admin", source: "env", updatedAt: T("2026-01-01T00:00:00Z") } });
  await db.chat.create({ data: { platform: "discord", chatId: "999", configured: false, updatedAt: T("2026-01-01T00:00:00Z") } });
  await db.chatAlertSetting.create({ data: { platform: "discord", chatId: "999", event: "funding", mode: "silent", updatedAt: T("2026-01-01T00:00:00Z") } });
  const order = await db.order.create({ data: { clientOrderId: "pb-p-1-entry", proposalId: "p-1", mode: "paper", purpose: "entry", venue: "okx", symbol: "BTC/USDT:USDT", side: "buy", requestedQty: "0.001", filledQty: "0.001", avgPrice: "97000.1", fee: "0.0533500550", status: "filled", sentAt: T("2026-01-02T04:01:01Z"), createdAt: T("2026-01-02T04:01:00Z") } });
  await db.fill.createMany({ data: [0, 1].map((seq) => ({ orderId: order.id, seq, ts: T("2026-01-02T04:01:02Z"), price: "97000.1", quantity: "0.0005", fee: "0.02667502750" })) });
  const position = await db.position.create({ data: { proposalId: "p-1", mode: "paper", venue: "okx", symbol: "BTC/USDT:USDT", side: "long", quantity: "0.001", entryPrice: "97000.1", entryTs: T("2026-01-02T04:01:02Z"), leverage: 5, marginUsd: "19.4", stopPrice: "95000", exitDueTs: T("2026-01-02T12:01:02Z"), status: "closed", exitPrice: "98000", exitTs: T("2026-01-02T10:00:00Z"), closeReason: "take-profit", feesPaid: "0.107", fundingPnl: "-0.00970001", realizedPnl: "0.79230000000000000001" } });
  await db.fundingPayment.create({ data: { positionId: position.id, ts: T("2026-01-02T08:00:00Z"), rate: 0.0001, markPrice: "97000.1", amount: "-0.00970001" } });
  await db.intent.create({ data: { id: "i-1", kind: "card", payloadJson: '{"proposalId":"p-1"}', status: "done", createdAt: T("2026-01-02T04:00:01Z"), dispatches: 2, doneAt: T("2026-01-02T04:00:02Z") } });
  await db.paperOrder.create({ data: { clientOrderId: "pb-p-1-entry", venue: "okx", symbol: "BTC/USDT:USDT", side: "buy", quantity: "0.001", price: "97000.1", fee: "0.05335", status: "filled", reduceOnly: false, ts: T("2026-01-02T04:01:02Z") } });
  await db.equitySnapshot.create({ data: { ts: T("2026-01-02T10:00:00Z"), equity: "10000.79230000000000000001", peak: "10000.7923", drawdown: 0 } });
  await db.setting.create({ data: { key: "risk.profile", value: '{"profile":"aggressive"}', updatedAt: T("2025-12-31T23:59:59.999Z") } });
  await db.auditLog.create({ data: { ts: T("2026-01-02T04:01:00Z"), platform: "telegram", userId: "111", displayName: "Alice 🚀", action: "approve", target: "p-1", outcome: "ok", detail: null } });
  await db.weightSet.create({ data: { version: "2026-01", monthStart: T("2026-01-01T00:00:00Z"), windowStart: T("2025-10-03T00:00:00Z"), windowEnd: T("2026-01-01T00:00:00Z"), horizonHours: 8, weightsJson: "{}", inSampleJson: "{}", priorsJson: "{}", createdAt: T("2026-01-01T00:00:00Z") } });
  await db.spotCandle.createMany({ data: bars(30) });
  await db.openInterestPrint.create({ data: { venue: "bybit", symbol: "MNT/USDT:USDT", ts: T("2026-01-01T00:00:00Z"), amount: 1.5e9, value: null } });
  await db.bookSummary.create({ data: { venue: "bybit", symbol: "MNT/USDT:USDT", ts: T("2026-01-01T00:00:00Z"), bestBid: 0.5, bestAsk: 0.5001, bidSize: 100, askSize: 200, depthJson: '{"10":[1,2]}', wallsJson: "[]" } });
  await db.candle.createMany({ data: bars(48) });
}

describe("npm run db:copy", () => {
  it("copies a SQLite journal into a fresh PostgreSQL schema row by row, ids kept, sequences moved on", async () => {
    const file = path.join(scratch, "journal.db");
    const source = await openDatabase(`file:${file}`);
    try {
      await populate(source);
      const run = await dbCopy(["--from", `file:${file}`, "--to", target]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^FundingPrint\s+1197$/m);
      expect(run.stdout).toMatch(/^Candle\s+48$/m);
      expect(run.stdout).toContain("Copied 1,296 rows in 22 tables");
      const copied = await openDatabase(target);
      try {
        const counts = await tableCounts(source);
        expect(await tableCounts(copied)).toEqual(counts);
        for (const table of TABLES_IN_REFERENCE_ORDER) {
          expect(counts[table], `${table} has rows in the fixture`).toBeGreaterThan(0);
          const a: Record<string, unknown>[] = [];
          const b: Record<string, unknown>[] = [];
          for await (const rows of readRows(source, table, 100)) a.push(...rows);
          for await (const rows of readRows(copied, table, 100)) b.push(...rows);
          expect(b, table).toEqual(a);
        }
        // The next row gets the id after the largest copied one, not 1 (which would collide).
        const next = await tableOf(copied, "FundingPrint").createMany({ data: [{ venue: "x", symbol: "y", ts: new Date(0), rate: 0 }] });
        expect(next.count).toBe(1);
        expect((await copied.fundingPrint.findFirstOrThrow({ where: { venue: "x" } })).id).toBe(1201);
      } finally {
        await copied.$disconnect();
      }
      const refused = await dbCopy(["--from", `file:${file}`, "--to", target]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^Refused: the target already holds rows \(FundingPrint 1198, .*\)\. Pass --overwrite/);
      const replaced = await dbCopy(["--from", `file:${file}`, "--to", target, "--overwrite"]);
      expect(replaced.code, replaced.stderr).toBe(0);
      const again = await openDatabase(target);
      try {
        expect(await again.fundingPrint.count()).toBe(1197);
      } finally {
        await again.$disconnect();
      }
    } finally {
      await source.$disconnect();
    }
  }, 120_000);

  it("answers a usage error with the usage line and exit code 2", async () => {
    const missing = await dbCopy(["--from", `file:${path.join(scratch, "none.db")}`, "--to", target]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/^no database at .*none\.db\nusage: npm run db:copy/)]);
    const bad = await dbCopy(["--from", "mysql://x", "--to", target]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^mysql:\/\/x must be a SQLite file URL like file:.* or a PostgreSQL URL like postgresql:\/\//)]);
  }, 60_000);
});
