import { describe, expect, it } from "vitest";
import type { Closed, TradeState } from "../../src/core/trading/types";
import { runBacktest, type BacktestOptions, type BacktestRun, type TradedVariant } from "../../src/history/backtest";
import { loadRecordedBooks, type RecordedBooks } from "../../src/history/recorded-books";
import { HOUR_MS, loadAssetHistory, type AssetHistory } from "../../src/history/replay";
import { sharedDataDir } from "../../src/history/shared-data";

/**
 * No lookahead over whole runs (issue 10, point 5): the backtest run on the history as it stood at
 * a cut date C makes exactly the decisions, and enters exactly the trades, that the run on the
 * whole history makes before C. The DATA is cut, not the output: the cut run gets the same
 * options and sees only candles closed by C, funding prints settled by C and books stamped by C.
 *
 * BTC (seven venues' funding, spot, the Binance perp), decisions over 2022-01 .. 2022-09 with the
 * monthly walk-forward refits (the first fit in December 2021), the method (aggressive) and the
 * funding stream alone (many more trades). Cut points: month starts (a refit instant), funding
 * settlement instants and 1 ms either side, 1 ms after fired decisions (the tightest edge a
 * decision has), and instants inside open trades.
 *
 * What must agree before C: every fired decision (time, side, score, confidence, confirming
 * streams, weight set, horizon, regime); the proposal terms of every decision before C; every
 * skipped decision whose entry candle closed by C;
 * every trade closed by C, entirely; every trade entered on a candle closed by C, in its entry
 * (terms, fill time, price, quantity, stop, take-profit, liquidation) — one still open at C may
 * differ in its exit only; the equity curve up to C.
 */
const dir = sharedDataDir();
const full = loadAssetHistory("BTC", dir);
const allBooks = loadRecordedBooks("BTC", dir);
const at = (iso: string): number => Date.parse(iso);
const OPTIONS: BacktestOptions = { coin: "BTC", from: at("2022-01-01T00:00:00Z"), to: at("2022-10-01T00:00:00Z"), profile: "aggressive", seed: 1, randomRuns: 0, bootstrapResamples: 10, dir };

/** What existed at `cut`: candles closed by then, prints settled at or before it, books stamped at or before it. */
function knownAt(history: AssetHistory<string>, cut: number): AssetHistory<string> {
  const closed = (c: { ts: number }): boolean => c.ts + HOUR_MS <= cut;
  return {
    ...history,
    perp: history.perp.filter(closed),
    spot: history.spot.filter(closed),
    funding: history.funding.map((f) => ({ ...f, prints: f.prints.filter((p) => p.ts <= cut) })),
  };
}
function booksKnownAt(books: RecordedBooks | null, cut: number): RecordedBooks | null {
  if (books === null) return null;
  return { ...books, bookAt: (ts) => { const b = books.bookAt(ts); return b !== null && b.ts <= cut ? b : null; } };
}

const runAt = (cut: number): BacktestRun => runBacktest({ ...OPTIONS, history: knownAt(full, cut), books: booksKnownAt(allBooks, cut) });
const whole = runBacktest({ ...OPTIONS, history: full, books: allBooks });

/** A trade's entry, as plain values (decimals as strings). */
function entryOf(trade: TradeState): Record<string, unknown> {
  if (!("position" in trade)) return { status: trade.status, terms: JSON.parse(JSON.stringify(trade.terms)) as unknown };
  const p = trade.position;
  return {
    terms: JSON.parse(JSON.stringify(trade.terms)) as unknown,
    entryTs: p.entryTs, entryPrice: p.entryPrice.toString(), quantity: p.quantity.toString(), stop: p.stopPrice.toString(),
    takeProfit: p.takeProfitPrice.toString(), liquidation: p.liquidationPrice.toString(),
  };
}
const plain = (trade: Closed): unknown => JSON.parse(JSON.stringify(trade)) as unknown;

function compareVariant(cut: number, cutRun: TradedVariant, wholeRun: TradedVariant): { decisions: number; entries: number; openAtCut: number } {
  const label = `${wholeRun.label}, cut at ${new Date(cut).toISOString()}`;
  const before = <T extends { ts: number }>(xs: readonly T[]): T[] => xs.filter((x) => x.ts < cut);
  expect(before(cutRun.signals), `${label}: fired decisions`).toEqual(before(wholeRun.signals));
  expect(before(cutRun.decisions), `${label}: traded decisions`).toEqual(before(wholeRun.decisions));

  const entryKnown = (ts: number): boolean => ts + HOUR_MS <= cut;
  const skipped = (v: TradedVariant): unknown[] => v.result.skipped.filter((s) => entryKnown(s.ts));
  expect(skipped(cutRun), `${label}: skipped decisions`).toEqual(skipped(wholeRun));

  // Trades the cut run closed: the whole run's first ones, to the last cent and stamp.
  const closed = cutRun.result.trades;
  expect(closed.map(plain), `${label}: closed trades`).toEqual(wholeRun.result.trades.slice(0, closed.length).map(plain));
  // None missing: every trade the whole run closed on a candle known at the cut.
  expect(closed.length, `${label}: trades closed by the cut`).toBeGreaterThanOrEqual(wholeRun.result.trades.filter((t) => t.closedAt + HOUR_MS <= cut).length);

  // Proposals: the terms of every decision made before the cut (sized, stopped and approved then),
  // even one whose entry candle had not closed by the cut (its order is still submitting there).
  const terms = (t: TradeState): unknown => JSON.parse(JSON.stringify(t.terms)) as unknown;
  const proposed = [...wholeRun.result.trades, ...(wholeRun.result.unfinished === null ? [] : [wholeRun.result.unfinished])].filter((t) => t.terms.createdAt < cut);
  const cutProposed = [...closed, ...(cutRun.result.unfinished === null ? [] : [cutRun.result.unfinished])].filter((t) => t.terms.createdAt < cut);
  expect(cutProposed.map(terms), `${label}: proposal terms`).toEqual(proposed.map(terms));

  // Entries: every trade the whole run entered on a candle closed by the cut.
  const wholeStates: TradeState[] = [...wholeRun.result.trades, ...(wholeRun.result.unfinished === null ? [] : [wholeRun.result.unfinished])];
  const cutStates: TradeState[] = [...closed, ...(cutRun.result.unfinished === null ? [] : [cutRun.result.unfinished])];
  const entered = wholeStates.filter((t) => "position" in t && entryKnown(t.position.entryTs));
  expect(cutStates.slice(0, entered.length).map(entryOf), `${label}: entries`).toEqual(entered.map(entryOf));

  const curve = (v: TradedVariant): unknown[] => v.result.equityCurve.filter((q) => q.ts <= cut);
  expect(curve(cutRun), `${label}: equity curve`).toEqual(curve(wholeRun));
  const open = cutRun.result.unfinished;
  return { decisions: before(cutRun.decisions).length, entries: entered.length, openAtCut: open !== null && "position" in open ? 1 : 0 };
}

/** Instants inside trades of the whole run (between entry and exit, off the hour). */
function insideTrades(v: TradedVariant, count: number): number[] {
  const long = v.result.trades.filter((t) => t.closedAt - t.position.entryTs >= 3 * HOUR_MS);
  const step = Math.max(1, Math.floor(long.length / count));
  return long.filter((_, k) => k % step === 0).slice(0, count).map((t) => t.position.entryTs + 2 * HOUR_MS + 17 * 60_000);
}

describe("a backtest cut at a date makes the same decisions and entries up to that date (BTC, 2022-01 .. 2022-09)", () => {
  it("the whole run trades in both variants, with several monthly refits", () => {
    expect(whole.method.decisions.length).toBeGreaterThanOrEqual(1);
    expect(whole.fundingAlone.decisions.length).toBeGreaterThan(20);
    expect(new Set(whole.fundingAlone.signals.map((s) => s.modelVersion)).size).toBeGreaterThanOrEqual(6);
  });

  const settlement = at("2022-06-15T08:00:00Z");
  const fired = whole.fundingAlone.signals;
  const cuts = [
    at("2022-03-01T00:00:00Z"), // a month start: a refit instant
    at("2022-07-01T00:00:00Z"),
    settlement - 1, settlement, settlement + 1, // a funding settlement and a decision time, ±1 ms
    ...[fired[5], fired[Math.floor(fired.length / 2)], fired.at(-3)].map((d) => (d?.ts ?? settlement) + 1), // just after a fired decision
    ...insideTrades(whole.fundingAlone, 3), // inside open trades
    ...(whole.method.result.trades[0] === undefined ? [] : [whole.method.result.trades[0].position.entryTs + 30 * 60_000]),
    at("2022-09-20T13:37:00Z"),
  ];

  it(`is identical before each of ${cuts.length} cut points, with trades open at some of them`, () => {
    expect(cuts.length).toBeGreaterThanOrEqual(12);
    let openAtCuts = 0;
    let compared = 0;
    for (const cut of cuts) {
      const run = runAt(cut);
      for (const [cutVariant, wholeVariant] of [[run.method, whole.method], [run.fundingAlone, whole.fundingAlone]] as const) {
        const seen = compareVariant(cut, cutVariant, wholeVariant);
        openAtCuts += seen.openAtCut;
        compared += seen.decisions + seen.entries;
      }
    }
    // The cuts inside trades found them open: the exits then differ, the entries did not.
    expect(openAtCuts).toBeGreaterThanOrEqual(3);
    expect(compared).toBeGreaterThan(100);
  }, 120_000);
});
