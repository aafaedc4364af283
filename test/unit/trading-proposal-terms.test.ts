import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_PARAMS } from "../../src/core/risk/sizing";
import { buildProposalTerms, checkApproval, type ApprovalQuote, type ProposalTerms, type TermsInput } from "../../src/core/trading";

const T0 = Date.parse("2026-01-05T00:00:00.000Z");

function input(over: Partial<TermsInput> = {}): TermsInput {
  return {
    id: "p0123456789ab", symbol: "MNT/USDT:USDT", venue: "binance", side: "long", signalId: 3, now: T0,
    equity: new Decimal(1000), price: 100, regime: "normal", sizeHalved: false,
    market: { lotSize: 0.001, minQty: 0.001, minNotional: 5, tickSize: 0.01, maintenanceMarginRate: 0.005 },
    fundingRate: 0.0001, fundingIntervalHours: 8, horizonHours: 8,
    params: { risk: DEFAULT_RISK_PARAMS, rewardToRisk: 1.5, takerFeeBps: 5.5, slippageBps: 2, ttlMinutes: 30, autoExecute: false },
    ...over,
  };
}
function terms(over: Partial<TermsInput> = {}): ProposalTerms {
  const r = buildProposalTerms(input(over));
  if (!r.ok) throw new Error(r.reason);
  return r.terms;
}
const refusal = (over: Partial<TermsInput>): string => {
  const r = buildProposalTerms(input(over));
  return r.ok ? "accepted" : r.reason;
};

describe("buildProposalTerms", () => {
  it("sizes a long: 10% margin at 5x, 2% stop, 1.5R take-profit, costs both ways", () => {
    const t = terms();
    expect({ ...t, quantity: t.quantity.toString(), notionalUsd: t.notionalUsd.toString(), marginUsd: t.marginUsd.toString(),
      expectedFeesUsd: t.expectedFeesUsd.toString(), expectedFundingUsd: t.expectedFundingUsd.toString() }).toEqual({
      id: "p0123456789ab", symbol: "MNT/USDT:USDT", venue: "binance", side: "long", signalId: 3, refPrice: 100,
      quantity: "5", notionalUsd: "500", marginUsd: "100", leverage: 5, stopPrice: 98, takeProfitPrice: 103, liquidationPrice: 80.5,
      expectedFeesUsd: "0.75", expectedFundingUsd: "-0.05", horizonHours: 8, createdAt: T0, expiresAt: T0 + 30 * 60_000, autoExecute: false,
    });
  });
  it("mirrors a short", () => {
    const t = terms({ side: "short" });
    expect([t.stopPrice, t.takeProfitPrice, t.liquidationPrice, t.expectedFundingUsd.toString()]).toEqual([102, 97, 119.5, "0.05"]);
  });
  it("halves the margin while the drawdown rule halves size", () => {
    expect(terms({ sizeHalved: true }).marginUsd.toString()).toBe("50");
    expect(terms({ sizeHalved: true }).quantity.toString()).toBe("2.5");
  });
  it.each([["normal", 10], ["high", 5]] as const)("caps leverage in the %s regime at %dx", (regime, leverage) => {
    const risk = { ...DEFAULT_RISK_PARAMS, leverage: 20 };
    expect(terms({ regime, params: { ...input().params, risk } }).leverage).toBe(leverage);
  });
  it("rounds the quantity DOWN to the lot", () => {
    expect(terms({ price: 30, market: { ...input().market, lotSize: 0.1 } }).quantity.toString()).toBe("16.6");
  });
  it("rounds the stop and take-profit to the tick towards the entry", () => {
    const t = terms({ price: 100.003 });
    expect([t.stopPrice, t.takeProfitPrice]).toEqual([98.01, 102.99]);
    const s = terms({ price: 100.003, side: "short" });
    expect([s.stopPrice, s.takeProfitPrice]).toEqual([102, 97.01]);
  });
  it("expects no funding without a rate, and scales it by horizon / interval", () => {
    expect(terms({ fundingRate: null }).expectedFundingUsd.toString()).toBe("0");
    expect(terms({ horizonHours: 4 }).expectedFundingUsd.toString()).toBe("-0.025");
  });
  it.each<[string, Partial<TermsInput>, RegExp]>([
    ["no equity", { equity: new Decimal(0) }, /^Equity is 0 USDT/],
    ["negative equity", { equity: new Decimal(-5) }, /nothing to size/],
    ["below the minimum quantity", { equity: new Decimal(1), market: { ...input().market, minQty: 0.01 } }, /buys 0\.005 MNT\/USDT:USDT \(lot 0\.001\), below the venue's minimum of 0\.01\. Add equity/],
    ["below the minimum notional", { equity: new Decimal(5) }, /is 2\.50 USDT of MNT\/USDT:USDT, below the venue's minimum order of 5 USDT/],
    ["a stop behind the liquidation price", { market: { ...input().market, maintenanceMarginRate: 0.19 } }, /The stop \(98\) would be behind the liquidation price \(99\) at 5x.*Lower LEVERAGE\./],
    ["a tick too coarse for the stop", { price: 1, market: { ...input().market, tickSize: 1, lotSize: 1, minQty: 1 } }, /tick size 1 .* too coarse/],
    ["no price", { price: 0 }, /no usable price/],
  ])("refuses %s", (_name, over, reason) => {
    expect(refusal(over)).toMatch(reason);
  });
});

describe("checkApproval", () => {
  const t = terms();
  const params = { maxPriceDriftFraction: 0.005, maxSpreadFraction: 0.002, maxQuoteAgeMs: 30_000 };
  const open = { open: true, reason: "" };
  const quote = (over: Partial<ApprovalQuote> = {}): ApprovalQuote => ({ price: 100.1, bid: 100.09, ask: 100.11, ts: T0, ...over });
  it("passes fresh, close, tight quotes", () => {
    expect(checkApproval(t, quote(), open, T0 + 1_000, params)).toEqual({ ok: true });
    expect(checkApproval(t, quote({ bid: null, ask: null }), open, T0, params)).toEqual({ ok: true });
  });
  it.each<[string, ApprovalQuote, { open: boolean; reason: string }, number, RegExp]>([
    ["paused", quote(), { open: false, reason: "Trading is paused by alice (lunch). Send /resume to lift the pause." }, T0, /^Trading is paused by alice \(lunch\)/],
    ["no price", quote({ price: null }), open, T0, /There is no price for MNT\/USDT:USDT on binance/],
    ["a stale price", quote(), open, T0 + 31_000, /is 31 s old \(the limit is 30 s\)/],
    ["an adverse drift", quote({ price: 100.6, bid: 100.59, ask: 100.61 }), open, T0, /moved up 0\.60% .*from 100 to 100\.6.*more than the 0\.50% allowed/],
    ["a favourable drift", quote({ price: 99.4, bid: 99.39, ask: 99.41 }), open, T0, /moved down 0\.60%/],
    ["a wide spread", quote({ bid: 99.9, ask: 100.3 }), open, T0, /spread on binance is 0\.40% \(bid 99\.9, ask 100\.3\), wider than the 0\.20% allowed/],
  ])("refuses %s", (_name, q, gate, now, reason) => {
    const r = checkApproval(t, q, gate, now, params);
    expect(r.ok ? "passed" : r.reason).toMatch(reason);
  });
  it("refuses when the stop is already hit", () => {
    const r = checkApproval(t, quote({ price: 97.9, bid: null, ask: null }), open, T0, { ...params, maxPriceDriftFraction: 0.05 });
    expect(r).toEqual({ ok: false, reason: "At 97.9 the stop (98) would already be hit. Wait for a fresh proposal." });
  });
});
