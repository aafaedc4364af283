import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run backtest` as an operator runs it, as a child process on ../shared/data: SOL (the
 * panel: Binance perp and funding only, no spot, no other venue, no published market spec) over
 * three months, twice into two folders, and BTC over one month. Each run takes a few seconds.
 */
const repo = fileURLToPath(new URL("../..", import.meta.url));
const FILES = ["trades.csv", "metrics.json", "report.md", "equity.png"] as const;

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

function backtest(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "scripts/backtest.ts", ...args], { cwd: repo, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), "backtest-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface CsvTrade { readonly variant: string; readonly pnl: number; readonly r: number }
function readTrades(file: string): CsvTrade[] {
  const [header, ...lines] = readFileSync(file, "utf8").trim().split("\n");
  const columns = (header ?? "").split(",");
  const at = (name: string): number => columns.indexOf(name);
  return lines.map((line) => {
    const cells = line.split(",");
    return { variant: cells[at("variant")] ?? "", pnl: Number(cells[at("pnl")]), r: Number(cells[at("r")]) };
  });
}

type Metrics = Record<string, Record<string, unknown>> & { method: Record<string, number>; baselines: { fundingAlone: Record<string, number> } };

describe("npm run backtest on SOL (no spot, one venue, no published market spec)", () => {
  const first = tempDir();
  const second = tempDir();
  const args = ["--symbol", "SOL", "--from", "2025-06-01", "--to", "2025-09-01", "--profile", "aggressive", "--seed", "3", "--random-runs", "5"];
  let runs: Run[] = [];
  beforeAll(async () => {
    runs = await Promise.all([backtest([...args, "--out", first]), backtest([...args, "--out", second])]);
  }, 120_000);

  it("runs, prints the summary table and writes every file", () => {
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(runs[0]?.stdout).toMatch(/^\| win rate \[95% CI\] \|/m);
    expect(runs[0]?.stdout).toContain("| published |");
    for (const file of FILES) expect(existsSync(path.join(first, file)), file).toBe(true);
  });

  it("metrics.json agrees with trades.csv: win rate and expectancy recomputed from the rows", () => {
    const metrics = JSON.parse(readFileSync(path.join(first, "metrics.json"), "utf8")) as Metrics;
    const trades = readTrades(path.join(first, "trades.csv"));
    const check = (variant: string, m: Record<string, number>): void => {
      const rows = trades.filter((t) => t.variant === variant);
      expect(rows.length, variant).toBe(m["trades"]);
      if (rows.length === 0) return;
      expect(m["winRate"]).toBeCloseTo(rows.filter((t) => t.pnl > 0).length / rows.length, 12);
      expect(m["expectancy"]).toBeCloseTo(rows.reduce((s, t) => s + t.pnl, 0) / rows.length, 8);
      expect(m["expectancyR"]).toBeCloseTo(rows.reduce((s, t) => s + t.r, 0) / rows.length, 8);
      expect(m["totalPnl"]).toBeCloseTo(rows.reduce((s, t) => s + t.pnl, 0), 6);
    };
    check("method", metrics.method);
    check("funding-alone", metrics.baselines.fundingAlone);
    expect(metrics.baselines.fundingAlone["trades"]).toBeGreaterThan(10);
  });

  it("says what it assumed for a coin without published filters, and which files it read, with their sha256", () => {
    const metrics = JSON.parse(readFileSync(path.join(first, "metrics.json"), "utf8")) as { assumptions: { marketSpec: string; spotCandles: boolean; fundingVenues: string[] }; provenance: { codeVersion: string; dataFiles: { file: string; sha256: string }[] } };
    expect(metrics.assumptions.marketSpec).toMatch(/derived from the first price/);
    expect(metrics.assumptions.spotCandles).toBe(false);
    expect(metrics.assumptions.fundingVenues).toEqual(["binanceusdm"]);
    expect(metrics.provenance.codeVersion).toMatch(/^(git [0-9a-f]{40}|perpbot )/);
    expect(metrics.provenance.dataFiles.map((f) => f.file).sort()).toEqual(["binance_perp_panel_1h/binance_usdm_SOLUSDT_funding.csv", "binance_perp_panel_1h/binance_usdm_SOLUSDT_perp_1h_ohlcv.csv"]);
    for (const f of metrics.provenance.dataFiles) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the report references its chart, which is a PNG", () => {
    const report = readFileSync(path.join(first, "report.md"), "utf8");
    expect(report).toContain("](equity.png)");
    expect(report).toMatch(/derived from the price/);
    expect(readFileSync(path.join(first, "equity.png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it("two runs with the same inputs and seed give byte-identical files", () => {
    for (const file of FILES) expect(readFileSync(path.join(second, file)).equals(readFileSync(path.join(first, file))), file).toBe(true);
  });
});

describe("npm run backtest on BTC and on coins it does not have", () => {
  it("BTC over a month uses the seven venues' funding and spot, and Binance's published filters", async () => {
    const out = tempDir();
    const run = await backtest(["--symbol", "BTC/USDT:USDT", "--from", "2022-05-01", "--to", "2022-06-01", "--profile", "aggressive", "--random-runs", "2", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(path.join(out, "metrics.json"), "utf8")) as { assumptions: { marketSpec: string; spotCandles: boolean; fundingVenues: string[] } };
    expect(metrics.assumptions.marketSpec).toBe("Binance's published filters");
    expect(metrics.assumptions.spotCandles).toBe(true);
    expect(metrics.assumptions.fundingVenues).toHaveLength(7);
  }, 60_000);

  it("an unknown coin is refused with the coins that are there", async () => {
    const run = await backtest(["--symbol", "NOPE", "--from", "2022-01-01", "--to", "2022-02-01", "--profile", "conservative", "--out", tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/No Binance perp candles for NOPE/);
    expect(run.stderr).toMatch(/Coins available: ARB, BTC, DOGE, ETH, LINK, SOL\./);
  }, 60_000);

  it("a bad option is a usage error", async () => {
    const run = await backtest(["--symbol", "BTC", "--from", "2022-01-01", "--to", "2022-02-01", "--profile", "reckless"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--profile must be conservative or aggressive/);
  }, 60_000);
});
