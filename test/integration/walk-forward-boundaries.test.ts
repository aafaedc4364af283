import { describe, expect, it } from "vitest";
import { addMonths, calibrate, DEFAULT_CALIBRATION_PARAMS, horizonKey, monthStartOf, type CalibrationHorizon } from "../../src/core/calibration/calibrate";
import { DEFAULT_TRADING_COSTS, walkForward } from "../../src/core/calibration/walk-forward";
import { DEFAULT_ENGINE_PARAMS } from "../../src/core/signals/engine";
import { collectDecisionRows } from "../../src/history/backtest-decisions";
import { defaultReplaySpan, HOUR_MS, loadAssetHistory } from "../../src/history/replay";
import { historyKnownAt } from "../support/history-cut";

/**
 * The walk-forward's monthly fit sees nothing of its month (issue 10, point 4), on the real BTC
 * history and the backtest's own pipeline (replay → engine streams → `calibrate`, the live
 * monthly job's code): the weights fitted for month M from the full history must equal those
 * fitted from the history as it stood just before M (candles closed by M, funding prints stamped
 * strictly before M — not even the 00:00 print of the 1st). Decisions every 4 hours put samples
 * whose 8 h and 12 h horizons cross M into the window, with labels in the full history, so the
 * trap is reachable: a fit that took a sample whose horizon crosses M, or a label read from a
 * price at or after M, differs. (Broken by hand: `windowSamples` keeping `ts < monthStart`, and the
 * replay's exit candle read one hour later; both fail here.)
 */
const DAY_MS = 24 * HOUR_MS;
const HORIZONS: readonly CalibrationHorizon[] = [4, 8, 12];

describe("walk-forward fits at the month boundary", () => {
  const btc = loadAssetHistory("BTC");
  const span = defaultReplaySpan(btc);
  // Three months spread over the history, each with a full 90-day window before it.
  const months = [0.3, 0.55, 0.8].map((f) => addMonths(monthStartOf(span.from + f * (span.to - span.from)), 1));

  for (const month of months) {
    it(`${new Date(month).toISOString().slice(0, 7)}: the fit from the full history equals the fit from the history known before the month`, () => {
      const from = month - 92 * DAY_MS;
      const full = collectDecisionRows(btc, { from, to: month + 3 * DAY_MS, stepHours: 4 });
      const before = collectDecisionRows(historyKnownAt(btc, month, { printsAtCut: "excluded" }), { from, to: month - 1, stepHours: 4 });
      let crossingWithLabel = 0;
      for (const horizonHours of HORIZONS) {
        const params = { ...DEFAULT_CALIBRATION_PARAMS, horizonHours };
        const fromFull = calibrate(full, month, params);
        expect(calibrate(before, month, params), `h${horizonHours}`).toEqual(fromFull);
        // Not vacuous: streams were measured, not all left at the prior.
        expect(fromFull.inSample["funding-anomaly"]?.fired ?? 0).toBeGreaterThan(params.minFired);
        const key = horizonKey(horizonHours);
        crossingWithLabel += full.filter((r) => r.ts < month && r.ts + horizonHours * HOUR_MS > month && r.forwardReturns[key] !== null
          && r.streams.some((s) => s.available && s.confirms !== "neutral")).length;
      }
      // The trap is reachable: fired samples whose horizon crosses the month start carry a label in the full history.
      expect(crossingWithLabel).toBeGreaterThan(0);

      // And the walk-forward itself fits its first month exactly so.
      const wf = walkForward(full, { calibration: DEFAULT_CALIBRATION_PARAMS, ensemble: DEFAULT_ENGINE_PARAMS.ensemble, costs: DEFAULT_TRADING_COSTS });
      expect(wf.months[0]?.monthStart).toBe(month);
      expect(wf.months[0]?.weightSet).toEqual(calibrate(before, month, DEFAULT_CALIBRATION_PARAMS));
    });
  }
});
