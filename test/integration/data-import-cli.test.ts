import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startScript, type ScriptRun, type StartedScript } from "../support/child-processes";
import { APR_2025, BTC, FUNDING_CSV, JAN_2024 } from "../support/ccxt-market-data-setup";
import { ExchangeServer } from "../stand-ins/exchange-server";

/**
 * `npm run data:import` as a real process (node --import tsx scripts/data-import.ts, as the npm
 * script runs it) against the exchange stand-in and a fresh SQLite file: usage errors, an import,
 * a re-run that stores nothing, and Ctrl-C mid-way followed by a run that finishes the job.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const HOUR = 3_600_000;
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-import-cli-"));
const server = new ExchangeServer();
beforeAll(() => server.start());
afterAll(async () => {
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  server.reset();
  server.addMarket("binanceusdm", BTC);
});


let dbCount = 0;
function freshDbFile(): string {
  dbCount += 1;
  return path.join(scratch, `cli-${dbCount}.db`);
}

function startImport(args: readonly string[], dbFile: string): StartedScript {
  return startScript("scripts/data-import.ts", args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), DATABASE_URL: `file:${dbFile}`, EXCHANGE_HOST_OVERRIDE: server.url, EXCHANGE_TIMEOUT_MS: "5000" },
  });
}

const runImport = (args: readonly string[], dbFile: string): Promise<ScriptRun> => startImport(args, dbFile).done;

function count(dbFile: string, table: string): { rows: number; distinct: number } {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) AS rows, count(DISTINCT venue || symbol || ts) AS "distinct" FROM ${table}`).get() as { rows: number; distinct: number };
  } finally {
    db.close();
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("data:import usage errors", () => {
  it.each([
    [["--venue", "binanceusdm", "--symbol", BTC, "--kind", "candles"], /--kind "candles" is not one of funding, perp, spot, oi\./],
    [["--venue", "binanceusdm", "--kind", "funding"], /--symbol is missing\./],
    [["--venue", "kraken", "--symbol", BTC, "--kind", "funding"], /--venue "kraken" is not one of bybit, binanceusdm, okx, bitget\./],
    [["--venue", "binanceusdm", "--symbol", "BTCUSDT", "--kind", "funding"], /--symbol "BTCUSDT" is not a ccxt unified perp symbol/],
    [["--venue", "binanceusdm", "--symbol", BTC, "--kind", "funding", "--since", "last tuesday"], /--since "last tuesday" is not a date/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
  ])("%j gives one line naming the mistake, with the usage, and exit code 2", async (args, problem) => {
    const dbFile = freshDbFile();
    const run = await runImport(args, dbFile);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(problem);
    expect(lines[0]).toContain("Usage: npm run data:import -- --venue");
  });
});

describe("data:import through the stand-in", () => {
  it("imports Binance funding from --since, then a second run stores nothing new", async () => {
    const loaded = await server.loadRealFunding("binanceusdm", BTC, FUNDING_CSV, JAN_2024, APR_2025);
    const dbFile = freshDbFile();
    const args = ["--venue", "binanceusdm", "--symbol", BTC, "--kind", "funding", "--since", "2024-01-01"];
    const first = await runImport(args, dbFile);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`funding ${BTC} Binance USD-M: ${loaded.toLocaleString("en-US")} rows stored`);
    expect(first.stdout).toContain("caught up");
    const second = await runImport(args, dbFile);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`funding ${BTC} Binance USD-M: 0 rows stored`);
    expect(count(dbFile, "FundingPrint")).toEqual({ rows: loaded, distinct: loaded });
  }, 60_000);

  it("stops cleanly after the current page on Ctrl-C, and the same command then finishes without duplicates", async () => {
    // 3,000 closed hourly bars up to the current hour: 15 pages of 200, each held back a little.
    const currentHour = Math.floor(Date.now() / HOUR) * HOUR;
    const candles = Array.from({ length: 3_000 }, (_, i) => ({ ts: currentHour - (3_000 - i) * HOUR, open: 1 + i, high: 2 + i, low: 0.5 + i, close: 1.5 + i, volume: 7 }));
    server.setCandles("binanceusdm", BTC, candles);
    server.delayNext("binanceusdm", /\/fapi\/v1\/klines$/, 250, 100);
    const dbFile = freshDbFile();
    const args = ["--venue", "binanceusdm", "--symbol", BTC, "--kind", "perp", "--since", String(candles[0]?.ts)];
    const first = startImport(args, dbFile);
    // Not a terminal: a plain progress line every 10 pages.
    await waitFor(() => first.output().includes("page 10, 2,000 rows stored"), 60_000);
    first.signal("SIGINT");
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain("Stopping after the current page");
    expect(stopped.stdout).toMatch(/stopped on request with everything before \S+ stored\. Run the same command again to resume\./);
    const partial = count(dbFile, "Candle");
    expect(partial.rows).toBeGreaterThanOrEqual(2_000);
    expect(partial.rows).toBeLessThan(3_000);
    expect(partial.rows % 200).toBe(0);

    const second = await runImport(args, dbFile);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`${(3_000 - partial.rows).toLocaleString("en-US")} rows stored`);
    expect(count(dbFile, "Candle")).toEqual({ rows: 3_000, distinct: 3_000 });
  }, 90_000);

  it("says which venue and symbol when the venue does not list the symbol (exit 1, not resumable)", async () => {
    const run = await runImport(["--venue", "binanceusdm", "--symbol", "MNT/USDT:USDT", "--kind", "funding", "--since", "2024-01-01"], freshDbFile());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Cannot import funding history of MNT\/USDT:USDT from Binance USD-M: .*"MNT\/USDT:USDT"/);
  });

  it("imports a shared-data coin with --from-shared and reports absent coins without failing", async () => {
    const dbFile = freshDbFile();
    const sol = await runImport(["--from-shared", "--symbol", "SOL/USDT:USDT", "--kind", "funding"], dbFile);
    expect(sol.code).toBe(0);
    expect(sol.stdout).toMatch(/binance_usdm_SOLUSDT_funding\.csv → funding SOL\/USDT:USDT binanceusdm: 1,408 rows, 1,408 new/);
    const none = await runImport(["--from-shared", "--symbol", "MNT/USDT:USDT"], dbFile);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("No shared data files for MNT/USDT:USDT");
    expect(count(dbFile, "FundingPrint")).toEqual({ rows: 1_408, distinct: 1_408 });
  }, 60_000);
});
