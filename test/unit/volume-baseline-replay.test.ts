import { describe, expect, it } from "vitest";
import { DEFAULT_ENGINE_PARAMS, streamsFor } from "../../src/core/signals/engine";
import type { Candle } from "../../src/core/signals/types";
import { DEFAULT_VOLUME_DIVERGENCE_PARAMS, volumeDivergence } from "../../src/core/signals/volume-divergence";
import { loadAssetHistory, replay } from "../../src/history/replay";
import { ReplayVolumeBaseline } from "../../src/history/volume-baseline-replay";

/**
 * The volume baseline a replay keeps (window ratios computed once per history) against the
 * stream computing it from the view's bars: the same results, number for number.
 */
const HOUR = 3_600_000;

describe("the replay's kept volume baseline", () => {
  const btc = loadAssetHistory("BTC");

  it("scores as the stream's own computation at every decision time, on and off the hour, through a spot outage", () => {
    const span = { from: Date.UTC(2021, 3, 10), to: Date.UTC(2021, 4, 10), stepHours: 0.75, viewCandleHours: 173 };
    const kept = [...replay(btc, span)];
    const computed = [...replay(btc, { ...span, volumeBaseline: null })];
    expect(kept.length).toBe(computed.length);
    let available = 0;
    kept.forEach((step, i) => {
      const trading = step.view.venues.find((v) => v.perpCandles.length > 0);
      expect(trading?.volumeBaseline).toBeDefined();
      const other = computed[i]?.view ?? step.view;
      expect(other.venues.some((v) => v.volumeBaseline !== undefined)).toBe(false);
      const streams = streamsFor(step.view, DEFAULT_ENGINE_PARAMS);
      expect(streams).toEqual(streamsFor(other, DEFAULT_ENGINE_PARAMS));
      if (streams[2]?.available === true) available++;
    });
    expect(available).toBeGreaterThan(800);
  });

  it("is ignored for other windows, and not kept for a view too short or bars off the hour", () => {
    const [step] = [...replay(btc, { from: Date.UTC(2022, 2, 1), to: Date.UTC(2022, 2, 1), viewCandleHours: 173 })];
    const venue = step?.view.venues.find((v) => v.volumeBaseline !== undefined);
    if (step === undefined || venue === undefined) throw new Error("no kept baseline on 2022-03-01");
    const wide = { ...DEFAULT_VOLUME_DIVERGENCE_PARAMS, baselineHours: 100 };
    const { volumeBaseline: _dropped, ...plain } = venue;
    expect(volumeDivergence(venue, step.ts, wide)).toEqual(volumeDivergence(plain, step.ts, wide));
    expect(volumeDivergence(venue, step.ts)).toEqual(volumeDivergence(plain, step.ts));

    const perp = btc.perp.slice(40_000, 40_400);
    const spot = btc.spot.filter((c) => c.ts >= (perp[0] as Candle).ts && c.ts <= (perp.at(-1) as Candle).ts);
    const at = (perp.at(-1) as Candle).ts + HOUR;
    const keeper = new ReplayVolumeBaseline(perp, spot, DEFAULT_VOLUME_DIVERGENCE_PARAMS);
    expect(keeper.at(at, at - 173 * HOUR)).toBeDefined();
    expect(keeper.at(at, at - 100 * HOUR)).toBeUndefined();
    const shifted = perp.map((c, i) => (i === 200 ? { ...c, ts: c.ts + 1_000 } : c));
    expect(new ReplayVolumeBaseline(shifted, spot, DEFAULT_VOLUME_DIVERGENCE_PARAMS).at(at, at - 173 * HOUR)).toBeUndefined();
  });
});
