import { describe, expect, it } from "vitest";
import { initialDrawdownState, isDrawdownPaused, updateDrawdown, type DrawdownState } from "../../src/core/risk/drawdown";
import { DEFAULT_RISK_PARAMS } from "../../src/core/risk/sizing";

const P = DEFAULT_RISK_PARAMS;
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 2, 1);

/** Feeds equity readings one hour apart; returns every update. */
function run(start: DrawdownState, equities: readonly number[], from = T0): ReturnType<typeof updateDrawdown>[] {
  const updates: ReturnType<typeof updateDrawdown>[] = [];
  let state = start;
  equities.forEach((equity, i) => {
    const update = updateDrawdown(state, equity, from + i * HOUR, P);
    updates.push(update);
    state = update.state;
  });
  return updates;
}

describe("updateDrawdown", () => {
  it("tracks the equity peak and measures drawdown from it", () => {
    const [a, b, c] = run(initialDrawdownState(10_000), [10_500, 10_200, 10_800]);
    expect(a?.state.peakEquity).toBe(10_500);
    expect(a?.drawdown).toBe(0);
    expect(b?.state.peakEquity).toBe(10_500);
    expect(b?.drawdown).toBeCloseTo(300 / 10_500, 12); // ≈ 2.857%
    expect(c?.state.peakEquity).toBe(10_800);
    expect(c?.drawdown).toBe(0);
  });

  it("halves size at exactly 5% and not at 4.99%", () => {
    const near = updateDrawdown(initialDrawdownState(10_000), 9_501, T0, P); // 4.99%
    expect(near.state.sizeHalved).toBe(false);
    expect(near.events).toEqual([]);
    const at = updateDrawdown(initialDrawdownState(10_000), 9_500, T0, P); // 500 / 10,000 = 5%
    expect(at.state.sizeHalved).toBe(true);
    expect(at.events).toEqual([{ kind: "size-halved", drawdown: 0.05 }]);
  });

  it("restores size only once drawdown is back under 2.5% (hysteresis)", () => {
    const updates = run(initialDrawdownState(10_000), [9_400, 9_600, 9_750, 9_751]);
    expect(updates.map((u) => u.state.sizeHalved)).toEqual([true, true, true, false]);
    // 9,600 → 4% and 9,750 → exactly 2.5%: still halved. 9,751 → 2.49%: restored.
    expect(updates[1]?.events).toEqual([]);
    expect(updates[2]?.events).toEqual([]);
    expect(updates[3]?.events).toEqual([{ kind: "size-restored", drawdown: expect.closeTo(0.0249, 9) as number }]);
    // Halving is announced once, not on every reading below the line.
    expect(run(initialDrawdownState(10_000), [9_400, 9_300, 9_200]).flatMap((u) => u.events.map((e) => e.kind))).toEqual(["size-halved"]);
  });

  it("pauses for exactly 24 h at 10% drawdown, once per descent", () => {
    const updates = run(initialDrawdownState(10_000), [9_000, 8_800, 8_500]);
    const first = updates[0];
    // 10% at once: both rules fire in the same reading.
    expect(first?.events).toEqual([
      { kind: "size-halved", drawdown: 0.1 },
      { kind: "paused", drawdown: 0.1, until: T0 + 24 * HOUR },
    ]);
    expect(first?.state.pausedUntil).toBe(T0 + 24 * HOUR);
    expect(first?.state.pausedThisDescent).toBe(true);
    // Deeper in the same descent: no second pause, the end time does not move.
    expect(updates[1]?.events).toEqual([]);
    expect(updates[2]?.events).toEqual([]);
    expect(updates[2]?.state.pausedUntil).toBe(T0 + 24 * HOUR);
  });

  it("does not pause at 9.99%", () => {
    const update = updateDrawdown(initialDrawdownState(10_000), 9_001, T0, P);
    expect(update.state.pausedUntil).toBeNull();
    expect(update.events.map((e) => e.kind)).toEqual(["size-halved"]);
  });

  it("emits pause-ended once, when the pause has run out, and does not re-pause in the same descent", () => {
    const paused = updateDrawdown(initialDrawdownState(10_000), 9_000, T0, P).state;
    const justBefore = updateDrawdown(paused, 8_900, T0 + 24 * HOUR - 1, P);
    expect(justBefore.events).toEqual([]);
    expect(isDrawdownPaused(justBefore.state, T0 + 24 * HOUR - 1)).toBe(true);

    const atEnd = updateDrawdown(justBefore.state, 8_900, T0 + 24 * HOUR, P);
    expect(atEnd.events).toEqual([{ kind: "pause-ended" }]);
    expect(atEnd.state.pausedUntil).toBeNull();
    // Still 11% down, but the pause already fired this descent: trading resumes at half size.
    expect(atEnd.state.pausedThisDescent).toBe(true);
    expect(atEnd.state.sizeHalved).toBe(true);

    const later = updateDrawdown(atEnd.state, 8_800, T0 + 25 * HOUR, P);
    expect(later.events).toEqual([]);
    expect(isDrawdownPaused(later.state, T0 + 25 * HOUR)).toBe(false);
  });

  it("re-arms the pause after a new equity peak", () => {
    const updates = run(initialDrawdownState(10_000), [9_000, 10_000, 10_001, 9_000]);
    // 10,000 is back to the old peak, not a new one: still this descent.
    expect(updates[1]?.state.pausedThisDescent).toBe(true);
    expect(updates[2]?.state.peakEquity).toBe(10_001);
    expect(updates[2]?.state.pausedThisDescent).toBe(false);
    // 9,000 from 10,001 is 10.009%: pauses again, 24 h from that reading (3 h after T0).
    const last = updates[3];
    expect(last?.events.filter((e) => e.kind === "paused")).toEqual([{ kind: "paused", drawdown: expect.closeTo(1_001 / 10_001, 12) as number, until: T0 + 3 * HOUR + 24 * HOUR }]);
  });

  it("treats a zero or negative peak as no drawdown", () => {
    const update = updateDrawdown(initialDrawdownState(0), -100, T0, P);
    expect(update.drawdown).toBe(0);
    expect(update.events).toEqual([]);
  });
});

describe("isDrawdownPaused", () => {
  it("is true strictly before pausedUntil and false from it on", () => {
    const state: DrawdownState = { peakEquity: 10_000, sizeHalved: true, pausedUntil: T0 + 24 * HOUR, pausedThisDescent: true };
    expect(isDrawdownPaused(state, T0)).toBe(true);
    expect(isDrawdownPaused(state, T0 + 24 * HOUR - 1)).toBe(true);
    expect(isDrawdownPaused(state, T0 + 24 * HOUR)).toBe(false);
    expect(isDrawdownPaused(initialDrawdownState(10_000), T0)).toBe(false);
  });
});
