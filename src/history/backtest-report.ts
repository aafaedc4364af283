import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { BACKTEST_PARAMS, BACKTEST_STARTING_EQUITY } from "./lifecycle-backtest";
import type { BacktestRun, RandomBaseline, TradedVariant } from "./backtest";

/**
 * What `npm run backtest` writes: trades.csv (the method's closed trades), metrics.json (every
 * figure, its definition, the assumptions and the provenance) and report.md (the same side by
 * side with the baselines, plus the equity chart). Everything here is a function of the run and
 * the provenance, with no clock in it: the same inputs and seed give byte-identical files. The
 * wall time and the moment of the run go to the terminal only.
 */
export const PUBLISHED_BASELINE = { trades: 847, winRate: 0.58, rewardToRisk: 1.47, source: "the method's own published backtest (DESIGN.md §1); no data or code published with it" } as const;

export const SLIPPAGE_MODEL =
  "Every order fills through the paper broker's own fill (paperOrderFill, src/core/trading/paper-fill.ts), as paper trading would have filled it. " +
  "Where a book was recorded on the venue at most 5 s before the fill (../shared/data holds about six minutes of Binance BTC perp books, 2024-08-08 23:54 .. 2024-08-09 00:00 UTC), the order walks that book level by level. " +
  `Everywhere else — nearly every fill — the model is the candle price the order meets, moved a fixed ${BACKTEST_PARAMS.slippageBps} bp against the order: ` +
  "entries at the open of the candle after the decision, exits at the stop or take-profit level when a candle passes through it (at the open when it gaps past), at the horizon candle's close otherwise. " +
  `Then the ${BACKTEST_PARAMS.takerFeeBps} bp taker fee on the filled notional. A liquidation is the venue's, not an order: at the liquidation price, taker fee, no slippage. ` +
  "The same rate for every coin: an alt's real spread and impact are likely larger, so its figures are, if anything, flattering.";

export interface Provenance {
  /** `git rev-parse HEAD`, or the package version when git is not there. */
  readonly codeVersion: string;
  /** Files read, relative to the data folder, with their sha256 (or, from the database, each series read and a digest of its rows). */
  readonly dataFiles: readonly { readonly file: string; readonly bytes: number; readonly sha256: string }[];
  /** What `dataFiles` lists, when not files of ../shared/data. */
  readonly dataSource?: string;
  readonly command: string;
}

export function fileDigests(paths: readonly string[], dir: string): Provenance["dataFiles"] {
  return paths.map((p) => {
    const bytes = readFileSync(p);
    return { file: path.relative(dir, p), bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  });
}

const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const time = (ts: number): string => new Date(ts).toISOString().replace(".000Z", "Z");
const fixed = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const pct = (x: number, digits = 1): string => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : "–");
const interval = (low: number, high: number, f: (x: number) => string): string => (Number.isFinite(low) ? `[${f(low)}, ${f(high)}]` : "");
const triple = (t: readonly [number, number, number], f: (x: number) => string): string => (Number.isFinite(t[1]) ? `${f(t[1])} [${f(t[0])}, ${f(t[2])}]` : "–");

/** The closed trades of the method and of the funding-stream-alone baseline, one row each, `variant` saying which. */
export function tradesCsv(run: BacktestRun): string {
  const lines = ["variant,n,decision_time,entry_time,exit_time,side,horizon_h,leverage,quantity,entry_price,stop_price,take_profit_price,exit_price,exit_reason,fees,funding,pnl,r"];
  for (const v of [run.method, run.fundingAlone]) {
    v.result.trades.forEach((t, i) => {
      lines.push([
        v.label, i + 1, time(t.terms.createdAt), time(t.position.entryTs), time(t.closedAt), t.terms.side, t.terms.horizonHours, t.terms.leverage,
        t.position.quantity.toString(), t.position.entryPrice.toString(), t.position.stopPrice, t.position.takeProfitPrice, t.exit.avgPrice?.toString() ?? "",
        t.reason, t.position.fees.toString(), t.position.funding.toString(), t.realizedPnl.toString(), v.trades[i]?.r ?? Number.NaN,
      ].join(","));
    });
  }
  return `${lines.join("\n")}\n`;
}

/** JSON has no NaN or Infinity: a figure that is not defined (no trades, no losses) is null. */
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

function randomJson(r: RandomBaseline): object {
  const q = (t: readonly [number, number, number]): object => ({ p2_5: num(t[0]), median: num(t[1]), p97_5: num(t[2]) });
  return { runs: r.runs, winRate: q(r.winRate), expectancy: q(r.expectancy), totalPnl: q(r.totalPnl), maxDrawdown: q(r.maxDrawdown), shareAtLeastAsGood: num(r.atLeastMethod), seeds: r.seedRule };
}

function variantJson(v: TradedVariant): object {
  const m = v.metrics;
  const ci = (c: TradedVariant["winRateCi"]): object => ({ low: num(c.low), high: num(c.high) });
  return {
    decisions: v.decisions.length, trades: m.trades, stillOpenAtEnd: v.summary.taken - v.summary.closed, skipped: v.summary.skipped,
    skippedBy: Object.fromEntries([...v.summary.skippedBy].sort()), exits: Object.fromEntries([...v.summary.exits].sort()),
    wins: m.wins, losses: m.losses, winRate: num(m.trades > 0 ? m.winRate : Number.NaN), winRateCi95: ci(v.winRateCi),
    averageWin: num(m.wins > 0 ? m.averageWin : Number.NaN), averageLoss: num(m.losses > 0 ? m.averageLoss : Number.NaN),
    rewardToRisk: num(m.wins > 0 && m.losses > 0 ? m.rewardToRisk : Number.NaN),
    expectancy: num(m.trades > 0 ? m.expectancy : Number.NaN), expectancyCi95: ci(v.expectancyCi),
    expectancyR: num(m.expectancyR), expectancyRCi95: ci(v.expectancyRCi),
    profitFactor: num(m.profitFactor), totalPnl: m.totalPnl, finalEquity: v.finalEquity, maxDrawdown: v.maxDrawdown,
    sharpe: num(v.riskAdjusted.sharpe), sortino: num(v.riskAdjusted.sortino), exposure: v.exposure,
    fees: m.fees, fundingReceived: m.fundingReceived, fundingPaid: m.fundingPaid,
    sizeHalvings: v.summary.sizeHalvings, pauses: v.summary.pauses, tradesAtHalfSize: v.summary.tradesAtHalfSize,
    randomEntries: randomJson(v.random),
  };
}

export const DEFINITIONS = {
  win: "a closed trade with realized PnL > 0 after fees, slippage and funding; trades still open at the end are not counted",
  R: "1 R = the planned loss at the stop before costs, |entry − stop| × quantity",
  rewardToRisk: "average win / average loss (quote currency)",
  profitFactor: "gross profit / gross loss",
  maxDrawdown: "largest fall of the hourly mark-to-market equity from its running peak, as a fraction of the peak",
  sharpe: "daily returns of the hourly mark-to-market equity (last equity of each UTC day over the previous day's; the first over the starting equity), mean / sample standard deviation × √365, risk-free rate 0",
  sortino: "the same daily returns, mean / downside deviation × √365, downside deviation = √(mean of min(r, 0)²) over all days, target 0",
  exposure: "share of the period with a position open",
  funding: "per trade, the net of its settlements; fundingReceived sums the trades that received net, fundingPaid those that paid (positive)",
  bootstrap: "95% percentile bootstrap over the closed trades, resampled with replacement from a generator seeded by coin, variant, figure and --seed",
  randomEntries: "the variant's own decision times, horizons and regimes with each side a seeded coin flip, traded the same way; median and 2.5–97.5% across runs; shareAtLeastAsGood = runs with total PnL ≥ the variant's",
  null: "not defined (no trades, no losses, no variation)",
};

export function metricsJson(run: BacktestRun, provenance: Provenance, options: { randomRuns: number; bootstrapResamples: number }): string {
  const p = BACKTEST_PARAMS;
  const body = {
    backtest: { coin: run.coin, symbol: run.symbol, from: time(run.from), to: time(run.to), profile: run.profile, seed: run.seed, ...options, startingEquity: BACKTEST_STARTING_EQUITY.toNumber(), firstTradedMonth: run.months[0] === undefined ? null : day(run.months[0]).slice(0, 7), lastTradedMonth: run.months[1] === undefined ? null : day(run.months[1]).slice(0, 7) },
    method: variantJson(run.method),
    baselines: {
      published: PUBLISHED_BASELINE,
      fundingAlone: variantJson(run.fundingAlone),
      buyAndHold: run.hold === null ? null : {
        entryPrice: run.hold.entryPrice, exitPrice: run.hold.exitPrice, fees: run.hold.fees, totalPnl: run.hold.pnl, totalReturn: run.hold.totalReturn, finalEquity: run.hold.finalEquity,
        maxDrawdown: run.hold.maxDrawdown, sharpe: num(run.holdRiskAdjusted?.sharpe ?? Number.NaN), sortino: num(run.holdRiskAdjusted?.sortino ?? Number.NaN),
      },
    },
    definitions: DEFINITIONS,
    assumptions: {
      takerFeeBps: p.takerFeeBps, slippageBps: p.slippageBps, slippageModel: SLIPPAGE_MODEL, risk: p.risk, rewardToRisk: p.rewardToRisk,
      market: run.market, marketSpec: run.marketDerived ? "derived from the first price (no exchangeInfo in the data): see marketSpecFor in src/history/lifecycle-backtest.ts" : "Binance's published filters",
      fundingVenues: run.venues, spotCandles: run.spot,
      orderBooks: run.books === null ? false : { file: run.books.file, from: time(run.books.from), to: time(run.books.to), snapshots: run.books.snapshots, methodFillsOnRecordedBook: run.books.methodFillsOnBook },
    },
    provenance,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

function rows(run: BacktestRun): string[][] {
  const m = run.method;
  const f = run.fundingAlone;
  const h = run.hold;
  const usd = (x: number): string => fixed(x, 2);
  const traded = (v: TradedVariant, pick: (v: TradedVariant) => string): string => (v.metrics.trades > 0 ? pick(v) : "–");
  const ci = (c: TradedVariant["winRateCi"], f: (x: number) => string): string => interval(c.low, c.high, f);
  const both = (pick: (v: TradedVariant) => string): [string, string] => [traded(m, pick), traded(f, pick)];
  const random = (pick: (r: RandomBaseline) => string): [string, string] => [m, f].map((v) => (v.random.runs > 0 ? pick(v.random) : "–")) as [string, string];
  const hold = (pick: (h: NonNullable<BacktestRun["hold"]>) => string): string => (h === null ? "–" : pick(h));
  const ra = run.holdRiskAdjusted;
  return [
    ["decisions / trades", `${m.decisions.length} / ${m.metrics.trades}`, `${f.decisions.length} / ${f.metrics.trades}`, ...random((r) => `${r.runs} runs`), "1 / 1", String(PUBLISHED_BASELINE.trades)],
    ["win rate [95% CI]", ...both((v) => `${pct(v.metrics.winRate)} ${ci(v.winRateCi, pct)}`), ...random((r) => triple(r.winRate, pct)), "", pct(PUBLISHED_BASELINE.winRate, 0)],
    ["average win / loss", ...both((v) => `${usd(v.metrics.averageWin)} / ${usd(v.metrics.averageLoss)}`), "", "", "", ""],
    ["reward-to-risk", ...both((v) => fixed(v.metrics.rewardToRisk)), "", "", "", String(PUBLISHED_BASELINE.rewardToRisk)],
    ["expectancy [95% CI]", ...both((v) => `${usd(v.metrics.expectancy)} ${ci(v.expectancyCi, usd)}`), ...random((r) => triple(r.expectancy, usd)), "", ""],
    ["expectancy (R) [95% CI]", ...both((v) => `${fixed(v.metrics.expectancyR, 3)} ${ci(v.expectancyRCi, (x) => fixed(x, 3))}`), "", "", "", ""],
    ["profit factor", ...both((v) => fixed(v.metrics.profitFactor)), "", "", "", ""],
    ["total PnL", usd(m.metrics.totalPnl), usd(f.metrics.totalPnl), ...random((r) => triple(r.totalPnl, usd)), hold((x) => usd(x.pnl)), ""],
    ["random runs with PnL ≥ the variant's", "", "", ...random((r) => pct(r.atLeastMethod, 0)), "", ""],
    ["final equity", usd(m.finalEquity), usd(f.finalEquity), "", "", hold((x) => usd(x.finalEquity)), ""],
    ["max drawdown", pct(m.maxDrawdown), pct(f.maxDrawdown), ...random((r) => triple(r.maxDrawdown, pct)), hold((x) => pct(x.maxDrawdown)), ""],
    ["Sharpe / Sortino (daily, √365)", `${fixed(m.riskAdjusted.sharpe)} / ${fixed(m.riskAdjusted.sortino)}`, `${fixed(f.riskAdjusted.sharpe)} / ${fixed(f.riskAdjusted.sortino)}`, "", "", ra === null ? "–" : `${fixed(ra.sharpe)} / ${fixed(ra.sortino)}`, ""],
    ["exposure", pct(m.exposure), pct(f.exposure), "", "", "100%", ""],
    ["fees", usd(m.metrics.fees), usd(f.metrics.fees), "", "", hold((x) => usd(x.fees)), ""],
    ["funding received / paid", `${usd(m.metrics.fundingReceived)} / ${usd(m.metrics.fundingPaid)}`, `${usd(f.metrics.fundingReceived)} / ${usd(f.metrics.fundingPaid)}`, "", "", "not costed", ""],
  ];
}

export const RESULT_HEADER = [
  "", "method (walk-forward, OOS)", "funding stream alone", "random sides, method's times: median [2.5%, 97.5%]", "random sides, funding's times", "buy and hold", "published",
];

export function markdownTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...body.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** The summary printed at the end of a run (markdown, readable as plain text). */
export function summaryTable(run: BacktestRun): string {
  return `Backtest ${run.symbol} ${day(run.from)} .. ${day(run.to)}, ${run.profile}, seed ${run.seed} (amounts in USDT, start ${BACKTEST_STARTING_EQUITY.toFixed(0)})\n\n${markdownTable(RESULT_HEADER, rows(run))}\n`;
}

export const EQUITY_IMAGE = "equity.png";

/**
 * report.md. `image` is the chart's file name beside it, or null when no chart could be drawn
 * (then a placeholder line says so, and why).
 */
/** How the report names the trading venue. */
const VENUE_NAMES: Readonly<Record<string, string>> = { binanceusdm: "Binance", bybit: "Bybit", okx: "OKX", bitget: "Bitget" };

export function reportMarkdown(run: BacktestRun, provenance: Provenance, image: { readonly file: string } | { readonly missing: string }): string {
  const p = BACKTEST_PARAMS;
  const risk = p.risk;
  const m = run.method;
  const venueName = VENUE_NAMES[run.tradingVenue] ?? run.tradingVenue;
  const out: string[] = [];
  out.push(`# Backtest: ${run.symbol}, ${day(run.from)} .. ${day(run.to)}, ${run.profile} profile`, "");
  out.push(
    `The method as it would have traded: the engine's streams at every 8-hourly decision time, weights refitted each month on the 90 days before it (the live monthly job's calibration), ` +
      `fired decisions of that month only traded through the lifecycle core the live bot runs (\`replayTrades\`). Every figure below is out of sample: no parameter was chosen by looking at these results. ` +
      `Traded months: ${run.months.length > 0 ? run.months.map((t) => day(t).slice(0, 7)).join(" .. ") : "none"}. Start ${BACKTEST_STARTING_EQUITY.toFixed(0)} USDT.`,
    "",
  );
  if (m.decisions.length === 0) out.push(`**The method fired no trade in this period** (the ${run.profile} profile needs ${run.profile === "conservative" ? 3 : 2} of the engine's 4 streams to confirm, each with a weight above zero from its own out-of-sample record; without order-book history at most three streams have data, two for a coin without spot candles). The funding-stream-alone column shows the one stream that does fire.`, "");
  out.push("## Results beside the baselines", "", markdownTable(RESULT_HEADER, rows(run)), "");
  out.push(
    `Random entries: the same decision times, horizons and regimes as each variant, with each side a seeded coin flip, ${m.random.runs} runs per variant. ` +
      "A variant whose PnL most random runs match or beat shows no edge from its directions. " +
      `The published figures come with no data or code; they are here for reference, not as something this run reproduces.`,
    "",
  );
  out.push("## Equity and drawdown (method)", "");
  out.push("file" in image ? `![Equity curve and drawdown of the method](${image.file})` : `_No chart: ${image.missing}_`, "");
  out.push("## Exits and skipped decisions", "");
  out.push(markdownTable(["variant", "stop-loss", "take-profit", "horizon", "liquidation", "still open at the end", "halved / paused", "skipped because"],
    [m, run.fundingAlone].map((v) => [v.label, ...(["stop-loss", "take-profit", "horizon", "liquidation"] as const).map((r) => String(v.summary.exits.get(r) ?? 0)),
      String(v.summary.taken - v.summary.closed), `${v.summary.sizeHalvings} / ${v.summary.pauses}`,
      [...v.summary.skippedBy].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${why} ${n}`).join("; ") || "–"])), "");
  out.push("## Assumptions", "");
  out.push(`- Risk: margin ${pct(risk.positionFraction, 0)} of equity at ${risk.leverage}x (cap ${risk.maxLeverage}x, ${risk.maxLeverageHighVol}x in the high-volatility regime), stop ${pct(risk.stopLossFraction, 0)} from entry, take-profit at ${p.rewardToRisk} × the stop distance, exit at the horizon otherwise; one trade at a time; half size from ${pct(risk.halveSizeDrawdown, 0)} below the equity peak, ${risk.pauseHours} h pause at ${pct(risk.pauseDrawdown, 0)}.`);
  out.push(`- Costs: ${SLIPPAGE_MODEL}`);
  out.push(`- Funding: the real ${venueName} prints at their settlement stamps while a position is held (venues with funding in the period: ${run.venues.join(", ") || "none"}; the signal reads them all, the trade pays ${venueName}'s).`);
  out.push(`- Market spec: ${run.marketDerived ? `**a default derived from the price** (no exchange filters for ${run.coin} in the data): ` : `${venueName}'s published filters: `}tick ${run.market.tickSize}, lot ${run.market.lotSize}, minimum ${run.market.minNotional} USDT, maintenance margin ${pct(run.market.maintenanceMarginRate, 2)}.`);
  out.push(`- Data: ${venueName} hourly perp candles${run.spot ? " and spot candles" : " (no spot candles for this coin in the period: the volume-divergence stream is unavailable)"}; no order books (the book streams are unavailable); candles are read adverse extreme first, so a candle touching both stop and take-profit counts as a stop.`);
  out.push("- Buy and hold: all equity at 1x at the first open, sold at the last close, same fee and slippage, no funding (held like spot).", "");
  out.push("## Definitions", "", ...Object.entries(DEFINITIONS).map(([k, v]) => `- ${k}: ${v}`), "");
  out.push("## Provenance", "");
  out.push(`- Code: ${provenance.codeVersion}`, `- Command: \`${provenance.command}\``, `- ${provenance.dataSource ?? "Data files (relative to ../shared/data)"}:`);
  for (const f of provenance.dataFiles) out.push(`  - ${f.file} (${f.bytes} bytes) sha256 ${f.sha256}`);
  out.push("", "Same inputs and seed give byte-identical trades.csv, metrics.json, report.md and chart; the time of the run is not written anywhere in them.", "");
  return out.join("\n");
}
