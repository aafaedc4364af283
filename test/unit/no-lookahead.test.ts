import { describe, expect, it } from "vitest";
import { volatilityRegime } from "../../src/core/risk/volatility-regime";
import { bookImbalance } from "../../src/core/signals/book-imbalance";
import { crossExchange } from "../../src/core/signals/cross-exchange";
import { DEFAULT_ENGINE_PARAMS, streamsFor } from "../../src/core/signals/engine";
import { decide, type Decision } from "../../src/core/signals/ensemble";
import { liquidationWalls } from "../../src/core/signals/liquidation-walls";
import { volumeDivergence } from "../../src/core/signals/volume-divergence";
import type { SymbolMarketView } from "../../src/core/signals/types";
import { defaultReplaySpan, HOUR_MS, loadAssetHistory, replay, TRADING_VENUE, type AssetHistory } from "../../src/history/replay";
import { historyKnownAt } from "../support/history-cut";

/**
 * No lookahead, end to end: a decision computed when the data stopped at time C must be exactly
 * the decision computed later on the full history. The history is cut at 50 points (what was
 * known at C: candles closed by C, prints settled by C), replayed over the 4 days before each
 * cut, and every decision and stream result compared with the full-data replay of the same days.
 * Any read past the decision time (a candle still open, a print not yet settled) shows up as a
 * difference at the steps nearest the cut.
 */
const DAY_MS = 24 * HOUR_MS;

interface Step {
  readonly ts: number;
  readonly view: unknown;
  readonly conservative: Decision;
  readonly aggressive: Decision;
  readonly direct: unknown;
  readonly cross: unknown;
  readonly regime: unknown;
}

/** Everything the engine and the report derive from one view. */
function decisions(history: AssetHistory, from: number, to: number): Step[] {
  return [...replay(history, { from, to })].map(({ ts, view }) => {
    const streams = streamsFor(view, DEFAULT_ENGINE_PARAMS);
    const trading = view.venues.find((v) => v.venue === TRADING_VENUE);
    return {
      ts,
      view: fingerprint(view),
      conservative: decide(streams, DEFAULT_ENGINE_PARAMS.ensemble),
      aggressive: decide(streams, { ...DEFAULT_ENGINE_PARAMS.ensemble, profile: "aggressive" }),
      // The Binance venue's streams directly too, not only folded across venues.
      direct: trading === undefined ? null : [liquidationWalls(trading, ts), volumeDivergence(trading, ts), bookImbalance(trading, ts)],
      cross: crossExchange(view),
      // The regime reads 31 days of candles (~1 ms a call): judged on the last day before the cut,
      // where reading past the decision time would show.
      regime: trading === undefined || ts < to - DAY_MS ? null : volatilityRegime(trading.perpCandles, ts),
    };
  });
}

/**
 * A view can only differ from the full-data one by what was added at its end (truncation removes
 * later rows), so lengths, bounds and last elements pin it down; a deep comparison of ~1,500
 * candles per view would dominate the test's run time.
 */
function fingerprint(view: SymbolMarketView): unknown {
  return view.venues.map((v) => ({
    venue: v.venue, price: v.price, perpVolume24h: v.perpVolume24h, book: v.book, previousBook: v.previousBook,
    perp: [v.perpCandles.length, v.perpCandles[0], v.perpCandles.at(-1)],
    spot: [v.spotCandles.length, v.spotCandles[0], v.spotCandles.at(-1)],
    funding: v.funding === null ? null : [v.funding.current, v.funding.intervalHours, v.funding.history.length, v.funding.history[0], v.funding.history.at(-1)],
  }));
}

function cutPoints(history: AssetHistory, count: number): number[] {
  const span = defaultReplaySpan(history);
  const first = span.from + 40 * DAY_MS;
  const step = Math.floor((span.to - first) / count / HOUR_MS) * HOUR_MS;
  // Cuts land on every hour of the day, not only on the decision grid: a decision at 08:00 must
  // not see the 08:00–12:59 data that a cut at 13:00 still holds.
  return Array.from({ length: count }, (_, i) => first + i * step + (i % 8) * HOUR_MS);
}

describe("no lookahead on the real history", () => {
  for (const asset of ["BTC", "ETH"] as const) {
    it(`${asset}: decisions at 25 cut points equal those computed on the full data`, () => {
      const full = loadAssetHistory(asset);
      let compared = 0;
      let confirmations = 0;
      for (const cut of cutPoints(full, 25)) {
        const from = cut - 4 * DAY_MS;
        const truncated = decisions(historyKnownAt(full, cut), from, cut);
        const complete = decisions(full, from, cut);
        expect(truncated.length).toBeGreaterThanOrEqual(12);
        expect(truncated, `cut at ${new Date(cut).toISOString()}`).toEqual(complete);
        compared += truncated.length;
        confirmations += truncated.reduce((n, d) => n + d.conservative.streams.filter((st) => st.confirms !== "neutral").length, 0);
      }
      expect(compared).toBeGreaterThanOrEqual(25 * 12);
      // Not a vacuous comparison of empty results: streams confirm directions in these ~300 decision times.
      expect(confirmations).toBeGreaterThan(10);
    });
  }
});
