import { seedFrom } from "../src/core/backtest-metrics";
import { seededRandom } from "../src/core/random";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULT_CALIBRATION_PARAMS, isHit, type HorizonKey } from "../src/core/calibration/calibrate";
import { beatsChance, hitRate, rateDifference, type HitRate } from "../src/core/calibration/hit-rate";
import { DEFAULT_TRADING_COSTS, type Evaluation } from "../src/core/calibration/walk-forward";
import { crossExchange, type CrossExchangeResult } from "../src/core/signals/cross-exchange";
import { DEFAULT_ENGINE_PARAMS } from "../src/core/signals/engine";
import { fundingAnomaly } from "../src/core/signals/funding-anomaly";
import type { RiskProfile } from "../src/core/signals/ensemble";
import type { Direction, StreamName } from "../src/core/signals/types";
import type { ReplayDecision } from "../src/core/trading/replay";
import { collectDecisionRows, walkForwardDecisions, type DecisionRow } from "../src/history/backtest-decisions";
import { BACKTEST_PARAMS, BACKTEST_STARTING_EQUITY, marketSpecFor, replayOnHistory, summarizeReplay, type LifecycleSummary } from "../src/history/lifecycle-backtest";
import { HORIZONS, loadAssetHistory, TRADING_VENUE, type AssetHistory } from "../src/history/replay";
import { ASSETS } from "../src/history/shared-data";

/**
 * `npm run signals:report`: every stream, the cross-exchange confirmation and the walk-forward
 * ensemble over real history in ../shared/data (BTC and ETH by default, any coin it holds with
 * `--assets`), with Wilson 95% intervals and costs. Prints markdown and writes
 * reports/signals-report.md (git-ignored). Options: `--from 2022-01-01 --to 2022-06-30 --assets BTC`
 * for a quick slice. The decision rows and the walk-forward are the backtest's own
 * (src/history/backtest-decisions.ts): the two reports cannot disagree on what was decided.
 */
interface Row extends DecisionRow {
  readonly cross: CrossExchangeResult;
  /** The funding stream on Binance alone: the engine folds all venues, which fires more often. */
  readonly binanceFunding: Direction;
}

const STREAM_NAMES: readonly StreamName[] = ["funding-anomaly", "liquidation-walls", "volume-divergence", "book-imbalance"];
const KEYS: readonly HorizonKey[] = HORIZONS.map((h) => `h${h}` as const);
const started = performance.now();

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const fromArg = option("from");
const toArg = option("to");
const assets: readonly string[] = option("assets")?.split(",").map((a) => a.trim().toUpperCase()).filter((a) => a !== "") ?? ASSETS;

/**
 * Seeded coin flips for the random-direction baseline, one stream of draws per asset and stream
 * (seeded by their names): a row's random column is the same whichever other assets or streams ran.
 */
function coin(asset: string, stream: string): () => Direction {
  const random = seededRandom(seedFrom("signals-report", asset, stream));
  return () => (random() < 0.5 ? "long" : "short");
}

const histories = new Map<string, AssetHistory<string>>();

/** The backtest's decision rows, plus what only this report looks at (cross-exchange, Binance's funding alone). */
function collect(asset: string): Row[] {
  const history = loadAssetHistory(asset);
  histories.set(asset, history);
  const extras: Pick<Row, "cross" | "binanceFunding">[] = [];
  const rows = collectDecisionRows(history, { ...(fromArg ? { from: Date.parse(fromArg) } : {}), ...(toArg ? { to: Date.parse(toArg) } : {}) }, DEFAULT_ENGINE_PARAMS, (step) => {
    const trading = step.view.venues.find((v) => v.venue === TRADING_VENUE);
    extras.push({
      cross: crossExchange(step.view, DEFAULT_ENGINE_PARAMS.crossExchange),
      binanceFunding: trading?.funding ? fundingAnomaly(TRADING_VENUE, trading.funding, DEFAULT_ENGINE_PARAMS.fundingAnomaly).confirms : "neutral",
    });
    if (extras.length % 500 === 0) process.stderr.write(`\r${asset}: ${extras.length} decision times, at ${new Date(step.ts).toISOString().slice(0, 10)}`);
  });
  process.stderr.write(`\r${asset}: ${rows.length} decision times replayed${" ".repeat(20)}\n`);
  if (rows.length === 0) {
    const first = history.perp[0]?.ts;
    const last = history.perp.at(-1)?.ts;
    process.stderr.write(`${asset}: no decision time in the range asked for; its perp candles span ${first === undefined ? "nothing" : `${date(first)} .. ${date(last ?? first)}`}.\n`);
  }
  return rows.map((row, i) => {
    const extra = extras[i];
    if (extra === undefined) throw new Error(`decision row ${i} of ${asset} has no replay step`);
    return { ...row, ...extra };
  });
}

const pct = (x: number, digits = 1): string => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : "–");
const pp = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} pp` : "–");
const bp = (x: number): string => (Number.isFinite(x) ? `${(x * 10_000).toFixed(1)} bp` : "–");
const rate = (r: HitRate): string => (r.total === 0 ? "– (0)" : `${pct(r.rate)} [${pct(r.ci.low, 0)}–${pct(r.ci.high, 0)}] n=${r.total}`);
const date = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

/** Hits of directional calls at one horizon; calls without a label are skipped. */
function score(calls: readonly { direction: Direction; row: Row }[], key: HorizonKey): HitRate {
  const labelled = calls.filter((c) => c.row.forwardReturns[key] !== null && c.direction !== "neutral");
  return hitRate(labelled.filter((c) => isHit(c.direction, c.row.forwardReturns[key] ?? 0)).length, labelled.length);
}

function upRate(rows: readonly Row[], key: HorizonKey): HitRate {
  return score(rows.map((row) => ({ direction: "long" as const, row })), key);
}

const out: string[] = [];
const print = (line = ""): void => void out.push(line);
const table = (header: readonly string[], body: readonly (readonly string[])[]): void => {
  print(`| ${header.join(" | ")} |`);
  print(`|${header.map(() => "---").join("|")}|`);
  for (const r of body) print(`| ${r.join(" | ")} |`);
  print();
};

const data = new Map<string, Row[]>(assets.map((a) => [a, collect(a)]));
const allRows = [...data.values()].flat();
const assetNames = assets.length <= 1 ? assets.join("") : `${assets.slice(0, -1).join(", ")} and ${assets.at(-1) ?? ""}`;

print(`# Signals report: real ${assetNames} history`);
print();
print(`Decision times every 8 h (00/08/16 UTC), ${[...data].map(([a, r]) => `${a} ${date(r[0]?.ts ?? 0)} .. ${date(r.at(-1)?.ts ?? 0)} (${r.length})`).join(", ")}.`);
print("No lookahead: settled funding prints up to the decision time (historical files hold settled prints, not the live predicted rate, so the \"current\" rate is the last settled print), candles closed by then, no order books.");
print("Hit = the perp moved the called way from the close at the decision time to the close h hours later. 95% Wilson intervals. Random = seeded coin flips at the same moments; up-rate = share of those moments followed by a rise (the hit rate of always-long).");
print();

print("## Summary: streams per asset");
print();
const summary: string[][] = [];
for (const [asset, rows] of data) {
  const calls = (pick: (r: Row) => Direction): { direction: Direction; row: Row }[] =>
    rows.flatMap((row) => (pick(row) === "neutral" ? [] : [{ direction: pick(row), row }]));
  const named = (name: StreamName) => (r: Row): Direction => {
    const s = r.streams.find((x) => x.stream === name);
    return s?.available === true ? s.confirms : "neutral";
  };
  const lines: [string, (r: Row) => Direction][] = [
    ...STREAM_NAMES.map((n): [string, (r: Row) => Direction] => [n, named(n)]),
    ["funding-anomaly (Binance only)", (r) => r.binanceFunding],
    ["cross-exchange (alone)", (r) => (r.cross.flagged ? r.cross.direction : "neutral")],
  ];
  for (const [name, pick] of lines) {
    const fired = calls(pick);
    const flip = coin(asset, name);
    const random = fired.map((c) => ({ direction: flip(), row: c.row }));
    const at8 = score(fired, "h8");
    summary.push([
      asset, name, String(fired.length), pct(fired.length / rows.length),
      ...KEYS.map((k) => rate(score(fired, k))),
      pct(score(random, "h8").rate), pct(upRate(fired.map((c) => c.row), "h8").rate),
      fired.length === 0 ? "no data" : beatsChance(at8) === "not significant" ? "no edge (n.s.)" : `${beatsChance(at8)} chance`,
    ]);
  }
  summary.push([asset, "(all decision times)", String(rows.length), "100%", ...KEYS.map((k) => `up ${pct(upRate(rows, k).rate)}`), "", "", "base rate"]);
}
table(["asset", "stream", "fires", "% of times", "4h hit", "8h hit", "12h hit", "random 8h", "up-rate 8h", "8h verdict"], summary);

print("## Cross-exchange confirmation of funding-anomaly signals");
print();
print("Funding-anomaly fires, at decision times where at least two venues had a fresh rate (2020–2023). \"With\" = the cross-exchange spread is flagged (> 0.05% between two venues, 8 h-equivalent) and points the same way. The seed claims such trades won ~23% more often.");
print();
const crossRows: string[][] = [];
for (const [label, rows] of data.size > 1 ? [...data, ["both", allRows] as const] : [...data]) {
  const fired = rows.flatMap((row) => {
    const f = row.streams.find((s) => s.stream === "funding-anomaly");
    return f?.available === true && f.confirms !== "neutral" && row.cross.available ? [{ direction: f.confirms, row }] : [];
  });
  const agree = fired.filter((c) => c.row.cross.flagged && c.row.cross.direction === c.direction);
  const rest = fired.filter((c) => !(c.row.cross.flagged && c.row.cross.direction === c.direction));
  for (const key of KEYS) {
    const a = score(agree, key);
    const b = score(rest, key);
    const d = rateDifference(a, b);
    // The seed's "+23%" read as a relative lift over the unconfirmed hit rate: is it inside the interval?
    const claimed = 0.23 * b.rate;
    const verdict = a.total === 0 || b.total === 0 ? "too few"
      : d.ci.low > 0 ? "significant gain" : d.ci.high < 0 ? "significantly worse"
      : d.ci.high < claimed ? `no edge; +23% (= ${pp(claimed)}) excluded` : "not significant";
    crossRows.push([label, key.slice(1) + "h", rate(a), rate(b), `${pp(d.difference)} [${pp(d.ci.low)}, ${pp(d.ci.high)}]`, pct(d.relativeLift), Number.isFinite(d.pValue) ? d.pValue.toFixed(3) : "–", verdict]);
  }
}
table(["asset", "horizon", "with confirmation", "without", "difference [95% CI]", "relative", "p", "verdict"], crossRows);
const flagged = allRows.filter((r) => r.cross.available && r.cross.flagged);
const pairs = new Map<string, number>();
for (const r of flagged) {
  const sorted = [...r.cross.perVenue].sort((a, b) => a.rate8h - b.rate8h);
  const pair = `${sorted.at(-1)?.venue ?? "?"} above ${sorted[0]?.venue ?? "?"}`;
  pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
}
const topPairs = [...pairs].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([pair, n]) => `${pair} ${pct(n / Math.max(1, flagged.length), 0)}`);
print(`The spread is flagged at ${pct(flagged.length / Math.max(1, allRows.filter((r) => r.cross.available).length))} of the decision times where it can be computed; widest pairs: ${topPairs.join(", ")}.`);
print();

print("## Walk-forward ensemble (8 h horizon, out of sample)");
print();
print(`Weights refitted monthly on the 90 days before each month (shrunk hit rate, prior weight ${DEFAULT_CALIBRATION_PARAMS.priorWeight} below ${DEFAULT_CALIBRATION_PARAMS.minFired} fires), then traded in that month only. Every fired decision is one trade held 8 h on the Binance perp; costs: taker fee ${DEFAULT_TRADING_COSTS.takerFeeBps} bp and slippage ${DEFAULT_TRADING_COSTS.slippageBps} bp per side, plus the real Binance funding prints settling during the hold. This measures the signal, not trading it: no stop, no sizing, overlapping holds allowed, no drawdown rules; the next section trades the same decisions with all of them.`);
print();
const wfRows: string[][] = [];
const evalCells = (e: Evaluation): string[] => [
  String(e.trades.length), rate(e.hitRate), bp(e.averageGross),
  `${bp(e.averageNet)} [${bp(e.averageNetCi.low)}, ${bp(e.averageNetCi.high)}]`, pct(e.netWinRate), pct(e.totalNet),
];
const variants: [string, RiskProfile, readonly StreamName[] | undefined][] = [
  ["engine, conservative (3 of 4)", "conservative", undefined],
  ["engine, aggressive (2 of 4)", "aggressive", undefined],
  ["funding stream alone", "conservative", ["funding-anomaly"]],
];
const regimeNotes: string[] = [];
/** Each variant's out-of-sample fired decisions, for the lifecycle section below. */
const oosDecisions: { asset: string; label: string; decisions: readonly ReplayDecision[] }[] = [];
for (const [asset, rows] of data) {
  for (const [label, profile, streams] of variants) {
    const { walkForward: wf, decisions } = walkForwardDecisions(rows, { profile, ...(streams === undefined ? {} : { streams }) });
    wfRows.push([asset, label, String(wf.months.length), ...evalCells(wf.outOfSample), rate(wf.inSample.hitRate)]);
    oosDecisions.push({ asset, label, decisions });
    if (profile === "conservative" && label.startsWith("engine")) {
      const last = wf.months.at(-1)?.weightSet;
      if (last) regimeNotes.push(`${asset}: latest engine weights (${last.version}): ${Object.entries(last.weights).map(([s, w]) => `${s} ${(w ?? 0).toFixed(2)}`).join(", ")}; prior for ${last.priors.join(", ") || "none"}.`);
    }
    if (label === "funding stream alone") {
      const byTs = new Map(rows.map((r) => [r.ts, r.regime]));
      const split = (regime: string): HitRate => {
        const t = wf.outOfSample.trades.filter((x) => byTs.get(x.ts) === regime);
        return hitRate(t.filter((x) => x.hit).length, t.length);
      };
      regimeNotes.push(`${asset}: out-of-sample funding trades in the high-volatility regime ${rate(split("high"))}, normal ${rate(split("normal"))}; high regime at ${pct(rows.filter((r) => r.regime === "high").length / rows.length)} of decision times.`);
    }
  }
}
table(["asset", "ensemble", "months", "OOS trades", "OOS hit [95% CI]", "avg gross", "avg net [95% CI]", "net win rate", "sum of net", "in-sample hit"], wfRows);
for (const note of regimeNotes) print(`- ${note}`);
print();

lifecycleSection();

print("## Streams lacking the data they need");
print();
const available = (name: StreamName): number => allRows.filter((r) => r.streams.find((s) => s.stream === name)?.available === true).length / Math.max(1, allRows.length);
print(`- book-imbalance (available ${pct(available("book-imbalance"))}): order books — no history before recording starts; prior weight.`);
print(`- liquidation-walls (available ${pct(available("liquidation-walls"))}): the wall part needs order books (no history before recording starts); only the candle-based liquidation-cluster part is measured here, and only on Binance.`);
print(`- volume-divergence (available ${pct(available("volume-divergence"))}): Binance spot and perp candles only (no other venue's volume history); spot outages leave gaps.`);
print(`- funding-anomaly (available ${pct(available("funding-anomaly"))}): settled prints stand in for the live predicted rate; seven venues 2020–2023, Binance alone before and after.`);
print("- cross-exchange: needs two venues, so only 2020–2023; other venues' volumes are unknown, so the average is equal-weighted, not volume-weighted.");
print("- No open-interest, long/short-ratio or liquidation history exists for any coin: liquidation levels are inferred from candles.");
print();
print(`Runtime ${((performance.now() - started) / 1000).toFixed(1)} s. Many cells are tested at once: a single "significant" cell among dozens is expected by chance.`);

/** The same out-of-sample decisions, traded through the one lifecycle core with every risk rule. */
function lifecycleSection(): void {
  const p = BACKTEST_PARAMS;
  const risk = p.risk;
  const usd = (x: { toFixed: (digits: number) => string }): string => x.toFixed(0);
  print("## As traded through the lifecycle (out of sample, with costs)");
  print();
  print(`The out-of-sample fired decisions of the walk-forward above (the same ones, same months, same weights), run through \`replayTrades\`: the one trade-lifecycle core the live queue shell drives. Start ${BACKTEST_STARTING_EQUITY.toFixed(0)} USDT per asset and variant; margin ${pct(risk.positionFraction, 0)} of equity at ${risk.leverage}x (cap ${risk.maxLeverage}x, ${risk.maxLeverageHighVol}x in the high-volatility regime); stop ${pct(risk.stopLossFraction, 0)} from entry, take-profit at ${p.rewardToRisk} × the stop distance, exit at the horizon otherwise, liquidation if reached; one trade at a time (a decision while a trade is open is skipped); drawdown rules: half size from ${pct(risk.halveSizeDrawdown, 0)} below the equity peak, ${risk.pauseHours} h pause at ${pct(risk.pauseDrawdown, 0)}. Entry at the open of the candle after the decision, taker ${p.takerFeeBps} bp + slippage ${p.slippageBps} bp per side, the real Binance funding prints while held. Candles: Binance USDⓈ-M hourly (trade prices; stops and liquidation are checked on them, adverse extreme first, so a candle touching both stop and take-profit counts as a stop). Market spec: ${[...histories].map(([a, h]) => {
    const { spec: m, derived } = marketSpecFor(a, h.perp[0]?.close ?? Number.NaN);
    return `${a} tick ${m.tickSize}, lot ${m.lotSize}, min ${m.minNotional} USDT, maintenance ${pct(m.maintenanceMarginRate, 1)} (${derived ? "derived from its first price: no published filters on file" : "Binance filters 2024–25"})`;
  }).join("; ")}.`);
  print("No lookahead: each decision is sized at the last candle closed by its time, with the account as of then; later candles only mark the open trade. None of these parameters was chosen by looking at these results; they are the product's defaults.");
  print("Win = realized PnL > 0 after fees, slippage and funding (95% Wilson interval). 1 R = the planned loss at the stop before costs (≈ 2% of notional ≈ 100 USDT at full size). Max drawdown is on the hourly mark-to-market equity.");
  print();
  const results: { asset: string; label: string; s: LifecycleSummary }[] = [];
  for (const { asset, label, decisions } of oosDecisions) {
    const history = histories.get(asset);
    if (history === undefined) continue;
    const result = replayOnHistory(history, decisions);
    results.push({ asset, label, s: summarizeReplay(decisions.length, result, BACKTEST_STARTING_EQUITY, risk) });
  }
  table(
    ["asset", "ensemble", "decisions", "taken", "skipped", "win rate [95% CI]", "avg win", "avg loss", "R:R achieved", "expectancy", "exp. (R)", "fees", "funding", "max DD", "final equity", "halved / paused"],
    results.map(({ asset, label, s }) => [
      asset, label, String(s.decisions), String(s.taken), String(s.skipped), rate(s.winRate), s.winRate.hits > 0 ? usd(s.averageWin) : "–", s.closed > s.winRate.hits ? `−${usd(s.averageLoss)}` : "–",
      Number.isFinite(s.rewardToRisk) ? s.rewardToRisk.toFixed(2) : "–", s.closed > 0 ? s.expectancy.toFixed(2) : "–", Number.isFinite(s.expectancyR) ? s.expectancyR.toFixed(3) : "–",
      usd(s.totalFees), usd(s.totalFunding), pct(s.maxDrawdown), usd(s.finalEquity), `${s.sizeHalvings} / ${s.pauses}`,
    ]),
  );
  table(
    ["asset", "ensemble", "stop-loss", "take-profit", "horizon", "liquidation", "still open", "trades at half size", "skipped because"],
    results.map(({ asset, label, s }) => [
      asset, label, ...(["stop-loss", "take-profit", "horizon", "liquidation"] as const).map((r) => String(s.exits.get(r) ?? 0)), String(s.taken - s.closed),
      String(s.tradesAtHalfSize), [...s.skippedBy].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${why} ${n}`).join("; ") || "–",
    ]),
  );
  print("Amounts in USDT; expectancy is per closed trade; fees include both legs; funding is net (negative = paid). These are the figures a trader running this method with these rules would have seen over the out-of-sample months, fees, slippage and funding included; they are not fitted to anything, and the intervals say how much of the win rate is noise.");
  const skipped = results.reduce((n, r) => n + r.s.skipped, 0);
  const busy = results.reduce((n, r) => n + (r.s.skippedBy.get("symbol busy (one trade at a time)") ?? 0), 0);
  print(`Skipped decisions: ${skipped} in all, ${busy} of them because a trade was still open.${busy === 0 ? " Decisions sit 8 h apart and a trade lasts at most its 8 h horizon (it closes at the candle close the next decision is made after), so one-trade-at-a-time never binds here; what differs from the walk-forward figures above is the stop, the take-profit, the sizing and the drawdown rules." : ""} Once size is halved it stays halved until the drawdown is back under ${pct(risk.halveSizeDrawdown / 2, 1)}, which is why many trades ran at half size.`);
  print();
  for (const { asset, label, s } of results) {
    process.stderr.write(`lifecycle ${asset} ${label}: ${s.taken} trades of ${s.decisions} decisions, win ${rate(s.winRate)}, expectancy ${s.expectancy.toFixed(2)} USDT (${s.expectancyR.toFixed(3)} R), final equity ${s.finalEquity.toFixed(0)}, max DD ${pct(s.maxDrawdown)}\n`);
  }
}

const text = out.join("\n");
process.stdout.write(`${text}\n`);
const reports = fileURLToPath(new URL("../reports/", import.meta.url));
mkdirSync(reports, { recursive: true });
writeFileSync(`${reports}signals-report.md`, `${text}\n`);
process.stderr.write(`Written to ${reports}signals-report.md\n`);
