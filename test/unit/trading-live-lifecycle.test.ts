import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { adoptionTerms } from "../../src/core/trading/adoption";
import { step, type Open, type Pending, type ProposalTerms, type StepResult, type Submitting, type TradeEvent, type TradeState } from "../../src/core/trading";
import { DEFAULT_RISK_PARAMS } from "../../src/core/risk/sizing";

/** The lifecycle's live-only transitions: the send marker, venue-held stops, closes by the venue, venue funding, adoption. */
const D = (v: number | string): Decimal => new Decimal(v);
const T0 = Date.parse("2026-01-05T00:00:00.000Z");
const H = 3_600_000;
const LIVE = { venueStops: true } as const;

const terms: ProposalTerms = {
  id: "p0123456789ab", symbol: "MNT/USDT:USDT", venue: "bybit", side: "long", signalId: 7, refPrice: 100,
  quantity: D(1), notionalUsd: D(100), marginUsd: D(20), leverage: 5, stopPrice: 98, takeProfitPrice: 103, liquidationPrice: 80.5,
  expectedFeesUsd: D("0.15"), expectedFundingUsd: D(0), horizonHours: 8, createdAt: T0, expiresAt: T0 + 30 * 60_000, autoExecute: false,
};
const ok = (r: StepResult): TradeState => {
  if (!r.ok) throw new Error(r.reason);
  return r.state;
};
function run(state: TradeState, events: readonly TradeEvent[], params = LIVE): TradeState {
  return events.reduce((s, e, i) => ok(step(s, e, T0 + (i + 1) * 1_000, params)), state);
}
const pending: Pending = { status: "pending", terms };
const submitting = (): Submitting => run(pending, [{ kind: "approve", by: "alice", auto: false, check: { ok: true } }, { kind: "submit" }]) as Submitting;

describe("the send marker", () => {
  it("keeps the first send time, and only a refusal at the door clears it", () => {
    const sent = run(submitting(), [{ kind: "order-sent", at: T0 + 5 }]) as Submitting;
    expect(sent.entry.sentAt).toBe(T0 + 5);
    expect((run(sent, [{ kind: "order-sent", at: T0 + 9 }]) as Submitting).entry.sentAt).toBe(T0 + 5);
    expect((run(sent, [{ kind: "order-sent", at: null }]) as Submitting).entry.sentAt).toBeNull();
  });
});

describe("a live position", () => {
  it("asks the venue for its stops when it opens, and records the venue's order id", () => {
    const r = step(submitting(), { kind: "entry-filled", qty: D(1), price: D(100), fee: D("0.05"), final: true, exchangeOrderId: "77" }, T0 + H, LIVE);
    expect(r.ok && r.intents.map((i) => i.kind)).toEqual(["protect", "card"]);
    expect(r.ok && r.state.status === "open" && r.state.entry.exchangeOrderId).toBe("77");
    // Paper: the bot watches the stop itself, nothing to place.
    const paper = step(submitting(), { kind: "entry-filled", qty: D(1), price: D(100), fee: D("0.05"), final: true }, T0 + H, {});
    expect(paper.ok && paper.intents.map((i) => i.kind)).toEqual(["card"]);
  });

  it("is closed by the venue at the venue's price and fee, with the reason, under its own record id", () => {
    const open = run(submitting(), [{ kind: "entry-filled", qty: D(1), price: D(100), fee: D("0.05"), final: true }]) as Open;
    const closed = ok(step(open, { kind: "venue-closed", price: D("97.9"), fee: D("0.06"), reason: "stop-loss" }, T0 + 2 * H));
    expect(closed.status === "closed" && [closed.reason, closed.exit.clientOrderId, closed.realizedPnl.toString()]).toEqual(["stop-loss", "p0123456789ab-c", "-2.21"]);
  });

  it("books the venue's own funding amount, once per settlement", () => {
    const open = run(submitting(), [{ kind: "entry-filled", qty: D(1), price: D(100), fee: D(0), final: true }]) as Open;
    const settle = { kind: "funding", settlementTs: T0 + 8 * H, rate: 0, markPrice: 100, amount: D("-0.0123") } as const;
    const once = ok(step(open, settle, T0 + 9 * H)) as Open;
    expect(once.position.funding.toString()).toBe("-0.0123");
    expect((ok(step(once, settle, T0 + 9 * H)) as Open).position.funding.toString()).toBe("-0.0123");
  });
});

describe("adoption", () => {
  it("takes a venue position over with the bot's stop, take-profit and horizon from its entry", () => {
    const adopted = adoptionTerms({
      id: "p00000000000a", symbol: "MNT/USDT:USDT", venue: "bybit", side: "short", quantity: D(3000), entryPrice: 0.5,
      risk: DEFAULT_RISK_PARAMS, rewardToRisk: 1.5, maintenanceMarginRate: 0.005, horizonHours: 8, now: T0,
    });
    expect([adopted.stopPrice, adopted.takeProfitPrice]).toEqual([0.51, 0.485]);
    const r = step({ status: "pending", terms: adopted }, { kind: "adopt", by: "reconciler" }, T0, LIVE);
    if (!r.ok || r.state.status !== "open") throw new Error("not adopted");
    expect(r.state.position.quantity.toString()).toBe("3000");
    expect(r.state.position.exitDueTs).toBe(T0 + 8 * H);
    expect(r.state.decision).toEqual({ by: "reconciler", at: T0, auto: true });
    expect(r.intents.map((i) => i.kind)).toEqual(["protect", "card"]);
    expect(step(r.state, { kind: "adopt", by: "reconciler" }, T0, LIVE).ok).toBe(false);
  });
});
