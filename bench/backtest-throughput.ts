import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { collectDecisionRows, walkForwardDecisions } from "../src/history/backtest-decisions";
import { marketSpecFor, replayOnHistory } from "../src/history/lifecycle-backtest";
import { loadRecordedBooks, type RecordedBooks } from "../src/history/recorded-books";
import { defaultReplaySpan, HOUR_MS, loadAssetHistory, type AssetHistory } from "../src/history/replay";
import { sharedDataDir } from "../src/history/shared-data";

/**
 * Issue 10 point 8: the backtest's throughput on the BTC history of ../shared/data, in market
 * events per second through signals, lifecycle and paper broker, and the wall time of a four-year
 * hourly walk-forward (`npm run backtest`) beside the same span through `npm run signals:report`.
 *
 * A market event is one record the replay consumes, counted once, over the span it replays
 * (from the first decision time to the last candle's close): each hourly perp candle, each
 * hourly spot candle, each funding print of each venue, each recorded order-book snapshot. The
 * history files hold no tickers, so there are none to count. The pass that consumes them is the
 * backtest's own: the replay's aligned views → the engine's streams at every 8-hourly decision
 * time (`collectDecisionRows`) → the monthly walk-forward and its out-of-sample decisions
 * (`walkForwardDecisions`) → the lifecycle over every hourly candle with the funding prints and
 * the paper broker's fills (`replayOnHistory`). Loading the CSV files is not timed (I/O).
 */
const repo = fileURLToPath(new URL("..", import.meta.url));

export interface StageTimes {
  readonly signalsMs: number;
  readonly walkForwardMs: number;
  readonly lifecycleMs: number;
}

export interface BacktestThroughput {
  readonly events: { readonly perp: number; readonly spot: number; readonly funding: number; readonly books: number; readonly total: number; readonly venues: number };
  readonly span: { readonly from: number; readonly to: number };
  readonly decisionTimes: number;
  readonly trades: number;
  /** Best of the timed passes (the machine is shared), and every pass. */
  readonly best: StageTimes & { readonly totalMs: number };
  readonly passes: readonly number[];
  readonly eventsPerSecond: number;
  /** The lifecycle stage alone: candles and Binance prints it consumes per second. */
  readonly lifecycleEventsPerSecond: number;
}

const within = (series: readonly { ts: number }[], from: number, to: number): number => series.filter((r) => r.ts >= from && r.ts < to).length;

/** Counts every record in [from, to) of every series the pass reads. */
export function countEvents(history: AssetHistory<string>, books: RecordedBooks | null, from: number, to: number): BacktestThroughput["events"] {
  const perp = within(history.perp, from, to);
  const spot = within(history.spot, from, to);
  const funding = history.funding.reduce((n, f) => n + within(f.prints, from, to), 0);
  const bookCount = books === null ? 0 : books.stamps.filter((ts) => ts >= from && ts < to).length;
  return { perp, spot, funding, books: bookCount, total: perp + spot + funding + bookCount, venues: history.funding.filter((f) => within(f.prints, from, to) > 0).length };
}

function onePass(history: AssetHistory<string>, books: RecordedBooks | null, from: number, to: number): StageTimes & { decisionTimes: number; trades: number; tradingEvents: number } {
  const t0 = performance.now();
  const rows = collectDecisionRows(history, { from, to });
  const t1 = performance.now();
  const method = walkForwardDecisions(rows, { profile: "aggressive" });
  const funding = walkForwardDecisions(rows, { profile: "aggressive", streams: ["funding-anomaly"] });
  const t2 = performance.now();
  const candles = history.perp.filter((c) => c.ts >= from && c.ts + HOUR_MS <= to);
  const market = marketSpecFor(history.asset, candles[0]?.close ?? Number.NaN).spec;
  const trade = (decisions: typeof method.decisions): number =>
    replayOnHistory(history, decisions, { candles, market, ...(books === null ? {} : { bookAt: books.bookAt }) }).trades.length;
  const trades = trade(method.decisions) + trade(funding.decisions);
  const t3 = performance.now();
  const prints = history.funding[0]?.prints ?? [];
  // Two lifecycle runs over the same candles and prints.
  return { signalsMs: t1 - t0, walkForwardMs: t2 - t1, lifecycleMs: t3 - t2, decisionTimes: rows.length, trades, tradingEvents: 2 * (candles.length + within(prints, from, to)) };
}

/**
 * One pass is what `npm run backtest` does before its baselines: the streams at every decision
 * time, the walk-forward for the method (aggressive profile) and for the funding stream alone,
 * each traded through the lifecycle. On BTC the method's ensemble fires a few times a year; the
 * funding stream alone gives the lifecycle hundreds of trades.
 */
export function benchBacktestThroughput(options: { passes: number }): BacktestThroughput {
  const dir = sharedDataDir();
  const history = loadAssetHistory("BTC", dir);
  const books = loadRecordedBooks("BTC", dir);
  const span = defaultReplaySpan(history);
  onePass(history, books, span.from, span.to); // warm-up: compile the hot paths once
  const passes: (ReturnType<typeof onePass> & { totalMs: number })[] = [];
  for (let k = 0; k < options.passes; k++) {
    const pass = onePass(history, books, span.from, span.to);
    passes.push({ ...pass, totalMs: pass.signalsMs + pass.walkForwardMs + pass.lifecycleMs });
  }
  const best = [...passes].sort((a, b) => a.totalMs - b.totalMs)[0];
  if (best === undefined) throw new Error("no timed pass");
  const events = countEvents(history, books, span.from, span.to);
  const fastestLifecycle = Math.min(...passes.map((p) => p.lifecycleMs));
  return {
    events, span, decisionTimes: best.decisionTimes, trades: best.trades,
    best: { signalsMs: best.signalsMs, walkForwardMs: best.walkForwardMs, lifecycleMs: best.lifecycleMs, totalMs: best.totalMs },
    passes: passes.map((p) => p.totalMs),
    eventsPerSecond: events.total / (best.totalMs / 1000),
    lifecycleEventsPerSecond: best.tradingEvents / (fastestLifecycle / 1000),
  };
}

function timeChild(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(process.execPath, ["--import", "tsx", ...args], { cwd: repo, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error !== null) reject(new Error(`${args.join(" ")} failed: ${stderr.slice(-500)}`));
      else resolve(performance.now() - started);
    });
  });
}

export interface WalkForwardWallTimes {
  readonly from: string;
  readonly to: string;
  /** Best of `runs`, each a fresh process as an operator starts it. */
  readonly backtestMs: number;
  readonly signalsReportMs: number;
  readonly runs: number;
}

/**
 * The four-year walk-forward as the operator runs it, each a child process: `npm run backtest`
 * (method, funding alone, 100 random-entry runs each, bootstraps, report, chart) and `npm run
 * signals:report` on the same coin and span, measured as it is.
 */
export async function benchWalkForwardWallTimes(options: { runs: number; from?: string; to?: string }): Promise<WalkForwardWallTimes> {
  const from = options.from ?? "2022-01-01";
  const to = options.to ?? "2026-01-01";
  const out = mkdtempSync(path.join(tmpdir(), "bench-backtest-"));
  try {
    const backtest: number[] = [];
    const report: number[] = [];
    for (let k = 0; k < options.runs; k++) {
      backtest.push(await timeChild(["scripts/backtest.ts", "--symbol", "BTC", "--from", from, "--to", to, "--profile", "aggressive", "--out", out]));
      report.push(await timeChild(["scripts/signals-report.ts", "--assets", "BTC", "--from", from, "--to", to]));
    }
    return { from, to, backtestMs: Math.min(...backtest), signalsReportMs: Math.min(...report), runs: options.runs };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
