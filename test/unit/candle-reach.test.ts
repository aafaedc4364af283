import { describe, expect, it } from "vitest";
import { candleReachHours, DEFAULT_ENGINE_PARAMS, streamsFor, type EngineParams } from "../../src/core/signals/engine";
import { loadAssetHistory, replay } from "../../src/history/replay";

/**
 * The backtest's views hold only the bars the streams read (`candleReachHours`), not the month
 * the replay's index covers: every stream must decide exactly as with the month in view.
 */
describe("views cut to the streams' candle reach", () => {
  const btc = loadAssetHistory("BTC");
  const span = { from: Date.UTC(2021, 3, 1), to: Date.UTC(2021, 5, 1) };

  const compare = (engine: EngineParams, stepHours: number): number => {
    const full = [...replay(btc, { ...span, stepHours })];
    const cut = [...replay(btc, { ...span, stepHours, viewCandleHours: candleReachHours(engine) })];
    expect(cut.length).toBe(full.length);
    let available = 0;
    cut.forEach((step, i) => {
      const other = full[i];
      expect(step.perpIndex).toEqual(other?.perpIndex);
      expect(step.view.venues.find((v) => v.perpCandles.length > 0)?.perpCandles.length).toBeLessThan(400);
      const streams = streamsFor(step.view, engine);
      expect(streams).toEqual(streamsFor(other?.view ?? step.view, engine));
      available += streams.filter((s) => s.available && s.stream === "volume-divergence").length;
    });
    return available;
  };

  it("gives the same streams at every decision time, on and off the hour (a spot outage inside)", () => {
    expect(compare(DEFAULT_ENGINE_PARAMS, 0.75)).toBeGreaterThan(1_000);
  });

  it("funding prints cut to the stream's widest look-back decide as two weeks of them do (the stream re-scanning them)", () => {
    const rescan = { ...span, stepHours: 8, rollingFundingBaseline: null };
    const full = [...replay(btc, rescan)];
    const cut = [...replay(btc, { ...rescan, fundingLookbackHours: DEFAULT_ENGINE_PARAMS.fundingAnomaly.maxLookbackHours })];
    expect(cut.length).toBe(full.length);
    cut.forEach((step, i) => {
      expect(step.view.venues.some((v) => (v.funding?.history.length ?? 0) > 0)).toBe(true);
      expect(streamsFor(step.view, DEFAULT_ENGINE_PARAMS)).toEqual(streamsFor(full[i]?.view ?? step.view, DEFAULT_ENGINE_PARAMS));
    });
  });

  it("follows the parameters: a longer volume baseline is handed its longer reach", () => {
    const engine = { ...DEFAULT_ENGINE_PARAMS, volumeDivergence: { ...DEFAULT_ENGINE_PARAMS.volumeDivergence, baselineHours: 300 } };
    expect(candleReachHours(engine)).toBe(305);
    expect(compare(engine, 7)).toBeGreaterThan(100);
  });
});
