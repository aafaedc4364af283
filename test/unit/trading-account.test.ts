import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_PARAMS } from "../../src/core/risk/sizing";
import {
  applyAccountEvent, equityOf, initialAccountState, parseAccountState, sizeMultiplier, step, tradingGate,
  type AccountEvent, type AccountResult, type AccountState, type Open, type ProposalTerms, type TradeState,
} from "../../src/core/trading";

const T0 = Date.parse("2026-01-05T00:00:00.000Z");
const H = 3_600_000;
const D = (v: number | string): Decimal => new Decimal(v);

function apply(state: AccountState, event: AccountEvent, now: number): AccountResult & { ok: true } {
  const r = applyAccountEvent(state, event, now, DEFAULT_RISK_PARAMS);
  if (!r.ok) throw new Error(r.reason);
  return r;
}
const equity = (state: AccountState, value: number, now: number) => apply(state, { kind: "equity", equity: D(value) }, now);

describe("drawdown through the account", () => {
  it("halves at 5%, restores under 2.5%, with once-only keys", () => {
    const halved = equity(initialAccountState(D(1000)), 950, T0);
    expect(halved.state.sizeHalved).toBe(true);
    expect(sizeMultiplier(halved.state)).toBe(0.5);
    expect(halved.intents).toEqual([{ kind: "text", key: `size-halved-${T0}`, text: expect.stringMatching(/Drawdown is 5\.0% .* halved/) as unknown, event: "drawdown" }]);
    const still = equity(halved.state, 970, T0 + H);
    expect([still.state.sizeHalved, still.intents]).toEqual([true, []]);
    const restored = equity(still.state, 980, T0 + 2 * H);
    expect(restored.state.sizeHalved).toBe(false);
    expect(sizeMultiplier(restored.state)).toBe(1);
    expect(restored.intents[0]).toMatchObject({ kind: "text", key: `size-restored-${T0 + 2 * H}` });
  });
  it("pauses 24 h at 10% once per descent, asks for a model review, and resumes on its own", () => {
    const paused = equity(initialAccountState(D(1000)), 900, T0);
    expect(paused.state).toMatchObject({ pausedUntil: T0 + 24 * H, pausedThisDescent: true, reviewSeq: 1 });
    expect(paused.intents).toContainEqual({ kind: "model-review", key: "drawdown-1", reason: "drawdown of 10.0% from the equity peak" });
    expect(paused.intents).toContainEqual({ kind: "text", key: "drawdown-1", text: expect.stringContaining("paused until 2026-01-06T00:00:00.000Z") as unknown, event: "drawdown" });
    expect(tradingGate(paused.state, T0 + H)).toEqual({ open: false, reason: "Trading is paused by the drawdown rule until 2026-01-06T00:00:00.000Z while the model is reviewed. It resumes on its own." });
    expect(tradingGate(paused.state, T0 + 24 * H).open).toBe(true);
    const ended = equity(paused.state, 880, T0 + 25 * H);
    expect(ended.state.pausedUntil).toBeNull();
    expect(ended.intents).toEqual([{ kind: "text", key: `pause-ended-${T0 + 24 * H}`, text: expect.any(String) as unknown, event: "drawdown" }]);
    // A new peak re-arms the pause; the second review has its own key.
    const again = equity(equity(ended.state, 1100, T0 + 30 * H).state, 980, T0 + 31 * H);
    expect(again.intents).toContainEqual(expect.objectContaining({ kind: "model-review", key: "drawdown-2" }));
  });
});

describe("pause and resume", () => {
  const s0 = initialAccountState(D(1000));
  it("a manual pause closes the gate until anyone resumes", () => {
    const paused = apply(s0, { kind: "pause", by: "alice", reason: "lunch" }, T0);
    expect(tradingGate(paused.state, T0)).toEqual({ open: false, reason: "Trading is paused by alice (lunch). Send /resume to lift the pause." });
    expect(applyAccountEvent(paused.state, { kind: "pause", by: "bob", reason: "x" }, T0, DEFAULT_RISK_PARAMS)).toEqual({ ok: false, reason: "Nothing done: trading is already paused by alice (lunch)." });
    const resumed = apply(paused.state, { kind: "resume", by: "bob", admin: false }, T0 + 1);
    expect(tradingGate(resumed.state, T0 + 1)).toEqual({ open: true, reason: "Trading is active." });
    expect(resumed.intents).toEqual([{ kind: "text", key: `resume-${T0 + 1}`, text: "Trading resumed by bob.", event: "drawdown" }]);
  });
  it("refuses to resume what is not paused", () => {
    expect(applyAccountEvent(s0, { kind: "resume", by: "bob", admin: true }, T0, DEFAULT_RISK_PARAMS)).toEqual({ ok: false, reason: "Nothing done: trading is not paused." });
  });
  it("a drawdown pause lifts early only for an admin, and says so", () => {
    const paused = equity(s0, 900, T0).state;
    const r = applyAccountEvent(paused, { kind: "resume", by: "bob", admin: false }, T0 + H, DEFAULT_RISK_PARAMS);
    expect(r.ok ? "" : r.reason).toMatch(/only an admin can lift it early/i);
    const lifted = apply(paused, { kind: "resume", by: "root", admin: true }, T0 + 4 * H);
    expect(lifted.intents[0]).toMatchObject({ text: "Trading resumed by root. The drawdown pause was lifted early by an admin, 20.0 h before it would have ended." });
    expect(tradingGate(lifted.state, T0 + 4 * H).open).toBe(true);
    // Still the same descent: a lower reading does not pause again at once.
    expect(equity(lifted.state, 850, T0 + 5 * H).state.pausedUntil).toBeNull();
  });
});

describe("parseAccountState", () => {
  it("reads a valid state", () => {
    const s = { ...initialAccountState(D(1000)), manualPause: { by: "a", reason: "b", at: 1, requiresAdmin: false } };
    expect(parseAccountState(JSON.parse(JSON.stringify(s)))).toEqual({ state: s, corrupt: false });
  });
  it.each([null, "x", {}, { ...initialAccountState(D(1000)), peakEquity: "1000" }, { ...initialAccountState(D(1000)), reviewSeq: -1 }])(
    "fails safe on %j: paused for an admin, halved", (json) => {
      const { state, corrupt } = parseAccountState(json, T0);
      expect(corrupt).toBe(true);
      expect(state.sizeHalved).toBe(true);
      const gate = tradingGate(state, T0 + 1_000 * H);
      expect(gate.open).toBe(false);
      expect(gate.reason).toMatch(/unreadable.*An admin must send \/resume/);
      expect(applyAccountEvent(state, { kind: "resume", by: "bob", admin: false }, T0, DEFAULT_RISK_PARAMS).ok).toBe(false);
      expect(apply(state, { kind: "resume", by: "root", admin: true }, T0).state.manualPause).toBeNull();
    });
});

describe("equityOf", () => {
  it("adds realized PnL and marks open positions with fees and funding, exactly", () => {
    const terms = {
      id: "p0123456789ab", symbol: "X", venue: "v", side: "short", signalId: null, refPrice: 100, quantity: D(2), notionalUsd: D(200),
      marginUsd: D(40), leverage: 5, stopPrice: 102, takeProfitPrice: 97, liquidationPrice: 119.5, expectedFeesUsd: D(0),
      expectedFundingUsd: D(0), horizonHours: 8, createdAt: T0, expiresAt: T0 + H, autoExecute: false,
    } satisfies ProposalTerms;
    let s: TradeState = { status: "submitting", terms, decision: { by: "a", at: T0, auto: false },
      entry: { clientOrderId: "p0123456789ab-e", side: "sell", requestedQty: D(2), filledQty: D(0), avgPrice: null, fee: D(0), status: "submitting", lastError: null, exchangeOrderId: null, sentAt: null } };
    const r = step(s, { kind: "entry-filled", qty: D(2), price: D("100.1"), fee: D("0.1"), final: true }, T0);
    if (!r.ok) throw new Error(r.reason);
    s = r.state;
    // short 2 from 100.1 marked at 99.9: +0.4, less 0.1 fee
    expect(equityOf(D(1000), [D("0.1"), D("-0.3")], [{ trade: s as Open, mark: 99.9 }]).toString()).toBe("1000.1");
  });
});
