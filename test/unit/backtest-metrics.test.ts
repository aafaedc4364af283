import { describe, expect, it } from "vitest";
import { buyAndHold, randomSides } from "../../src/core/backtest-baselines";
import { bootstrapInterval, exposure, periodReturns, quantile, riskAdjusted, seedFrom, tradeMetrics, type BacktestTrade } from "../../src/core/backtest-metrics";
import { mean } from "../../src/core/stats";

const H = 3_600_000;
const trade = (pnl: number, r: number, fees: number, funding: number, entryTs = 0, exitTs = H): BacktestTrade => ({ pnl, r, fees, funding, entryTs, exitTs });

describe("tradeMetrics on a hand-computed list", () => {
  const m = tradeMetrics([trade(100, 1, 5, 2), trade(-50, -0.5, 5, -1), trade(30, 0.3, 5, 0), trade(-20, -0.2, 5, -3)]);

  it("counts, averages, reward-to-risk, expectancy in quote and in R", () => {
    expect(m.trades).toBe(4);
    expect(m.wins).toBe(2);
    expect(m.winRate).toBe(0.5);
    expect(m.averageWin).toBe(65); // (100 + 30) / 2
    expect(m.averageLoss).toBe(35); // (50 + 20) / 2
    expect(m.rewardToRisk).toBeCloseTo(65 / 35, 12);
    expect(m.expectancy).toBe(15); // 60 / 4
    expect(m.expectancyR).toBeCloseTo(0.15, 12); // (1 − 0.5 + 0.3 − 0.2) / 4
  });

  it("profit factor, fees, funding received and paid kept apart", () => {
    expect(m.profitFactor).toBeCloseTo(130 / 70, 12);
    expect(m.fees).toBe(20);
    expect(m.fundingReceived).toBe(2);
    expect(m.fundingPaid).toBe(4); // 1 + 3, as a positive amount
  });

  it("a zero-PnL trade is not a win; profit factor is Infinity without losses and NaN without trades", () => {
    expect(tradeMetrics([trade(10, 0.1, 0, 0), trade(0, 0, 0, 0)]).winRate).toBe(0.5);
    expect(tradeMetrics([trade(10, 0.1, 0, 0)]).profitFactor).toBe(Infinity);
    expect(tradeMetrics([]).profitFactor).toBeNaN();
    expect(tradeMetrics([]).expectancyR).toBeNaN();
  });
});

describe("daily returns, Sharpe, Sortino, exposure", () => {
  it("a point stamped on the day boundary closes the day that ends there; the first return is over the starting equity", () => {
    const curve = [{ ts: 1 * H, equity: 10_100 }, { ts: 24 * H, equity: 10_200 }, { ts: 25 * H, equity: 10_000 }, { ts: 48 * H, equity: 10_302 }];
    const r = periodReturns(curve, 10_000);
    expect(r).toHaveLength(2);
    expect(r[0]).toBeCloseTo(0.02, 12); // 10,200 / 10,000
    expect(r[1]).toBeCloseTo(0.01, 12); // 10,302 / 10,200
  });

  it("Sharpe = mean / sample sd × √365, Sortino = mean / downside deviation × √365", () => {
    const returns = [0.02, -0.01, 0.03, 0];
    const ra = riskAdjusted(returns);
    // mean 0.01; sample sd √((1 + 4 + 4 + 1)e-4 / 3) = 0.0182574; downside √(0.01² / 4) = 0.005.
    expect(ra.sharpe).toBeCloseTo((0.01 / Math.sqrt(1e-3 / 3)) * Math.sqrt(365), 9);
    expect(ra.sharpe).toBeCloseTo(10.4642, 3);
    expect(ra.sortino).toBeCloseTo(2 * Math.sqrt(365), 9);
    expect(riskAdjusted(returns, 252).sortino).toBeCloseTo(2 * Math.sqrt(252), 9);
    expect(riskAdjusted([0.01]).sharpe).toBeNaN();
    expect(riskAdjusted([0.01, 0.02]).sortino).toBeNaN(); // no losing day: no downside to divide by
  });

  it("exposure is the held share of the period, clipped to it", () => {
    expect(exposure([{ entryTs: 0, exitTs: 10 * H }, { entryTs: 20 * H, exitTs: 30 * H }], 5 * H, 25 * H)).toBe(0.5);
    expect(exposure([], 0, H)).toBe(0);
  });
});

describe("bootstrap intervals", () => {
  const flags = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 1 : 0));

  it("are deterministic for a seed and move with it", () => {
    // Continuous values (PnL-like), so two different resamplings cannot land on the same bounds by chance.
    const pnl = Array.from({ length: 40 }, (_, i) => ((i * 7919) % 101) - 45 + i / 13);
    const bounds = (seed: number): [number, number] => {
      const ci = bootstrapInterval(pnl, mean, { seed, resamples: 500 });
      return [ci.low, ci.high];
    };
    expect(bounds(7)).toEqual(bounds(7));
    expect(bounds(8)).not.toEqual(bounds(7));
  });

  it("cover 95%: a 50% rate over 100 trades gives about ±10 pp", () => {
    const ci = bootstrapInterval(flags, mean, { seed: 7 });
    expect(ci.estimate).toBe(0.5);
    expect(ci.low).toBeGreaterThan(0.38);
    expect(ci.low).toBeLessThan(0.42);
    expect(ci.high).toBeGreaterThan(0.58);
    expect(ci.high).toBeLessThan(0.62);
  });

  it("collapse on a constant list and are NaN on an empty one", () => {
    const ci = bootstrapInterval([3, 3, 3], mean, { seed: 1, resamples: 50 });
    expect([ci.low, ci.estimate, ci.high]).toEqual([3, 3, 3]);
    expect(bootstrapInterval([], mean, { seed: 1 }).low).toBeNaN();
  });

  it("quantiles interpolate between neighbours", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
  });
});

describe("baselines", () => {
  it("seeds come from names alone (FNV-1a of the parts joined by |)", () => {
    expect(seedFrom("a")).toBe(0xe40c292c); // the published FNV-1a 32-bit value of "a"
    expect(seedFrom("BTC", "method", 1)).toBe(seedFrom("BTC|method|1"));
    expect(seedFrom("BTC", "method", 1)).not.toBe(seedFrom("ETH", "method", 1));
    expect(seedFrom("BTC", "method", 1)).not.toBe(seedFrom("BTC", "funding-alone", 1));
  });

  it("random sides keep the decisions' times and fields, and repeat for a seed", () => {
    const decisions = Array.from({ length: 1000 }, (_, i) => ({ ts: i * 8 * H, side: "long" as const, horizonHours: 8 }));
    const a = randomSides(decisions, 42);
    expect(randomSides(decisions, 42)).toEqual(a);
    expect(a.map((d) => [d.ts, d.horizonHours])).toEqual(decisions.map((d) => [d.ts, d.horizonHours]));
    const longs = a.filter((d) => d.side === "long").length;
    expect(longs).toBeGreaterThan(450);
    expect(longs).toBeLessThan(550);
  });

  it("buy and hold pays the fee on both legs and tracks its drawdown", () => {
    const candles = [{ ts: 0, open: 100, close: 110 }, { ts: H, open: 110, close: 121 }, { ts: 2 * H, open: 121, close: 96.8 }];
    const hold = buyAndHold(candles.slice(0, 2), 10_000, { takerFeeBps: 10, slippageBps: 0 });
    // notional 10,000 / 1.001 = 9,990.00999; qty 99.9000999; sold at 121 less 0.1%: 12,075.824176.
    expect(hold?.finalEquity).toBeCloseTo(12_075.824176, 6);
    expect(hold?.pnl).toBeCloseTo(2_075.824176, 6);
    expect(hold?.fees).toBeCloseTo(9.99000999001 + 12.087912087912, 6);
    expect(hold?.maxDrawdown).toBe(0);
    // 121 → 96.8 is 20% below the peak close.
    expect(buyAndHold(candles, 10_000, { takerFeeBps: 10, slippageBps: 0 })?.maxDrawdown).toBeCloseTo(0.2, 12);
    const slipped = buyAndHold(candles.slice(0, 1), 10_000, { takerFeeBps: 0, slippageBps: 10 });
    expect(slipped?.finalEquity).toBeCloseTo((10_000 / 100.1) * 110 * 0.999, 6);
    expect(buyAndHold([], 10_000, { takerFeeBps: 0, slippageBps: 0 })).toBeNull();
  });
});
