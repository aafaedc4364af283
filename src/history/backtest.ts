import { buyAndHold, randomSides, type HoldResult } from "../core/backtest-baselines";
import {
  bootstrapInterval, DAY_MS, exposure, periodReturns, quantile, riskAdjusted, seedFrom, tradeMetrics, type BacktestTrade, type BootstrapInterval, type RiskAdjusted, type TradeMetrics,
} from "../core/backtest-metrics";
import { DEFAULT_CALIBRATION_PARAMS } from "../core/calibration/calibrate";
import { maxDrawdown } from "../core/metrics";
import { mean } from "../core/stats";
import type { RiskProfile } from "../core/signals/ensemble";
import type { MarketSpec } from "../core/trading/proposal-terms";
import type { ReplayDecision, ReplayResult } from "../core/trading/replay";
import { collectDecisionRows, walkForwardDecisions, type FiredDecision } from "./backtest-decisions";
import { BACKTEST_PARAMS, BACKTEST_STARTING_EQUITY, marketSpecFor, replayOnHistory, riskUnit, summarizeReplay, type LifecycleSummary } from "./lifecycle-backtest";
import { decisionTimes, defaultReplaySpan, findCoinFiles, HOUR_MS, loadAssetHistory, TRADING_VENUE, tradingVenueOf, type AssetHistory, type CoinFiles } from "./replay";
import { loadRecordedBooks, type RecordedBooks } from "./recorded-books";
import { sharedDataDir } from "./shared-data";

/**
 * `npm run backtest`: one coin, one period, one risk profile, as the method would have traded it.
 * History → the engine's streams → the walk-forward (monthly refit on the 90 days before each
 * month, the live job's `calibrate`) → its out-of-sample fired decisions → `replayTrades`, the
 * lifecycle core the live shell drives (sizing, stops, take-profit, liquidation, fees, slippage,
 * funding at the settlement stamps, drawdown rules). Beside it, the baselines, traded the same way.
 * Deterministic: no clock, no unseeded randomness; the same files and options give the same run.
 */
export interface BacktestOptions {
  readonly coin: string;
  /** First decision time (ms), inclusive; last, exclusive. */
  readonly from: number;
  readonly to: number;
  readonly profile: RiskProfile;
  /** Seeds the random baseline and the bootstrap. */
  readonly seed: number;
  /** Random-entry runs (seeds) for the random baseline. */
  readonly randomRuns: number;
  readonly bootstrapResamples?: number;
  readonly dir?: string;
  /**
   * The history to run on, instead of loading the coin's files from `dir` (which still name the
   * files in the report); with `books`, what a test hands in to run the same backtest on data cut at a date.
   */
  readonly history?: AssetHistory<string>;
  readonly books?: RecordedBooks | null;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface TradedVariant {
  readonly label: string;
  readonly decisions: readonly ReplayDecision[];
  /** The same decisions as the ensemble made them (score, confidence, confirming streams, weight set). */
  readonly signals: readonly FiredDecision[];
  readonly result: ReplayResult;
  readonly summary: LifecycleSummary;
  readonly trades: readonly BacktestTrade[];
  readonly metrics: TradeMetrics;
  readonly maxDrawdown: number;
  readonly finalEquity: number;
  readonly exposure: number;
  /** On daily returns of the hourly mark-to-market equity. */
  readonly riskAdjusted: RiskAdjusted;
  readonly winRateCi: BootstrapInterval;
  readonly expectancyCi: BootstrapInterval;
  readonly expectancyRCi: BootstrapInterval;
  /** The same decision times with random sides, under the same rules. */
  readonly random: RandomBaseline;
}

export interface RandomBaseline {
  readonly runs: number;
  /** Per run, then summarised: 2.5%, 50%, 97.5% across runs. */
  readonly winRate: readonly [number, number, number];
  readonly expectancy: readonly [number, number, number];
  readonly totalPnl: readonly [number, number, number];
  readonly maxDrawdown: readonly [number, number, number];
  /** Share of random runs whose total PnL was at least the method's: how often luck alone did as well. */
  readonly atLeastMethod: number;
  /** How run k is seeded: by coin, the variant's name, the seed and k only, so no other coin or variant changes it. */
  readonly seedRule: string;
}

export interface BacktestRun {
  readonly coin: string;
  readonly symbol: string;
  readonly from: number;
  readonly to: number;
  readonly profile: RiskProfile;
  readonly seed: number;
  /** The files read; null when the history was handed in (`--source db`). */
  readonly files: CoinFiles | null;
  /** Whose perp was traded and whose funding a held trade paid. */
  readonly tradingVenue: string;
  readonly market: MarketSpec;
  readonly marketDerived: boolean;
  /** Months the walk-forward traded (out of sample), first and last. */
  readonly months: readonly number[];
  readonly method: TradedVariant;
  readonly fundingAlone: TradedVariant;
  readonly hold: HoldResult | null;
  readonly holdRiskAdjusted: RiskAdjusted | null;
  /** Venues with funding in the period, and whether spot candles exist in it. */
  readonly venues: readonly string[];
  readonly spot: boolean;
  /** The venue's recorded books, when the data has any for the coin, and how many of the method's fills walked one. */
  readonly books: { readonly file: string; readonly from: number; readonly to: number; readonly snapshots: number; readonly methodFillsOnBook: number } | null;
}

/** Replay history from this long before `from`: the first walk-forward month needs 90 days of fit, and months start on the 1st. */
const WARM_UP_MS = (DEFAULT_CALIBRATION_PARAMS.windowDays + 33) * DAY_MS;

export function toBacktestTrades(result: ReplayResult): BacktestTrade[] {
  return result.trades.map((t) => ({
    entryTs: t.position.entryTs, exitTs: t.closedAt, pnl: t.realizedPnl.toNumber(), r: t.realizedPnl.div(riskUnit(t)).toNumber(),
    fees: t.position.fees.toNumber(), funding: t.position.funding.toNumber(),
  }));
}

interface Market {
  readonly history: AssetHistory<string>;
  readonly candles: AssetHistory<string>["perp"];
  readonly market: MarketSpec;
  readonly books: RecordedBooks | null;
}

const spread = (values: readonly number[]): [number, number, number] => {
  const sorted = [...values].sort((a, b) => a - b);
  return [quantile(sorted, 0.025), quantile(sorted, 0.5), quantile(sorted, 0.975)];
};

function randomBaseline(label: string, decisions: readonly ReplayDecision[], methodPnl: number, { history, candles, market, books }: Market, options: BacktestOptions, onRun: () => void): RandomBaseline {
  const runs: { winRate: number; expectancy: number; totalPnl: number; maxDrawdown: number }[] = [];
  const start = BACKTEST_STARTING_EQUITY.toNumber();
  // No decisions, nothing to randomise: an empty baseline, not a column of zeros.
  for (let k = 0; k < (decisions.length > 0 ? options.randomRuns : 0); k++) {
    const sides = randomSides(decisions, seedFrom(options.coin, label, "random-entries", options.seed, k));
    const result = replayOnHistory(history, sides, { candles, market, ...bookOption(books) });
    const m = tradeMetrics(toBacktestTrades(result));
    runs.push({ winRate: m.winRate, expectancy: m.expectancy, totalPnl: m.totalPnl, maxDrawdown: maxDrawdown([start, ...result.equityCurve.map((q) => q.equity)]) });
    onRun();
  }
  if (decisions.length === 0) for (let k = 0; k < options.randomRuns; k++) onRun();
  return {
    runs: runs.length, winRate: spread(runs.map((r) => r.winRate)), expectancy: spread(runs.map((r) => r.expectancy)),
    totalPnl: spread(runs.map((r) => r.totalPnl)), maxDrawdown: spread(runs.map((r) => r.maxDrawdown)),
    atLeastMethod: runs.length > 0 ? runs.filter((r) => r.totalPnl >= methodPnl).length / runs.length : Number.NaN,
    seedRule: `run k: seedFrom("${options.coin}", "${label}", "random-entries", ${options.seed}, k), FNV-1a of the parts joined by "|"`,
  };
}

const bookOption = (books: RecordedBooks | null): { bookAt?: RecordedBooks["bookAt"] } => (books === null ? {} : { bookAt: books.bookAt });

/** Entries and non-liquidation exits of `result` that filled at a time with a recorded book. */
function fillsOnBook(result: ReplayResult, books: RecordedBooks | null): number {
  if (books === null) return 0;
  const on = (ts: number): number => (books.bookAt(ts) === null ? 0 : 1);
  return result.trades.reduce((n, t) => n + on(t.position.entryTs) + (t.reason === "liquidation" ? 0 : on(t.closedAt)), 0);
}

function traded(label: string, decisions: readonly ReplayDecision[], signals: readonly FiredDecision[], where: Market, options: BacktestOptions, onRun: () => void): TradedVariant {
  const { history, candles, market, books } = where;
  const result = replayOnHistory(history, decisions, { candles, market, ...bookOption(books) });
  const trades = toBacktestTrades(result);
  const metrics = tradeMetrics(trades);
  const start = BACKTEST_STARTING_EQUITY.toNumber();
  const summary = summarizeReplay(decisions.length, result);
  const resamples = options.bootstrapResamples ?? 2_000;
  const boot = (what: string, values: readonly number[], stat: (xs: readonly number[]) => number): BootstrapInterval =>
    bootstrapInterval(values, stat, { seed: seedFrom(options.coin, label, what, options.seed), resamples });
  const winShare = (xs: readonly number[]): number => xs.filter((x) => x > 0).length / xs.length;
  return {
    label, decisions, signals, result, summary, trades, metrics,
    maxDrawdown: summary.maxDrawdown, finalEquity: summary.finalEquity,
    exposure: exposure(trades, options.from, options.to),
    riskAdjusted: riskAdjusted(periodReturns(result.equityCurve, start)),
    winRateCi: boot("win-rate", trades.map((t) => t.pnl), winShare),
    expectancyCi: boot("expectancy", trades.map((t) => t.pnl), mean),
    expectancyRCi: boot("expectancy-r", trades.map((t) => t.r), mean),
    random: randomBaseline(label, decisions, metrics.totalPnl, where, options, onRun),
  };
}

export function runBacktest(options: BacktestOptions): BacktestRun {
  const dir = options.dir ?? sharedDataDir();
  // A history handed in (the database, a test's cut) may be of a coin with no files at all.
  const files = options.history === undefined ? findCoinFiles(options.coin, dir) : null;
  const history = options.history ?? loadAssetHistory(options.coin, dir);
  const tradingVenue = tradingVenueOf(history);
  const span = defaultReplaySpan(history);
  if (options.from >= span.to || options.to <= span.from) {
    throw new Error(`${options.coin} history ${options.history === undefined ? `in ${dir} ` : ""}covers ${iso(span.from)} .. ${iso(span.to)}; the period ${iso(options.from)} .. ${iso(options.to)} lies outside it.`);
  }
  const progress = options.onProgress ?? (() => undefined);
  const replayFrom = Math.max(span.from, options.from - WARM_UP_MS);
  const total = decisionTimes(replayFrom, options.to, 8).length;
  let done = 0;
  const rows = collectDecisionRows(history, { from: replayFrom, to: options.to }, undefined, () => {
    done += 1;
    if (done % 64 === 0 || done === total) progress("signals", done, total);
  });
  const inPeriod = (d: ReplayDecision): boolean => d.ts >= options.from && d.ts < options.to;
  const method = walkForwardDecisions(rows, { profile: options.profile });
  const funding = walkForwardDecisions(rows, { profile: options.profile, streams: ["funding-anomaly"] });
  const candles = history.perp.filter((c) => c.ts >= options.from - HOUR_MS && c.ts + HOUR_MS <= options.to);
  const { spec: market, derived } = marketSpecFor(options.coin, candles[0]?.close ?? Number.NaN, tradingVenue);

  const steps = 2 * (options.randomRuns + 1);
  let runsDone = 0;
  const onRun = (): void => progress("trading", ++runsDone, steps);
  progress("trading", 0, steps);
  // Recorded books exist only as files, of Binance: another venue, or a history handed in without books, has none.
  const books = options.books !== undefined ? options.books : tradingVenue === TRADING_VENUE && options.history === undefined ? loadRecordedBooks(options.coin, dir) : null;
  const where: Market = { history, candles, market, books };
  const methodRun = traded("method", method.decisions.filter(inPeriod), method.fired.filter(inPeriod), where, options, onRun);
  onRun();
  const fundingRun = traded("funding-alone", funding.decisions.filter(inPeriod), funding.fired.filter(inPeriod), where, options, onRun);
  onRun();
  const hold = buyAndHold(candles, BACKTEST_STARTING_EQUITY.toNumber(), BACKTEST_PARAMS);
  const monthEnd = (m: number): number => {
    const d = new Date(m);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  };
  const months = method.walkForward.months.map((m) => m.monthStart).filter((m) => monthEnd(m) > options.from && m < options.to);
  return {
    coin: options.coin, symbol: history.symbol, from: options.from, to: options.to, profile: options.profile, seed: options.seed, files, tradingVenue, market, marketDerived: derived,
    months: months.length > 0 ? [months[0] ?? 0, months.at(-1) ?? 0] : [],
    method: methodRun, fundingAlone: fundingRun,
    hold, holdRiskAdjusted: hold === null ? null : riskAdjusted(periodReturns(hold.curve, BACKTEST_STARTING_EQUITY.toNumber())),
    venues: history.funding.filter((f) => f.prints.some((p) => p.ts >= options.from && p.ts < options.to)).map((f) => f.venue),
    spot: history.spot.some((c) => c.ts >= options.from && c.ts < options.to),
    books: books === null ? null : { file: books.file, from: books.from, to: books.to, snapshots: books.snapshots, methodFillsOnBook: fillsOnBook(methodRun.result, books) },
  };
}

const iso = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
