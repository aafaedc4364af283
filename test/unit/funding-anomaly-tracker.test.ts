import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, fundingAnomaly, type FundingAnomalyParams } from "../../src/core/signals/funding-anomaly";
import { FundingAnomalyTracker } from "../../src/core/signals/funding-anomaly-tracker";
import type { StreamResult, TimedRate } from "../../src/core/signals/types";

const DATA = new URL("../../../shared/data/", import.meta.url);

function prints(path: string, rateColumn: number): TimedRate[] {
  return readFileSync(new URL(path, DATA), "utf8")
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l !== "")
    .map((l) => l.split(","))
    .map((r) => ({ ts: Number(r[0]), rate: Number(r[rateColumn]) }));
}

const NUMBER = /-?\d+(?:\.\d+)?/g;

/**
 * The summaries print rounded numbers (z to 2 places, rates to 4). When the exact value sits on a
 * rounding tie (z = -0.735), the last bit of the mean decides the printed digit, for
 * fundingAnomaly as much as for the tracker. So: same words, numbers within one printed digit.
 */
function sameText(got: string, want: string): boolean {
  if (got.replace(NUMBER, "#") !== want.replace(NUMBER, "#")) return false;
  const gotNumbers = got.match(NUMBER) ?? [];
  const wantNumbers = want.match(NUMBER) ?? [];
  return wantNumbers.every((w, i) => {
    const g = gotNumbers[i] ?? "";
    const places = Math.max(w.split(".")[1]?.length ?? 0, g.split(".")[1]?.length ?? 0);
    return Math.abs(Number(g) - Number(w)) <= 10 ** -places * (1 + 1e-9);
  });
}

/**
 * The decision (availability, direction, sample count) must be identical; the floating-point
 * numbers agree to 1e-12 relative, except z, which is rounded to 4 places (ties again). Returns
 * what differs, so that a failure lists every print at once (and the loop stays fast).
 */
function differences(got: StreamResult, want: StreamResult): string[] {
  const problems: string[] = [];
  for (const key of ["stream", "venue", "available", "confirms"] as const) {
    if (got[key] !== want[key]) problems.push(`${key}: ${String(got[key])} vs ${String(want[key])}`);
  }
  if (Object.keys(got.numbers).join() !== Object.keys(want.numbers).join()) problems.push("numbers have different keys");
  for (const [key, value] of Object.entries({ ...want.numbers, score: want.score })) {
    const actual = key === "score" ? got.score : got.numbers[key];
    if (Object.is(actual, value)) continue; // also NaN / ±Infinity z when minStd is 0
    const tolerance = key === "z" ? 1e-4 + 1e-12 : 1e-12 * Math.abs(value);
    if (!(Math.abs((actual ?? Number.NaN) - value) <= tolerance)) problems.push(`${key}: ${actual} vs ${value}`);
  }
  if (!sameText(got.summary, want.summary)) problems.push(`"${got.summary}" vs "${want.summary}"`);
  return problems;
}

/**
 * Replays a whole file through the tracker and through fundingAnomaly with every earlier print.
 * fundingAnomaly never reads before current.ts − maxLookbackHours, so it is handed only the prints
 * from there on: the same baseline, and O(n) instead of O(n²) for the test.
 */
function replay(venue: string, series: readonly TimedRate[], intervalHours: number, params: FundingAnomalyParams = DEFAULT_FUNDING_ANOMALY_PARAMS): { triggered: number; textDiffers: number } {
  const tracker = new FundingAnomalyTracker(venue, params);
  let triggered = 0;
  let textDiffers = 0;
  let from = 0;
  const problems: string[] = [];
  for (let i = 0; i < series.length; i++) {
    const current = series[i]!;
    while (series[from]!.ts < current.ts - params.maxLookbackHours * 3_600_000) from++;
    const want = fundingAnomaly(venue, { current, intervalHours, history: series.slice(from, i) }, params);
    const got = tracker.next(current, intervalHours);
    problems.push(...differences(got, want).map((p) => `${venue} print ${i}: ${p}`));
    if (got.summary !== want.summary) textDiffers++;
    if (want.confirms !== "neutral") triggered++;
  }
  expect(problems).toEqual([]);
  return { triggered, textDiffers };
}

describe("FundingAnomalyTracker", () => {
  it("decides exactly like fundingAnomaly on every real Binance BTC funding print", () => {
    const series = prints("binance_spot_perp_1h/binance_usdm_BTCUSDT_funding.csv", 2);
    const { triggered, textDiffers } = replay("binanceusdm", series, 8);
    // The replay must exercise both branches, not just agree on "normal" everywhere.
    expect(triggered).toBeGreaterThan(700);
    // Rounding ties in the printed text are rare (3 of 7,323 prints when this was written).
    expect(textDiffers).toBeLessThan(10);
  });

  it("agrees on the hourly dYdX history and with non-default parameters", () => {
    // The first 4,000 hourly prints: full 24-print windows and sign flips near zero.
    const series = prints("funding_multi_exchange/BTC-USDT_dydx_funding.csv", 4).slice(0, 4_000);
    replay("dydx", series, 1);
    const eth = prints("binance_spot_perp_1h/binance_usdm_ETHUSDT_funding.csv", 2).slice(0, 2_000);
    replay("binanceusdm", eth, 8, { ...DEFAULT_FUNDING_ANOMALY_PARAMS, windowHours: 48, minSamples: 3, minStd: 0, maxLookbackHours: 72 });
  });

  it("scores a live rate without recording it, and is unavailable until minSamples", () => {
    const tracker = new FundingAnomalyTracker("okx");
    const t0 = Date.UTC(2025, 0, 1);
    for (let k = 0; k < 5; k++) tracker.record({ ts: t0 + k * 8 * 3_600_000, rate: 1e-4 });
    const live = { ts: t0 + 5 * 8 * 3_600_000, rate: 5e-4 };
    const early = tracker.score(live, 8);
    expect([early.available, early.numbers.samples]).toEqual([false, 5]);
    tracker.record({ ts: live.ts - 1, rate: 1e-4 });
    const scored = tracker.score(live, 8);
    expect([scored.available, scored.confirms]).toEqual([true, "short"]);
    // Scoring did not record the live rate: scoring it again gives the same answer.
    expect(tracker.score(live, 8)).toEqual(scored);
  });

  it("fires on the exact 1.5σ tie like fundingAnomaly (pinned 0.01%, std floor, 0.0175%)", () => {
    const t0 = Date.UTC(2025, 0, 1);
    const history = Array.from({ length: 6 }, (_, k) => ({ ts: t0 + k * 8 * 3_600_000, rate: 0.0001 }));
    const current = { ts: t0 + 6 * 8 * 3_600_000, rate: 0.000175 };
    const tracker = new FundingAnomalyTracker("binanceusdm");
    for (const p of history) tracker.record(p);
    const want = fundingAnomaly("binanceusdm", { current, intervalHours: 8, history });
    expect(want.confirms).toBe("short");
    expect(differences(tracker.score(current, 8), want)).toEqual([]);
  });
});
