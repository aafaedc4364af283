import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_PARAMS, type RiskParams } from "../../src/core/risk/sizing";
import { replayTrades, type Candle, type ReplayDecision, type ReplayInput, type ReplayParams } from "../../src/core/trading";

const T0 = Date.parse("2026-01-05T00:00:00.000Z");
const H = 3_600_000;

/** Flat hourly candles at 100, with overrides by index. */
function candles(n: number, over: Record<number, Partial<Candle>> = {}): Candle[] {
  return Array.from({ length: n }, (_, i) => ({ ts: T0 + i * H, open: 100, high: 100.5, low: 99.5, close: 100, ...over[i] }));
}
const params = (risk: Partial<RiskParams> = {}): ReplayParams => ({
  risk: { ...DEFAULT_RISK_PARAMS, ...risk }, rewardToRisk: 1.5, takerFeeBps: 0, slippageBps: 0, ttlMinutes: 30, fundingIntervalHours: 8,
  approval: { maxPriceDriftFraction: 0.005, maxSpreadFraction: 0.002, maxQuoteAgeMs: 2 * H },
});
function replay(decisions: ReplayDecision[], cs: Candle[], over: Partial<ReplayInput> = {}, risk: Partial<RiskParams> = {}) {
  return replayTrades({
    symbol: "MNT/USDT:USDT",
    decisions, candles: cs, fundingPrints: [], startingEquity: new Decimal(1000),
    market: { lotSize: 0.001, minQty: 0.001, minNotional: 5, tickSize: 0.01, maintenanceMarginRate: 0.005 },
    params: params(risk),
    ...over,
  });
}
const long = (ts: number, horizonHours = 8): ReplayDecision => ({ ts, side: "long", horizonHours });

describe("replayTrades", () => {
  it("enters at the next open and takes profit (5 × +3)", () => {
    const r = replay([long(T0 + H)], candles(6, { 2: { high: 103.5 } }));
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]).toMatchObject({ reason: "take-profit", position: { entryTs: T0 + H }, closedAt: T0 + 2 * H });
    expect(r.trades[0]?.realizedPnl.toString()).toBe("15");
    expect(r.equityCurve.map((p) => p.equity)).toEqual([1000, 1000, 1015, 1015, 1015, 1015]);
    expect(r.equityCurve[0]?.ts).toBe(T0 + H);
  });
  it("takes the stop first when one candle touches both stop and take-profit", () => {
    const r = replay([long(T0 + H)], candles(6, { 2: { high: 104, low: 97 } }));
    expect(r.trades[0]?.reason).toBe("stop-loss");
    expect(r.trades[0]?.realizedPnl.toString()).toBe("-10");
  });
  it("fills a gap through the stop at the open, not at the stop", () => {
    const r = replay([long(T0 + H)], candles(6, { 2: { open: 97, high: 97.5, low: 96.5, close: 97 } }));
    expect(r.trades[0]?.reason).toBe("stop-loss");
    expect(r.trades[0]?.realizedPnl.toString()).toBe("-15");
  });
  it("is liquidated when a candle opens beyond the liquidation price", () => {
    const r = replay([long(T0 + H)], candles(6, { 2: { open: 85, high: 86, low: 84, close: 85 } }), {}, { leverage: 10 });
    expect(r.trades[0]).toMatchObject({ reason: "liquidation", exit: { status: "filled" } });
    expect(r.trades[0]?.realizedPnl.toString()).toBe("-150"); // 10 × (85 − 100)
  });
  it("closes at the horizon on the candle close", () => {
    const r = replay([long(T0 + H, 4)], candles(8, { 4: { high: 101, close: 101 } }));
    expect(r.trades[0]).toMatchObject({ reason: "horizon", closedAt: T0 + 5 * H });
    expect(r.trades[0]?.realizedPnl.toString()).toBe("5");
  });
  it("books each funding settlement once, from the venue's prints", () => {
    const fundingPrints = [{ ts: T0 + 3 * H + 11, rate: 0.001 }, { ts: T0 + 3 * H, rate: 0.001 }, { ts: T0 + 30 * H, rate: 0.001 }];
    const r = replay([long(T0 + H, 4)], candles(8), { fundingPrints });
    expect(r.trades[0]?.position.fundingSettlements).toEqual([T0 + 3 * H]);
    expect(r.trades[0]?.realizedPnl.toString()).toBe("-0.5"); // a long pays 5 × 100 × 0.001
  });
  it("charges fees and slippage both ways", () => {
    const r = replay([long(T0 + H, 2)], candles(6), { params: { ...params(), takerFeeBps: 5, slippageBps: 10 } });
    const t = r.trades[0];
    expect(t?.entry.avgPrice?.toString()).toBe("100.1");
    expect(t?.exit.avgPrice?.toString()).toBe("99.9");
    // 5 × (99.9 − 100.1) − 5 × 100.1 × 0.0005 − 5 × 99.9 × 0.0005
    expect(t?.realizedPnl.toString()).toBe("-1.5");
  });
  it("trades one at a time and says why it skipped", () => {
    const r = replay([long(T0 - 1), long(T0 + H, 2), long(T0 + 2 * H), long(T0 + 6 * H)], candles(6));
    expect(r.skipped).toEqual([
      { ts: T0 - 1, reason: "No candle had closed before this decision." },
      { ts: T0 + 2 * H, reason: "A MNT/USDT:USDT trade is already open." },
    ]);
    // The last decision is proposed and sent at its time; no later candle fills it: still submitting.
    expect([r.trades.length, r.unfinished?.status, r.unfinished?.terms.createdAt]).toEqual([1, "submitting", T0 + 6 * H]);
    expect(replay([long(T0 + H, 20)], candles(6)).unfinished?.status).toBe("open");
  });
  it("sees only closed candles: terms at the last close, entry at the first open after the decision", () => {
    const r = replay([long(T0 + H + 30 * 60_000, 2)], candles(6, { 0: { close: 100 }, 1: { close: 100.3 }, 2: { open: 100.2 } }));
    expect(r.trades[0]?.terms.refPrice).toBe(100);
    expect(r.trades[0]?.position.entryTs).toBe(T0 + 2 * H);
    expect(r.trades[0]?.entry.avgPrice?.toString()).toBe("100.2");
  });
  it("halves the next trade after a 5% drawdown", () => {
    // 25% margin at 10x: a 2% stop loses 50 of 1000.
    const r = replay([long(T0 + H, 20), long(T0 + 3 * H, 1)], candles(6, { 2: { low: 97.9 } }), {}, { positionFraction: 0.25, leverage: 10 });
    expect(r.trades.map((t) => t.terms.quantity.toString())).toEqual(["25", "11.875"]); // 950 × 25% × ½ × 10 / 100
  });
  it("skips decisions while the drawdown rule pauses trading", () => {
    const r = replay([long(T0 + H, 20), long(T0 + 3 * H)], candles(6, { 2: { low: 97.9 } }), {}, { positionFraction: 0.5, leverage: 10 });
    expect(r.trades[0]?.realizedPnl.toString()).toBe("-100");
    expect(r.skipped).toEqual([{ ts: T0 + 3 * H, reason: expect.stringMatching(/^Trading is paused by the drawdown rule until 2026-01-06T03:00:00\.000Z/) as unknown }]);
  });
  it("ends the drawdown pause while flat, with the equity unchanged since it began", () => {
    // The flat candles after the loss repeat the same equity: the account must still see time pass.
    const r = replay([long(T0 + H, 20), long(T0 + 3 * H), long(T0 + 30 * H, 1)], candles(34, { 2: { low: 97.9 } }), {}, { positionFraction: 0.5, leverage: 10 });
    expect(r.skipped.map((s) => s.ts)).toEqual([T0 + 3 * H]);
    expect(r.trades.map((t) => t.terms.createdAt)).toEqual([T0 + H, T0 + 30 * H]);
  });
  it("restores full size after a marked drawdown that closed flat", () => {
    // Marked 9.5% down while held (size halved), closed at the entry price: back to no drawdown.
    const r = replay([long(T0 + H, 2), long(T0 + 4 * H, 1)], candles(8, { 1: { close: 98.1, low: 98.05 } }), {}, { positionFraction: 0.5, leverage: 10 });
    expect(r.trades.map((t) => t.realizedPnl.toString())).toEqual(["0", "0"]);
    expect(r.trades.map((t) => t.terms.quantity.toString())).toEqual(["50", "50"]);
  });
});
