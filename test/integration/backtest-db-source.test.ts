import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importSharedData } from "../../src/history/import/shared-import";
import { sharedDataDir } from "../../src/history/shared-data";
import { openDatabase } from "../../src/store/database";

/**
 * `npm run backtest -- --source db` (issue 10, point 1: stored history, imported or recorded) as a
 * child process on a real SQLite database that `data:import` filled with SOL from ../shared/data:
 * the same trades as the run on the files, the database's series named with their digests in the
 * report, and plain errors for a missing database, a coin it does not hold and mixed-up options.
 */
const repo = fileURLToPath(new URL("../..", import.meta.url));
interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

function backtest(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "scripts/backtest.ts", ...args], { cwd: repo, timeout: 90_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

const scratch = mkdtempSync(path.join(tmpdir(), "backtest-db-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const dbFile = path.join(scratch, "perpbot.db");
const env = { DATABASE_URL: `file:${dbFile}` };
const args = ["--symbol", "SOL", "--from", "2025-06-01", "--to", "2025-09-01", "--profile", "aggressive", "--seed", "3", "--random-runs", "3"];

describe("npm run backtest --source db", () => {
  let fromDb: Run;
  let fromFiles: Run;
  beforeAll(async () => {
    const db = await openDatabase(env.DATABASE_URL);
    await importSharedData({ db, dir: sharedDataDir(), symbol: "SOL/USDT:USDT" });
    await db.$disconnect();
    [fromDb, fromFiles] = await Promise.all([
      backtest([...args, "--source", "db", "--out", path.join(scratch, "db")], env),
      backtest([...args, "--out", path.join(scratch, "files")]),
    ]);
  }, 180_000);

  it("trades exactly as the run on the same coin's files, and names the database's series with their digests", () => {
    expect(fromDb.code, fromDb.stderr).toBe(0);
    expect(fromFiles.code, fromFiles.stderr).toBe(0);
    const trades = (dir: string): string => readFileSync(path.join(scratch, dir, "trades.csv"), "utf8");
    expect(trades("db")).toBe(trades("files"));
    expect(trades("db").trim().split("\n").length).toBeGreaterThan(3);
    const report = readFileSync(path.join(scratch, "db", "report.md"), "utf8");
    expect(report).toContain(`Data read from the database file:${dbFile}`);
    expect(report).toMatch(/Candle binanceusdm SOL\/USDT:USDT \(\d+ rows\) \(\d+ bytes\) sha256 [0-9a-f]{64}/);
    expect(report).toMatch(/FundingPrint binanceusdm SOL\/USDT:USDT \(\d+ rows, every 8 h\)/);
    const metrics = JSON.parse(readFileSync(path.join(scratch, "db", "metrics.json"), "utf8")) as { provenance: { command: string } };
    expect(metrics.provenance.command).toMatch(/--source db --venue binanceusdm$/);
  });

  it("says what is wrong, in one line, with exit code 2", async () => {
    const missing = await backtest([...args, "--source", "db"], { DATABASE_URL: `file:${path.join(scratch, "nope.db")}` });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^No database at .*nope\.db .*npm run data:import/m);
    const otherCoin = await backtest([...args.map((a) => (a === "SOL" ? "DOGE" : a)), "--source", "db"], env);
    expect(otherCoin.code).toBe(2);
    expect(otherCoin.stderr).toMatch(/no perp candles of DOGE\/USDT:USDT on binanceusdm; it has binanceusdm SOL\/USDT:USDT \(\d+ candles\)/);
    const otherVenue = await backtest([...args, "--source", "db", "--venue", "bybit"], env);
    expect(otherVenue.stderr).toMatch(/no perp candles of SOL\/USDT:USDT on bybit/);
    expect((await backtest([...args, "--venue", "bybit"])).stderr).toMatch(/^--venue needs --source db/m);
    expect((await backtest([...args, "--source", "csv"])).stderr).toMatch(/^--source must be shared .* or db/m);
  }, 120_000);
});
