import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { computeSignal, DEFAULT_ENGINE_PARAMS, streamsFor } from "../../src/core/signals/engine";
import type { SymbolMarketView, TimedRate, VenueView } from "../../src/core/signals/types";

/**
 * Real Binance USDⓈ-M BTCUSDT funding prints (8-hourly since 2019-09). Read in place from the
 * shared data directory beside the repo; never copied in.
 */
const FILE = new URL("../../../shared/data/binance_spot_perp_1h/binance_usdm_BTCUSDT_funding.csv", import.meta.url);

function loadPrints(): TimedRate[] {
  // The file has CRLF line ends.
  const lines = readFileSync(FILE, "utf8").trim().split(/\r?\n/);
  if (lines[0] !== "ts_ms,time_utc,funding_rate") throw new Error(`unexpected header in ${FILE.pathname}: ${lines[0]}`);
  return lines.slice(1).map((line) => {
    const [ts, , rate] = line.split(",");
    const print = { ts: Number(ts), rate: Number(rate) };
    if (!Number.isFinite(print.ts) || !Number.isFinite(print.rate)) throw new Error(`bad line in ${FILE.pathname}: ${line}`);
    return print;
  });
}

const prints = loadPrints();

function at(i: number): TimedRate {
  const p = prints[i];
  if (p === undefined) throw new Error(`no print ${i}`);
  return p;
}

function venue(name: string, current: TimedRate, history: readonly TimedRate[]): VenueView {
  return { venue: name, price: 50_000, book: null, previousBook: null, perpVolume24h: null, perpCandles: [], spotCandles: [], funding: { current, intervalHours: 8, history } };
}

/** The view a backtest at print i sees: that print as the live rate, everything before as history. */
function viewAt(i: number, history: readonly TimedRate[] = prints.slice(0, i)): SymbolMarketView {
  const current = at(i);
  return { symbol: "BTC/USDT:USDT", ts: current.ts, venues: [venue("binanceusdm", current, history)] };
}

/** Each print's jump over the mean of its previous 6, largest first (computed once). */
const jumps: readonly { readonly i: number; readonly jump: number }[] = (() => {
  const out: { i: number; jump: number }[] = [];
  let window = 0;
  for (let i = 0; i < prints.length; i++) {
    if (i >= 6) out.push({ i, jump: at(i).rate - window / 6 });
    window += at(i).rate - (i >= 6 ? at(i - 6).rate : 0);
  }
  return out.sort((a, b) => b.jump - a.jump);
})();

/** Index of the print furthest above (sign 1) or below (sign -1) the mean of its previous 6. */
function biggestJump(sign: 1 | -1): number {
  const pick = sign === 1 ? jumps[0] : jumps.at(-1);
  if (pick === undefined) throw new Error("no prints");
  return pick.i;
}

/** The funding stream as the engine combines it: these views carry funding data only. */
function funding(view: SymbolMarketView) {
  const stream = streamsFor(view, DEFAULT_ENGINE_PARAMS).find((s) => s.stream === "funding-anomaly");
  if (stream === undefined) throw new Error("no funding stream");
  return stream;
}

describe("computeSignal on real Binance BTCUSDT funding", () => {
  it("has a plausible file (8-hourly prints, thousands of them)", () => {
    expect(prints.length).toBeGreaterThan(7000);
    const gaps = new Set(prints.slice(1).map((p, i) => p.ts - at(i).ts));
    expect([...gaps]).toEqual([8 * 3_600_000]);
  });

  it("fires short at the largest positive funding jump (crowded longs)", () => {
    // In this file: 2020-02-12 00:00 UTC, 0.30% against a ~0.081% average of the previous 6 (z ≈ 6.6).
    const i = biggestJump(1);
    expect(new Date(at(i).ts).toISOString()).toBe("2020-02-12T00:00:00.000Z");
    expect(at(i).rate).toBe(0.003);
    const stream = funding(viewAt(i));
    expect(stream.confirms).toBe("short");
    expect(stream.score).toBeLessThanOrEqual(-0.5);
    expect(stream.numbers["binanceusdm.z"]).toBeGreaterThan(1.5);
    expect(stream.summary).toContain("longs are crowded");
    // One stream is not a signal: the conservative profile wants three of the four to agree.
    const decision = computeSignal(viewAt(i));
    expect(decision.fired).toBe(false);
    expect(decision.direction).toBe("neutral");
    expect(decision.explanation).toMatch(/^No trade: 1 of 4 streams confirm a direction \(need 3\)/);
  });

  it("fires long at the largest negative funding jump (crowded shorts)", () => {
    // In this file: 2020-03-13 08:00 UTC (the March 2020 crash), -0.30%.
    const i = biggestJump(-1);
    expect(new Date(at(i).ts).toISOString()).toBe("2020-03-13T08:00:00.000Z");
    expect(at(i).rate).toBe(-0.003);
    const stream = funding(viewAt(i));
    expect(stream.confirms).toBe("long");
    expect(stream.score).toBeGreaterThanOrEqual(0.5);
  });

  it("fires short at each of the five largest positive jumps", () => {
    for (const { i } of jumps.slice(0, 5)) expect(funding(viewAt(i)).confirms, new Date(at(i).ts).toISOString()).toBe("short");
  });

  it("is neutral through a calm stretch of pinned 0.01% funding", () => {
    // Find the longest run of prints at exactly 0.0001 (in this file: ~4 weeks in mid-2020).
    let bestStart = 0;
    let bestLength = 0;
    for (let i = 0, run = 0; i < prints.length; i++) {
      run = at(i).rate === 0.0001 ? run + 1 : 0;
      if (run > bestLength) {
        bestLength = run;
        bestStart = i - run + 1;
      }
    }
    expect(bestLength).toBeGreaterThanOrEqual(30);
    // From the 7th print of the run on, the whole baseline is the run itself: z = 0.
    for (let i = bestStart + 6; i < bestStart + bestLength; i++) {
      const decision = computeSignal(viewAt(i));
      expect(decision.direction).toBe("neutral");
      expect(decision.fired).toBe(false);
      expect(funding(viewAt(i)).numbers["binanceusdm.z"]).toBe(0);
    }
  });

  it("is unavailable and neutral on the first prints, before six observations exist", () => {
    for (let i = 0; i < 6; i++) {
      const decision = computeSignal(viewAt(i));
      expect(decision.direction).toBe("neutral");
      expect(decision.streams[0]?.available).toBe(false);
    }
  });

  it("does not look ahead: truncated history, filtered full series and even the unfiltered full series agree", () => {
    // 200 consecutive prints from 2021-01-01 (the bull market, where decisions change often).
    const start = prints.findIndex((p) => p.ts >= Date.UTC(2021, 0, 1));
    expect(start).toBeGreaterThan(6);
    const seen = new Set<string>();
    for (let i = start; i < start + 200; i++) {
      const current = at(i);
      const truncated = computeSignal(viewAt(i, prints.slice(0, i)));
      const filtered = computeSignal(viewAt(i, prints.filter((p) => p.ts < current.ts)));
      expect(filtered, `print ${i}`).toEqual(truncated);
      // Handing the engine the future too (a bug upstream) must not change anything either.
      const everything = computeSignal(viewAt(i, prints));
      expect(everything, `print ${i}`).toEqual(truncated);
      seen.add(funding(viewAt(i, prints.slice(0, i))).confirms);
    }
    // The check is not vacuous: the stretch holds both firing and quiet moments.
    expect(seen.has("neutral")).toBe(true);
    expect(seen.has("short") || seen.has("long")).toBe(true);
  });
});

describe("computeSignal across venues", () => {
  const i = biggestJump(1);
  const current = at(i);
  const history = prints.slice(0, i);
  const calm = Array.from({ length: 6 }, (_, k) => ({ ts: current.ts - (6 - k) * 8 * 3_600_000, rate: 0.0001 }));

  it("still fires when a second venue is merely calm (no contradiction)", () => {
    const view: SymbolMarketView = {
      symbol: "BTC/USDT:USDT", ts: current.ts,
      venues: [venue("binanceusdm", current, history), venue("bybit", { ts: current.ts, rate: 0.0001 }, calm)],
    };
    const stream = funding(view);
    // binance score -1 (clamped), bybit 0 → combined -0.5, past the 0.3 threshold.
    expect(stream.score).toBeCloseTo(-0.5, 9);
    expect(stream.confirms).toBe("short");
  });

  it("does not fire when another venue says the opposite", () => {
    const view: SymbolMarketView = {
      symbol: "BTC/USDT:USDT", ts: current.ts,
      venues: [venue("binanceusdm", current, history), venue("bybit", { ts: current.ts, rate: -0.0005 }, calm)],
    };
    const decision = computeSignal(view);
    expect(decision.direction).toBe("neutral");
    expect(decision.confirming).toEqual([]);
  });

  it("ignores venues without funding and is neutral with none", () => {
    const noFunding: VenueView = { venue: "okx", price: 50_000, book: null, previousBook: null, perpVolume24h: null, perpCandles: [], spotCandles: [], funding: null };
    const withOne: SymbolMarketView = { symbol: "BTC/USDT:USDT", ts: current.ts, venues: [venue("binanceusdm", current, history), noFunding] };
    expect(funding(withOne).confirms).toBe("short");
    expect(funding(withOne).venue).toBe("binanceusdm");
    const none = computeSignal({ symbol: "BTC/USDT:USDT", ts: current.ts, venues: [noFunding] });
    expect(none.direction).toBe("neutral");
    expect(none.streams.map((s) => [s.stream, s.available])).toEqual([
      ["funding-anomaly", false], ["liquidation-walls", false], ["volume-divergence", false], ["book-imbalance", false],
    ]);
  });

  it("uses the conservative default profile", () => {
    expect(DEFAULT_ENGINE_PARAMS.ensemble.profile).toBe("conservative");
    expect(DEFAULT_ENGINE_PARAMS.fundingAnomaly.zThreshold).toBe(1.5);
    expect(DEFAULT_ENGINE_PARAMS.fundingAnomaly.windowHours).toBe(24);
  });
});
