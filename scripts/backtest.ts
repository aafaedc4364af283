import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import type { RiskProfile } from "../src/core/signals/ensemble";
import { runBacktest, type BacktestRun } from "../src/history/backtest";
import { EQUITY_IMAGE, fileDigests, metricsJson, reportMarkdown, summaryTable, tradesCsv, type Provenance } from "../src/history/backtest-report";
import { sharedDataDir } from "../src/history/shared-data";
import { TRADING_VENUE } from "../src/history/replay";
import { loadStoredHistory, storedHistoryDigests, type StoredHistory } from "../src/history/stored-history";
import { VENUE_IDS } from "../src/exchange/venues/registry";
import { databaseProvider, openDatabase, sqlitePathFromUrl } from "../src/store/database";

/**
 * `npm run backtest -- --symbol BTC --from 2022-01-01 --to 2024-01-01 --profile conservative
 * [--seed 1] [--random-runs 100] [--out dir] [--data-dir ../shared/data]`: see "Backtest" in
 * README.md. Writes trades.csv, metrics.json, report.md and equity.png to the out dir (default
 * backtest-out/<coin>-<from>-<to>-<profile>/), prints the summary table on stdout, the progress
 * bar (on a terminal) and the wall time on stderr. Exit codes: 0 done, 2 a usage or data error.
 */
const BOOTSTRAP_RESAMPLES = 2_000;
const USAGE = "Usage: npm run backtest -- --symbol BTC --from 2022-01-01 --to 2024-01-01 --profile conservative|aggressive [--seed N] [--random-runs N] [--out dir] [--data-dir dir] [--source shared|db] [--venue binanceusdm]";

class UsageError extends Error {}

interface Args {
  readonly coin: string;
  readonly from: string;
  readonly to: string;
  readonly profile: RiskProfile;
  readonly seed: number;
  readonly randomRuns: number;
  readonly out: string | null;
  readonly dataDir: string | null;
  /** shared: the CSV files of ../shared/data; db: the database the bot records into (DATABASE_URL). */
  readonly source: "shared" | "db";
  /** With --source db: whose perp is traded (its candles must be in the database). */
  readonly venue: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseArgs(argv: readonly string[]): Args {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i] ?? "";
    const value = argv[i + 1];
    if (!key.startsWith("--") || value === undefined || value.startsWith("--")) throw new UsageError(`Expected "--option value" pairs, got "${[key, value ?? ""].join(" ").trim()}".`);
    values.set(key.slice(2), value);
  }
  for (const key of values.keys()) {
    if (!["symbol", "from", "to", "profile", "seed", "random-runs", "out", "data-dir", "source", "venue"].includes(key)) throw new UsageError(`Unknown option --${key}.`);
  }
  // BTC, btc, BTCUSDT, BTC/USDT or BTC/USDT:USDT all mean the coin BTC.
  const coin = (values.get("symbol") ?? "").toUpperCase().split(/[/:]/)[0]?.replace(/USDT$/, "") ?? "";
  if (coin === "") throw new UsageError("--symbol is required.");
  const from = values.get("from") ?? "";
  const to = values.get("to") ?? "";
  if (!DATE.test(from) || !DATE.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw new UsageError("--from and --to are required, as YYYY-MM-DD (UTC).");
  if (Date.parse(to) <= Date.parse(from)) throw new UsageError("--to must be after --from.");
  const profile = values.get("profile") ?? "";
  if (profile !== "conservative" && profile !== "aggressive") throw new UsageError("--profile must be conservative or aggressive.");
  const integer = (name: string, fallback: number, min: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}.`);
    return Number(raw);
  };
  const source = values.get("source") ?? "shared";
  if (source !== "shared" && source !== "db") throw new UsageError("--source must be shared (the files of ../shared/data) or db (the database in DATABASE_URL).");
  const venue = values.get("venue") ?? TRADING_VENUE;
  if (values.has("venue") && source !== "db") throw new UsageError("--venue needs --source db: the shared files hold Binance perp candles only.");
  if (!VENUE_IDS.includes(venue as never)) throw new UsageError(`--venue must be one of ${VENUE_IDS.join(", ")}.`);
  if (values.has("data-dir") && source === "db") throw new UsageError("--data-dir is for --source shared; the database comes from DATABASE_URL.");
  return { coin, from, to, profile, seed: integer("seed", 1, 0), randomRuns: integer("random-runs", 100, 0), out: values.get("out") ?? null, dataDir: values.get("data-dir") ?? null, source, venue };
}

/** One bar on stderr while it runs, on a terminal only; elsewhere a line when a stage ends. */
function createProgress(): { update: (stage: string, done: number, total: number) => void; stop: () => void } {
  const labels: Record<string, string> = { signals: "signals (decision times)", trading: "trading (method, baselines)" };
  if (!process.stderr.isTTY) {
    return {
      update: (stage, done, total) => { if (done === total) process.stderr.write(`${labels[stage] ?? stage}: ${done}/${total} done\n`); },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: "{stage} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}", hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let current = "";
  return {
    update(stage, done, total) {
      if (stage !== current) {
        if (current !== "") bar.stop();
        bar.start(total, done, { stage: labels[stage] ?? stage });
        current = stage;
      } else {
        bar.update(done);
      }
    },
    stop: () => { if (current !== "") bar.stop(); },
  };
}

function codeVersion(): string {
  try {
    return `git ${execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()} (uncommitted changes are not captured)`;
  } catch {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return `perpbot ${pkg.version ?? "unknown"} (no git checkout)`;
  }
}

async function chart(run: BacktestRun): Promise<Buffer | string> {
  const points = run.method.result.equityCurve;
  if (points.length < 2) return "the period has fewer than two candles.";
  try {
    const { renderEquityChart } = await import("../src/render/charts");
    return await renderEquityChart({
      points, title: `${run.symbol} backtest, ${run.profile} profile`, equityLabel: "equity (USDT)",
      subtitle: `${new Date(run.from).toISOString().slice(0, 10)} .. ${new Date(run.to).toISOString().slice(0, 10)}, ${run.method.metrics.trades} trades, final equity ${run.method.finalEquity.toFixed(0)} USDT`,
      drawdownMarks: [{ percent: 5, label: "half size" }, { percent: 10, label: "pause" }],
    });
  } catch (error) {
    return `the chart could not be drawn (${error instanceof Error ? error.message : String(error)}).`;
  }
}

const DEFAULT_DATABASE_URL = "file:./data/perpbot.db";

/**
 * The coin's history from the database the bot records into (and `npm run data:import` fills).
 * A missing file is an error, not a new empty database; no perp candles for the coin on the venue
 * is an error naming what the database does hold.
 */
async function readStoredHistory(url: string, coin: string, venue: string): Promise<StoredHistory> {
  const sqlite = databaseProvider(url) === "sqlite";
  // Named without its password: a PostgreSQL URL may carry one.
  const file = sqlite ? sqlitePathFromUrl(url) : databaseWithoutCredentials(url);
  if (sqlite && !existsSync(file)) throw new Error(`No database at ${file} (DATABASE_URL ${url}). Record some history first (npm start), or import it: npm run data:import.`);
  const db = await openDatabase(url);
  try {
    const stored = await loadStoredHistory(db, coin, venue);
    if (stored.history.perp.length > 0) return stored;
    const held = await db.candle.groupBy({ by: ["venue", "symbol"], _count: { _all: true }, orderBy: [{ venue: "asc" }, { symbol: "asc" }] });
    const list = held.map((h) => `${h.venue} ${h.symbol} (${h._count._all} candles)`).join(", ");
    throw new Error(`The database at ${file} has no perp candles of ${coin}/USDT:USDT on ${venue}; it has ${list === "" ? "none at all" : list}. Import them: npm run data:import -- --venue ${venue} --symbol ${coin}/USDT:USDT --kind perp --since 2024-01-01`);
  } finally {
    await db.$disconnect();
  }
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const started = performance.now();
  const dir = args.dataDir === null ? sharedDataDir() : path.resolve(args.dataDir);
  let stored: StoredHistory | null = null;
  let databaseUrl = "";
  if (args.source === "db") {
    if (existsSync(".env")) process.loadEnvFile(".env");
    databaseUrl = process.env["DATABASE_URL"] ?? DEFAULT_DATABASE_URL;
    try {
      stored = await readStoredHistory(databaseUrl, args.coin, args.venue);
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
  }
  const progress = createProgress();
  let run: BacktestRun;
  try {
    run = runBacktest({
      coin: args.coin, from: Date.parse(`${args.from}T00:00:00Z`), to: Date.parse(`${args.to}T00:00:00Z`), profile: args.profile, seed: args.seed,
      randomRuns: args.randomRuns, bootstrapResamples: BOOTSTRAP_RESAMPLES, dir, onProgress: progress.update,
      ...(stored === null ? {} : { history: stored.history }),
    });
  } catch (error) {
    progress.stop();
    // Missing data or an unknown coin: the message names what is there.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  progress.stop();
  const out = args.out ?? path.join("backtest-out", `${args.coin}-${args.from}-${args.to}-${args.profile}`);
  const provenance: Provenance = {
    codeVersion: codeVersion(),
    // Canonical, without --out or --data-dir: where the files went does not change what they say.
    command: `npm run backtest -- --symbol ${args.coin} --from ${args.from} --to ${args.to} --profile ${args.profile} --seed ${args.seed} --random-runs ${args.randomRuns}${args.source === "db" ? ` --source db --venue ${args.venue}` : ""}`,
    ...(stored === null || run.files !== null
      ? { dataFiles: run.files === null ? [] : fileDigests([run.files.perp, ...(run.files.spot === null ? [] : [run.files.spot]), ...run.files.funding.map((f) => f.path)], dir) }
      : { dataFiles: storedHistoryDigests(stored), dataSource: `Data read from the database ${databaseUrl} (each series, its rows as JSON: bytes and sha256)` }),
  };
  const image = await chart(run);
  mkdirSync(out, { recursive: true });
  rmSync(path.join(out, EQUITY_IMAGE), { force: true });
  if (typeof image !== "string") writeFileSync(path.join(out, EQUITY_IMAGE), image);
  writeFileSync(path.join(out, "trades.csv"), tradesCsv(run));
  writeFileSync(path.join(out, "metrics.json"), metricsJson(run, provenance, { randomRuns: args.randomRuns, bootstrapResamples: BOOTSTRAP_RESAMPLES }));
  writeFileSync(path.join(out, "report.md"), reportMarkdown(run, provenance, typeof image === "string" ? { missing: image } : { file: EQUITY_IMAGE }));
  process.stdout.write(`${summaryTable(run)}\nWritten to ${out}/: trades.csv, metrics.json, report.md${typeof image === "string" ? ` (no chart: ${image})` : `, ${EQUITY_IMAGE}`}\n`);
  process.stderr.write(`Wall time ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`backtest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

/** "postgresql://user:secret@host:5432/db?schema=s" → "postgresql://host:5432/db?schema=s". */
function databaseWithoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "the PostgreSQL database in DATABASE_URL";
  }
}
