import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import {
  applyEntryFill, applyExitFill, approve, bookFunding, describeStatus, entryClientOrderId, exitClientOrderId, expire,
  isActive, markOpen, reject, step, submit,
  type Closed, type Closing, type Open, type Pending, type ProposalTerms, type Side, type StepResult, type Submitting,
  type TradeEvent, type TradeState, type TradeStatus,
} from "../../src/core/trading";

const D = (v: number | string): Decimal => new Decimal(v);
const T0 = Date.parse("2026-01-05T00:00:00.000Z");
const H = 3_600_000;
const OK = { ok: true } as const;

function terms(side: Side = "long", over: Partial<ProposalTerms> = {}): ProposalTerms {
  const long = side === "long";
  return {
    id: "p0123456789ab", symbol: "MNT/USDT:USDT", venue: "binance", side, signalId: 7, refPrice: 100,
    quantity: D(1), notionalUsd: D(100), marginUsd: D(20), leverage: 5,
    stopPrice: long ? 98 : 102, takeProfitPrice: long ? 103 : 97, liquidationPrice: long ? 80.5 : 119.5,
    expectedFeesUsd: D("0.15"), expectedFundingUsd: D(0), horizonHours: 8,
    createdAt: T0, expiresAt: T0 + 30 * 60_000, autoExecute: false, ...over,
  };
}
const pending = (side: Side = "long", over: Partial<ProposalTerms> = {}): Pending => ({ status: "pending", terms: terms(side, over) });

function run(state: TradeState, events: readonly [TradeEvent, number][]): TradeState {
  let s = state;
  for (const [event, now] of events) {
    const r = step(s, event, now);
    if (!r.ok) throw new Error(r.reason);
    s = r.state;
  }
  return s;
}
const okState = (r: StepResult): TradeState => {
  if (!r.ok) throw new Error(r.reason);
  return r.state;
};
const fill = (qty: number | string, price: number | string, fee: number | string, final: boolean) => ({ qty: D(qty), price: D(price), fee: D(fee), final });

function submitting(side: Side = "long"): Submitting {
  return run(pending(side), [[{ kind: "approve", by: "alice", auto: false, check: OK }, T0 + 1], [{ kind: "submit" }, T0 + 2]]) as Submitting;
}
function open(side: Side = "long", price = 100): Open {
  return run(submitting(side), [[{ kind: "entry-filled", ...fill(1, price, "0.1", true) }, T0 + H]]) as Open;
}

describe("client order ids", () => {
  it("are deterministic, short and safe", () => {
    expect(entryClientOrderId("p0123456789ab")).toBe("p0123456789ab-e");
    expect(exitClientOrderId("p0123456789ab")).toBe("p0123456789ab-x");
    for (const id of [entryClientOrderId("p".repeat(30)), exitClientOrderId("p".repeat(30))]) expect(id).toMatch(/^[A-Za-z0-9-]{1,32}$/);
    expect(() => entryClientOrderId("p".repeat(31))).toThrow(RangeError);
    expect(() => entryClientOrderId("p_1")).toThrow(RangeError);
  });
});

describe("approval", () => {
  it("approves by hand: execute + card, decision recorded", () => {
    const r = approve(pending(), { by: "alice", auto: false, check: OK }, T0 + 5);
    expect(r).toEqual({ ok: true, state: { status: "approved", terms: terms(), decision: { by: "alice", at: T0 + 5, auto: false } },
      intents: [{ kind: "execute", proposalId: "p0123456789ab" }, { kind: "card", proposalId: "p0123456789ab" }] });
  });
  it.each([
    ["at the expiry", T0 + 30 * 60_000, OK, false, {}, "This proposal expired at 2026-01-05T00:30:00.000Z and can no longer be approved."],
    ["after the expiry", T0 + H, OK, false, {}, "This proposal expired at 2026-01-05T00:30:00.000Z and can no longer be approved."],
    ["a failed check", T0, { ok: false, reason: "Trading is paused by alice (lunch)." }, false, {}, "Trading is paused by alice (lunch)."],
    ["auto while auto-execute is off", T0, OK, true, {}, "Auto-execute is off for this proposal; it needs a person's approval."],
  ] as const)("refuses %s", (_name, now, check, auto, over, reason) => {
    expect(approve(pending("long", over), { by: "alice", auto, check }, now)).toEqual({ ok: false, reason });
  });
  it("auto-approves on the opt-in path and records it", () => {
    const s = okState(step(pending("long", { autoExecute: true }), { kind: "approve", by: "auto", auto: true, check: OK }, T0));
    expect(s.status === "approved" && s.decision.auto).toBe(true);
  });
  it.each([
    [[{ kind: "approve", by: "alice", auto: false, check: OK }], { kind: "approve", by: "bob", auto: false, check: OK }, "Nothing done: this proposal was already approved by alice."],
    [[{ kind: "approve", by: "alice", auto: false, check: OK }], { kind: "reject", by: "bob" }, "Nothing done: this proposal was already approved by alice."],
    [[{ kind: "reject", by: "bob" }], { kind: "approve", by: "alice", auto: false, check: OK }, "Nothing done: this proposal was already rejected by bob."],
    [[{ kind: "expire" }], { kind: "approve", by: "alice", auto: false, check: OK }, "Nothing done: this proposal expired at 2026-01-05T00:30:00.000Z."],
  ] as const)("decides once (%#)", (first, second, reason) => {
    const at = first[0].kind === "expire" ? T0 + 30 * 60_000 : T0 + 1;
    const s = run(pending(), first.map((e) => [e as TradeEvent, at] as [TradeEvent, number]));
    expect(step(s, second as TradeEvent, T0 + 31 * 60_000)).toEqual({ ok: false, reason });
  });
  it("rejects and expires with a card", () => {
    expect(reject(pending(), { by: "bob" }, T0).state).toMatchObject({ status: "rejected", decision: { by: "bob", auto: false } });
    expect(expire(pending(), T0 + 29 * 60_000)).toEqual({ ok: false, reason: "This proposal is valid until 2026-01-05T00:30:00.000Z; it has not expired." });
    expect(expire(pending(), T0 + 30 * 60_000)).toMatchObject({ ok: true, state: { status: "expired", at: T0 + 30 * 60_000 }, intents: [{ kind: "card" }] });
  });
  it("fails before any order with or without a decision", () => {
    expect(okState(step(pending(), { kind: "fail", reason: "symbol delisted" }, T0))).toMatchObject({ status: "failed", decision: null, entry: null });
    const approved = run(pending(), [[{ kind: "approve", by: "alice", auto: false, check: OK }, T0]]);
    expect(okState(step(approved, { kind: "fail", reason: "paused" }, T0))).toMatchObject({ status: "failed", decision: { by: "alice" }, reason: "paused" });
  });
});

describe("entry", () => {
  it("submit records the entry order with its deterministic id", () => {
    expect(submitting("short").entry).toEqual({ clientOrderId: "p0123456789ab-e", side: "sell", requestedQty: D(1), filledQty: D(0), avgPrice: null, fee: D(0), status: "submitting", lastError: null, exchangeOrderId: null, sentAt: null });
  });
  it.each([
    ["partial, not final", [fill("0.4", 100, "0.04", false)], "submitting", "partially-filled", "0.4"],
    ["partial, final", [fill("0.4", 100, "0.04", true)], "open", "cancelled", "0.4"],
    ["complete", [fill(1, 100, "0.1", false)], "open", "filled", "1"],
    ["two fills", [fill("0.5", 100, 0, false), fill("0.5", 102, 0, true)], "open", "filled", "1"],
    ["nothing, final", [fill(0, 0, 0, true)], "failed", "cancelled", "0"],
  ] as const)("%s", (_name, fills, status, orderStatus, qty) => {
    let s: TradeState = submitting();
    for (const f of fills) s = okState(step(s, { kind: "entry-filled", ...f }, T0 + H));
    expect(s.status).toBe(status);
    expect("entry" in s && s.entry?.status).toBe(orderStatus);
    expect("entry" in s && s.entry?.filledQty.toString()).toBe(qty);
  });
  it("averages incremental fills and re-anchors the exits to the real fill", () => {
    const s = run(submitting(), [[{ kind: "entry-filled", ...fill("0.5", 100, "0.05", false) }, T0 + H], [{ kind: "entry-filled", ...fill("0.5", 102, "0.05", true) }, T0 + H]]) as Open;
    expect(s.position.entryPrice.toString()).toBe("101");
    expect(s.position.fees.toString()).toBe("0.1");
    expect(s.position.stopPrice).toBeCloseTo(98.98, 9);
    expect(s.position.takeProfitPrice).toBeCloseTo(104.03, 9);
    expect(s.position.exitDueTs).toBe(T0 + 9 * H);
  });
  it("rounds re-anchored prices to the tick towards the entry", () => {
    const r = okState(step(submitting(), { kind: "entry-filled", ...fill(1, "101.37", 0, true) }, T0, { tickSize: 0.1 })) as Open;
    expect(r.position.stopPrice).toBe(99.4); // 99.3426 → up, never further than 2%
    expect(r.position.takeProfitPrice).toBe(104.4); // 104.4111 → down
  });
  it("refuses a fill beyond the order (a fill applied twice)", () => {
    const r = applyEntryFill(submitting(), fill("1.5", 100, 0, false), T0);
    expect(r.ok === false && r.reason).toMatch(/more than the 1 requested \(was this fill applied twice\?\)/);
  });
  it("unknown placement: resolve by lookup, never re-send", () => {
    const r = step(submitting(), { kind: "entry-unknown", error: "timeout after 10 s" }, T0 + 3);
    expect(r).toMatchObject({ ok: true, state: { status: "unknown", since: T0 + 3, lastError: "timeout after 10 s", entry: { status: "unknown" } },
      intents: [{ kind: "resolve-order", proposalId: "p0123456789ab", clientOrderId: "p0123456789ab-e" }, { kind: "card" }] });
    const unknown = okState(r);
    expect(okState(step(unknown, { kind: "entry-filled", ...fill(1, 100, 0, true) }, T0 + 9)).status).toBe("open");
    expect(okState(step(unknown, { kind: "entry-rejected", reason: "Order does not exist." }, T0 + 9))).toMatchObject({
      status: "failed", reason: "Order does not exist.", entry: { status: "rejected" } });
    expect(step(unknown, { kind: "submit" }, T0)).toEqual({ ok: false, reason: 'Nothing done: a trade that is waiting to learn whether its entry order went through cannot take "submit".' });
  });
  it("a rejection after a partial fill opens what filled", () => {
    const s = run(submitting(), [[{ kind: "entry-filled", ...fill("0.3", 100, 0, false) }, T0], [{ kind: "entry-rejected", reason: "insufficient margin" }, T0]]);
    expect(s).toMatchObject({ status: "open", entry: { status: "cancelled", lastError: "insufficient margin" } });
    expect(s.status === "open" && s.position.quantity.toString()).toBe("0.3");
  });
});

describe("marks on an open position", () => {
  it.each([
    ["long", 80, T0 + 2 * H, "liquidation"],
    ["long", 98, T0 + 20 * H, "stop-loss"],
    ["long", 103, T0 + 20 * H, "take-profit"],
    ["long", 100, T0 + 9 * H, "horizon"],
    ["long", 99, T0 + 2 * H, null],
    ["short", 120, T0 + 2 * H, "liquidation"],
    ["short", 102.5, T0 + 2 * H, "stop-loss"],
    ["short", 96, T0 + 2 * H, "take-profit"],
    ["short", 101, T0 + 9 * H, "horizon"],
    ["short", 101, T0 + 2 * H, null],
  ] as const)("%s at %d → %s", (side, price, now, reason) => {
    const s = open(side);
    const r = markOpen(s, { price, ts: now }, now);
    if (reason === null) return expect(r).toEqual({ ok: true, state: s, intents: [] });
    expect(r).toMatchObject({ ok: true, state: { status: "closing", reason, exit: { clientOrderId: "p0123456789ab-x", side: side === "long" ? "sell" : "buy", status: "submitting" } },
      intents: [{ kind: "close", proposalId: "p0123456789ab", reason }, { kind: "card" }] });
  });
  it("refuses a nonsense price", () => {
    expect(markOpen(open(), { price: Number.NaN, ts: T0 }, T0).ok).toBe(false);
  });
  it("manual close", () => {
    expect(okState(step(open(), { kind: "close-request", by: "alice" }, T0 + 2 * H))).toMatchObject({ status: "closing", reason: "manual" });
  });
});

describe("funding", () => {
  const settle = Date.parse("2026-01-05T08:00:00.000Z");
  it.each([["long", 0.001, "-0.1"], ["long", -0.001, "0.1"], ["short", 0.001, "0.1"]] as const)("%s at rate %d books %s", (side, rate, amount) => {
    const r = bookFunding(open(side), { settlementTs: settle, rate, markPrice: 100 }, settle + 5);
    expect(r.ok && r.state.position.funding.toString()).toBe(amount);
  });
  it("books one settlement once, even when the second stamp is 11 ms late", () => {
    const once = okState(step(open(), { kind: "funding", settlementTs: settle, rate: 0.001, markPrice: 100 }, settle + 20)) as Open;
    const twice = step(once, { kind: "funding", settlementTs: settle + 11, rate: 0.001, markPrice: 100 }, settle + 20);
    expect(twice).toEqual({ ok: true, state: once, intents: [] });
    expect(once.position.fundingSettlements).toEqual([settle]);
  });
  it.each([[T0 + H, T0 + 2 * H, /not after the entry/], [settle, settle - 1, /has not happened yet/]])("refuses a settlement outside the position (%#)", (ts, now, reason) => {
    const r = bookFunding(open(), { settlementTs: ts, rate: 0.001, markPrice: 100 }, now);
    expect(r.ok === false && r.reason).toMatch(reason);
  });
  it("books only on what is still held while closing", () => {
    const closing = run(open(), [[{ kind: "close-request", by: "a" }, settle - 10], [{ kind: "exit-filled", ...fill("0.6", 100, 0, false) }, settle - 5]]) as Closing;
    const r = bookFunding(closing, { settlementTs: settle, rate: 0.001, markPrice: 100 }, settle);
    expect(r.ok && r.state.position.funding.toString()).toBe("-0.04");
  });
});

describe("exit", () => {
  it.each([
    ["long", 100, 103, "2.75"], // 3 − 0.2 fees − 0.05 funding paid
    ["short", 100, 103, "-3.15"], // −3 − 0.2 fees + 0.05 funding received
  ] as const)("%s closed: realized = signed move − fees + funding", (side, entry, exitPrice, pnl) => {
    const settle = T0 + 8 * H;
    const s = run(open(side, entry), [
      [{ kind: "funding", settlementTs: settle, rate: 0.0005, markPrice: 100 }, settle],
      [{ kind: "close-request", by: "alice" }, settle],
      [{ kind: "exit-filled", ...fill("0.5", exitPrice, "0.05", false) }, settle + 1],
      [{ kind: "exit-filled", ...fill("0.5", exitPrice, "0.05", true) }, settle + 2],
    ]) as Closed;
    expect(s).toMatchObject({ status: "closed", reason: "manual", closedAt: settle + 2, exit: { status: "filled" } });
    expect(s.realizedPnl.toString()).toBe(pnl);
  });
  it("an exit that ends short stays closing and tells the chats", () => {
    const closing = run(open(), [[{ kind: "close-request", by: "a" }, T0 + 2 * H]]) as Closing;
    const r = applyExitFill(closing, fill("0.4", 101, 0, true), T0 + 2 * H);
    expect(r).toMatchObject({ ok: true, state: { status: "closing", exit: { status: "cancelled" } }, intents: [{ kind: "card" }, { kind: "text" }] });
  });
  it("refuses an exit fill beyond the position", () => {
    const closing = run(open(), [[{ kind: "close-request", by: "a" }, T0 + 2 * H]]) as Closing;
    expect(applyExitFill(closing, fill(2, 101, 0, true), T0).ok).toBe(false);
  });
  it.each([["open", []], ["closing with half exited at 99", [[{ kind: "close-request", by: "a" }, T0 + 2 * H], [{ kind: "exit-filled", ...fill("0.5", 99, 0, false) }, T0 + 2 * H]]]] as const)(
    "liquidated from %s", (_name, before) => {
      const s = run(open(), before as unknown as [TradeEvent, number][]);
      const closed = okState(step(s, { kind: "liquidated", price: D(81), fee: D(0) }, T0 + 3 * H)) as Closed;
      expect(closed).toMatchObject({ status: "closed", reason: "liquidation", closedAt: T0 + 3 * H });
      const expected = before.length ? "-10.1" : "-19.1"; // (0.5 × −1 + 0.5 × −19) or −19, less the 0.1 entry fee
      expect(closed.realizedPnl.toString()).toBe(expected);
    });
});

describe("illegal transitions", () => {
  it("do not compile", () => {
    const p = pending();
    const o = open();
    // Type checks only: never called.
    const _illegal = (): void => {
      // @ts-expect-error a pending proposal cannot be submitted
      void submit(p, T0);
      // @ts-expect-error only an open position is marked
      void markOpen(p, { price: 1, ts: T0 }, T0);
      // @ts-expect-error an open position cannot be approved
      void approve(o, { by: "a", auto: false, check: OK }, T0);
      // @ts-expect-error exit fills need a closing trade
      void applyExitFill(o, fill(1, 1, 0, true), T0);
    };
    expect(typeof _illegal).toBe("function");
  });
  it.each<[() => TradeState, TradeEvent, string]>([
    [() => pending(), { kind: "mark", price: 100, ts: T0 }, "waiting for approval"],
    [() => open(), { kind: "submit" }, "open"],
    [() => submitting(), { kind: "close-request", by: "a" }, "placing its entry order"],
  ])("step refuses them in plain words (%#)", (make, event, words) => {
    expect(step(make(), event, T0)).toEqual({ ok: false, reason: `Nothing done: a trade that is ${words} cannot take "${event.kind}".` });
  });
});

describe("status words", () => {
  it.each([
    ["pending", "waiting for approval", true], ["approved", "approved and being executed", true], ["submitting", "placing its entry order", true],
    ["unknown", "waiting to learn whether its entry order went through", true], ["open", "open", true], ["closing", "being closed", true],
    ["rejected", "rejected", false], ["expired", "expired", false], ["failed", "failed: nothing was traded", false], ["closed", "closed", false],
  ] as const)("%s", (status: TradeStatus, words, active) => {
    expect(describeStatus(status)).toBe(words);
    expect(isActive(status)).toBe(active);
  });
});
