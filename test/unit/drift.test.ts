import { describe, expect, it } from "vitest";
import {
  assessDrift, baselineFromWinRate, DEFAULT_DRIFT_PARAMS, monthFigures, shortfall, type DriftBaseline, type MonthFigures,
} from "../../src/core/calibration/drift";

/** The seed's published backtest: 58% wins at 1.47 reward-to-risk, its average loss taken as 1 R. */
const BASE: DriftBaseline = baselineFromWinRate({ source: "published", winRate: 0.58, rewardToRisk: 1.47 });

/** A month exactly at the baseline with 40 trades, changed by `over`. */
const month = (label: string, over: Partial<MonthFigures> = {}): MonthFigures => ({
  month: label, trades: 40, winRate: BASE.winRate, averageWinR: BASE.averageWinR, averageLossR: BASE.averageLossR, expectancyR: BASE.expectancyR, ...over,
});

/** The value of a figure `fraction` worse than the baseline (up for the average loss, down for the rest). */
const worse = (figure: keyof Omit<DriftBaseline, "source">, fraction: number): number =>
  figure === "averageLossR" ? BASE[figure] * (1 + fraction) : BASE[figure] * (1 - fraction);

describe("drift baseline", () => {
  it("derives average win, average loss and expectancy in R from a win rate and reward-to-risk", () => {
    expect(BASE.averageLossR).toBe(1);
    expect(BASE.averageWinR).toBe(1.47);
    expect(BASE.expectancyR).toBeCloseTo(0.58 * 1.47 - 0.42, 12); // 0.4326 R per trade
  });
});

describe("shortfall", () => {
  it("is (baseline − actual) / |baseline| where lower is worse, (actual − baseline) / |baseline| for the average loss", () => {
    expect(shortfall("winRate", 0.29, 0.58)).toBeCloseTo(0.5, 12);
    expect(shortfall("winRate", 0.87, 0.58)).toBeCloseTo(-0.5, 12); // better: negative
    expect(shortfall("averageLossR", 1.2, 1)).toBeCloseTo(0.2, 12); // a bigger loss is worse
    expect(shortfall("averageLossR", 0.8, 1)).toBeCloseTo(-0.2, 12);
    // A negative baseline expectancy: falling further below it is worse, by its size.
    expect(shortfall("expectancyR", -0.12, -0.1)).toBeCloseTo(0.2, 12);
  });

  it("is null with nothing to compare: no value that month, or a zero baseline", () => {
    expect(shortfall("averageWinR", null, 1.47)).toBeNull();
    expect(shortfall("expectancyR", 0.1, 0)).toBeNull();
  });
});

describe("month figures from results in R", () => {
  it("counts break-even as a loss and leaves an average unmeasured without a sample", () => {
    const m = monthFigures("2026-11", [1.5, -1, 0, 2.5]);
    expect(m).toMatchObject({ month: "2026-11", trades: 4, winRate: 0.5, averageWinR: 2, averageLossR: 0.5, expectancyR: 0.75 });
    expect(monthFigures("2026-11", [1, 2])).toMatchObject({ averageLossR: null, averageWinR: 1.5 });
    expect(monthFigures("2026-11", [])).toMatchObject({ trades: 0, winRate: 0, averageWinR: null, averageLossR: null, expectancyR: 0 });
  });
});

describe("the drift rule at its boundaries", () => {
  const figures = ["winRate", "averageWinR", "averageLossR", "expectancyR"] as const;

  it("exactly 10% worse in both months is not drift, for every figure", () => {
    for (const figure of figures) {
      const a = assessDrift([month("2026-10", { [figure]: worse(figure, 0.1) }), month("2026-11", { [figure]: worse(figure, 0.1) })], BASE);
      expect({ figure, action: a.action }).toEqual({ figure, action: "none" });
      expect(a.months[1]?.figures.find((f) => f.figure === figure)?.shortfall).toBeCloseTo(0.1, 9);
    }
  });

  it("10.01% worse in both months queues a recalibration, for every figure, naming it", () => {
    for (const figure of figures) {
      const a = assessDrift([month("2026-10", { [figure]: worse(figure, 0.1001) }), month("2026-11", { [figure]: worse(figure, 0.1001) })], BASE);
      expect({ figure, action: a.action }).toEqual({ figure, action: "recalibrate" });
      expect(a.recalibrate.map((t) => t.figure)).toEqual([figure]);
      expect(a.recalibrate[0]?.months.map((m) => m.month)).toEqual(["2026-10", "2026-11"]);
      expect(a.recalibrate[0]?.months[1]?.shortfall).toBeCloseTo(0.1001, 9);
      expect(a.retrain).toEqual([]);
    }
  });

  it("needs both months: only the latest, or only the one before, more than 10% worse is nothing", () => {
    const onlyLatest = assessDrift([month("2026-10"), month("2026-11", { winRate: worse("winRate", 0.14) })], BASE);
    const onlyBefore = assessDrift([month("2026-10", { winRate: worse("winRate", 0.14) }), month("2026-11")], BASE);
    expect(onlyLatest.action).toBe("none");
    expect(onlyBefore.action).toBe("none");
    // Two different figures in the two months are not one figure two months running.
    const different = assessDrift([month("2026-10", { winRate: worse("winRate", 0.12) }), month("2026-11", { averageWinR: worse("averageWinR", 0.12) })], BASE);
    expect(different.action).toBe("none");
    // With one month only there is no run at all.
    expect(assessDrift([month("2026-11", { winRate: worse("winRate", 0.12) })], BASE).action).toBe("none");
  });

  it("exactly 15% worse in the latest month is not a retrain; 15.01% is, on its own", () => {
    const at = assessDrift([month("2026-10"), month("2026-11", { expectancyR: worse("expectancyR", 0.15) })], BASE);
    expect(at.action).toBe("none");
    const over = assessDrift([month("2026-10"), month("2026-11", { expectancyR: worse("expectancyR", 0.1501) })], BASE);
    expect(over.action).toBe("retrain");
    expect(over.retrain.map((t) => t.figure)).toEqual(["expectancyR"]);
    expect(over.recalibrate).toEqual([]); // the month before was fine: no two-month run
    // Only the latest month counts for a retrain: 20% worse the month before, 12% now → recalibrate only.
    const earlier = assessDrift([month("2026-10", { winRate: worse("winRate", 0.2) }), month("2026-11", { winRate: worse("winRate", 0.12) })], BASE);
    expect(earlier.action).toBe("recalibrate");
    expect(earlier.retrain).toEqual([]);
  });

  it("a retrain month after a bad month calls for both (the shell queues the recalibration and the retrain notice)", () => {
    const both = assessDrift([month("2026-10", { winRate: worse("winRate", 0.11) }), month("2026-11", { winRate: worse("winRate", 0.2) })], BASE);
    expect(both.action).toBe("retrain");
    expect(both.recalibrate.map((t) => t.figure)).toEqual(["winRate"]);
    expect(both.retrain.map((t) => t.figure)).toEqual(["winRate"]);
  });

  it("a thin month (fewer than 30 trades) is not judged and breaks a run; 30 trades is enough", () => {
    const bad = { winRate: worse("winRate", 0.3) };
    const thinLatest = assessDrift([month("2026-10", bad), month("2026-11", { ...bad, trades: 29 })], BASE);
    expect(thinLatest.action).toBe("none");
    expect(thinLatest.months.map((m) => m.enoughData)).toEqual([true, false]);
    expect(thinLatest.months[1]?.figures[0]?.shortfall).toBeCloseTo(0.3, 9); // shown, not counted
    const thinBefore = assessDrift([month("2026-10", { ...bad, trades: 29 }), month("2026-11", bad)], BASE);
    expect(thinBefore.action).toBe("retrain"); // 30% in the judged latest month
    expect(thinBefore.recalibrate).toEqual([]); // but no two-month run across the thin month
    const enough = assessDrift([month("2026-10", { ...bad, trades: DEFAULT_DRIFT_PARAMS.minTrades }), month("2026-11", { ...bad, trades: 30 })], BASE);
    expect(enough.recalibrate.map((t) => t.figure)).toEqual(["winRate"]);
  });

  it("an average loss more than 10% bigger two months running drifts; a smaller one never does", () => {
    const bigger = assessDrift([month("2026-10", { averageLossR: 1.1001 }), month("2026-11", { averageLossR: 1.12 })], BASE);
    expect(bigger.recalibrate.map((t) => t.figure)).toEqual(["averageLossR"]);
    const smaller = assessDrift([month("2026-10", { averageLossR: 0.5 }), month("2026-11", { averageLossR: 0.5 })], BASE);
    expect(smaller.action).toBe("none");
  });

  it("a month without a win has no average win to compare; its win rate carries the drift", () => {
    const a = assessDrift([month("2026-10", { winRate: 0, averageWinR: null, expectancyR: -1 }), month("2026-11", { winRate: 0, averageWinR: null, expectancyR: -1 })], BASE);
    expect(a.recalibrate.map((t) => t.figure)).toEqual(["winRate", "expectancyR"]);
    expect(a.months[1]?.figures.find((f) => f.figure === "averageWinR")?.shortfall).toBeNull();
  });

  it("runs across a year boundary, and refuses months that are not consecutive", () => {
    const a = assessDrift([month("2026-12", { winRate: 0.5 }), month("2027-01", { winRate: 0.5 })], BASE);
    expect(a.action).toBe("recalibrate");
    expect(() => assessDrift([month("2026-11"), month("2027-01")], BASE)).toThrow(/consecutive, oldest first: 2026-11 then 2027-01/);
    expect(() => assessDrift([month("2027-01"), month("2026-12")], BASE)).toThrow(/consecutive/);
    expect(() => assessDrift([month("2026-13")], BASE)).toThrow(/"YYYY-MM"/);
  });
});
