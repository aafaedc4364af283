import { describe, expect, it } from "vitest";
import { maxDrawdown, summarize } from "../../src/core/metrics";

describe("summarize", () => {
  it("computes win rate, averages, reward-to-risk and expectancy", () => {
    // Wins 100, 200; losses −50, 0 (break-even counts as a loss), −50.
    const s = summarize([{ pnl: 100 }, { pnl: -50 }, { pnl: 200 }, { pnl: 0 }, { pnl: -50 }]);
    expect(s.trades).toBe(5);
    expect(s.wins).toBe(2);
    expect(s.losses).toBe(3);
    expect(s.winRate).toBeCloseTo(0.4, 12);
    expect(s.averageWin).toBeCloseTo(150, 12);
    expect(s.averageLoss).toBeCloseTo(100 / 3, 12); // |−100 / 3|
    expect(s.rewardToRisk).toBeCloseTo(4.5, 12); // 150 / 33.33
    expect(s.expectancy).toBeCloseTo(40, 12); // 200 / 5
    expect(s.totalPnl).toBeCloseTo(200, 12);
  });

  it("matches the seed's kind of figures: 58% wins at 1.47 R:R", () => {
    // 58 wins of 147 and 42 losses of 100 → expectancy (58·147 − 42·100) / 100 = 43.26
    const outcomes = [...Array.from({ length: 58 }, () => ({ pnl: 147 })), ...Array.from({ length: 42 }, () => ({ pnl: -100 }))];
    const s = summarize(outcomes);
    expect(s.winRate).toBeCloseTo(0.58, 12);
    expect(s.rewardToRisk).toBeCloseTo(1.47, 12);
    expect(s.expectancy).toBeCloseTo(43.26, 9);
  });

  it("is all zeros without trades and has no reward-to-risk without losses", () => {
    expect(summarize([])).toEqual({ trades: 0, wins: 0, losses: 0, winRate: 0, averageWin: 0, averageLoss: 0, rewardToRisk: 0, expectancy: 0, totalPnl: 0 });
    const onlyWins = summarize([{ pnl: 10 }, { pnl: 30 }]);
    expect(onlyWins.winRate).toBe(1);
    expect(onlyWins.averageLoss).toBe(0);
    expect(onlyWins.rewardToRisk).toBe(0);
    const onlyLosses = summarize([{ pnl: -10 }, { pnl: -30 }]);
    expect(onlyLosses.averageLoss).toBe(20);
    expect(onlyLosses.expectancy).toBe(-20);
  });
});

describe("maxDrawdown", () => {
  it("is the largest fall from a running peak", () => {
    // Peak 120 → 90 is 25%; peak 130 → 104 is 20%.
    expect(maxDrawdown([100, 120, 90, 130, 104])).toBeCloseTo(0.25, 12);
    expect(maxDrawdown([100, 110, 121])).toBe(0);
    expect(maxDrawdown([])).toBe(0);
    // A fall before any recovery still counts from the first value.
    expect(maxDrawdown([10_000, 9_000, 9_500])).toBeCloseTo(0.1, 12);
  });
});
