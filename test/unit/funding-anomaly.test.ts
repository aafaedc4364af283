import { describe, expect, it } from "vitest";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, fundingAnomaly, fundingBaseline, type FundingAnomalyParams } from "../../src/core/signals/funding-anomaly";
import type { TimedRate, VenueFundingView } from "../../src/core/signals/types";

const HOUR = 3_600_000;
const T = Date.UTC(2025, 0, 10, 8, 0, 0);
const P: FundingAnomalyParams = DEFAULT_FUNDING_ANOMALY_PARAMS;

/** Prints at T - k·stepHours for k = count..1 (oldest first), all with the given rate(s). */
function before(count: number, stepHours: number, rate: number | ((k: number) => number)): TimedRate[] {
  const out: TimedRate[] = [];
  for (let k = count; k >= 1; k--) out.push({ ts: T - k * stepHours * HOUR, rate: typeof rate === "number" ? rate : rate(k) });
  return out;
}

function view(rate: number, history: readonly TimedRate[], intervalHours = 8): VenueFundingView {
  return { current: { ts: T, rate }, intervalHours, history };
}

describe("fundingBaseline", () => {
  it("uses only the 24 h window when it holds at least minSamples (hourly venue)", () => {
    // 30 hourly prints from T-30h to T-1h; the window is [T-24h, T): 24 prints, T-24h included.
    const baseline = fundingBaseline(before(30, 1, 0.0001), T, P);
    expect(baseline).toHaveLength(24);
    expect(baseline[0]?.ts).toBe(T - 24 * HOUR);
    expect(baseline.at(-1)?.ts).toBe(T - HOUR);
  });

  it("widens to the latest minSamples observations when the window holds fewer (8-hourly venue)", () => {
    // Prints at T-80h … T-8h every 8 h: only T-24, T-16, T-8 are inside 24 h (3 < 6), so the
    // baseline is the latest 6: T-48h … T-8h.
    const baseline = fundingBaseline(before(10, 8, 0.0001), T, P);
    expect(baseline.map((p) => (T - p.ts) / HOUR)).toEqual([48, 40, 32, 24, 16, 8]);
  });

  it("never reads observations at or after current.ts, even when handed them", () => {
    const history = [...before(10, 8, 0.0001), { ts: T, rate: 0.05 }, { ts: T + HOUR, rate: 0.05 }];
    const baseline = fundingBaseline(history, T, P);
    expect(baseline.every((p) => p.ts < T)).toBe(true);
    expect(baseline).toHaveLength(6);
    // And the stream result is the same as without the future prints.
    expect(fundingAnomaly("x", view(0.0002, history))).toEqual(fundingAnomaly("x", view(0.0002, before(10, 8, 0.0001))));
  });

  it("does not widen beyond maxLookbackHours (7 days, inclusive at the edge)", () => {
    // 5 prints at T-40h … T-8h plus one exactly 168 h back: 6 observations → enough.
    const atEdge = [{ ts: T - 168 * HOUR, rate: 0.0001 }, ...before(5, 8, 0.0001)];
    expect(fundingBaseline(atEdge, T, P)).toHaveLength(6);
    expect(fundingAnomaly("x", view(0.0001, atEdge)).available).toBe(true);
    // 1 ms older and it no longer counts: 5 observations → not enough.
    const pastEdge = [{ ts: T - 168 * HOUR - 1, rate: 0.0001 }, ...before(5, 8, 0.0001)];
    expect(fundingBaseline(pastEdge, T, P)).toHaveLength(5);
    expect(fundingAnomaly("x", view(0.0001, pastEdge)).available).toBe(false);
  });
});

describe("fundingAnomaly", () => {
  // Baseline pinned at 0.01% → sample std 0 → floored to minStd = 0.005%. So z = (rate - 0.0001) / 0.00005.
  const pinned = before(6, 8, 0.0001);

  it("fires at exactly 1.5σ and not just below it", () => {
    // 0.0175%: (0.000175 - 0.0001) / 0.00005 = 1.5 exactly (in decimal).
    const atThreshold = fundingAnomaly("bybit", view(0.000175, pinned));
    expect(atThreshold.available).toBe(true);
    expect(atThreshold.confirms).toBe("short");
    expect(atThreshold.numbers.z).toBeCloseTo(1.5, 9);
    expect(atThreshold.score).toBeCloseTo(-0.5, 9); // -z / (2·1.5)

    // 0.00017499: z = 0.00007499 / 0.00005 = 1.4998 → normal.
    const below = fundingAnomaly("bybit", view(0.00017499, pinned));
    expect(below.confirms).toBe("neutral");
    expect(below.numbers.z).toBe(1.4998);
    // Even a hair below (z = 1.49998) does not fire.
    expect(fundingAnomaly("bybit", view(0.000174999, pinned)).confirms).toBe("neutral");
    expect(below.summary).toContain("normal");
  });

  it("fires at exactly 1.5σ with a real spread (std above the floor)", () => {
    // Deviations 0.00005·[3, -3, 1, -1, 0, 0] around 0.0001: mean 0.0001, squares sum
    // 0.00005²·20, / (6-1) → variance 0.00005²·4 → std 0.0001. 1.5σ above: 0.00025.
    const dev = [3, -3, 1, -1, 0, 0];
    const history = before(6, 8, (k) => 0.0001 + 0.00005 * (dev[6 - k] ?? 0));
    const at = fundingAnomaly("okx", view(0.00025, history));
    expect(at.numbers.average).toBeCloseTo(0.0001, 12);
    expect(at.numbers.std).toBeCloseTo(0.0001, 12);
    expect(at.confirms).toBe("short");
    expect(fundingAnomaly("okx", view(0.000249, history)).confirms).toBe("neutral"); // z = 1.49
    // And the other side: 1.5σ below = -0.00005 → long.
    expect(fundingAnomaly("okx", view(-0.00005, history)).confirms).toBe("long");
    expect(fundingAnomaly("okx", view(-0.000049, history)).confirms).toBe("neutral"); // z = -1.49
  });

  it("is contrarian: crowded longs (high funding) → short, negative funding → long", () => {
    // 0.0003: z = 0.0002 / 0.00005 = 4 → short, score clamped to -1.
    const high = fundingAnomaly("bybit", view(0.0003, pinned));
    expect(high.confirms).toBe("short");
    expect(high.score).toBe(-1);
    expect(high.summary).toContain("leaning short");
    // -0.0001: z = -0.0002 / 0.00005 = -4 → long, score +1.
    const negative = fundingAnomaly("bybit", view(-0.0001, pinned));
    expect(negative.confirms).toBe("long");
    expect(negative.score).toBe(1);
    expect(negative.summary).toContain("leaning long");
    // 0.00002: z = -0.00008 / 0.00005 = -1.6 → long, score 1.6 / 3 ≈ 0.5333.
    const low = fundingAnomaly("bybit", view(0.00002, pinned));
    expect(low.confirms).toBe("long");
    expect(low.score).toBeCloseTo(0.5333333, 6);
  });

  it("floors the standard deviation with constant funding, so a tiny wobble is not an anomaly", () => {
    // Without the floor std = 0 and any difference is ±∞σ. With it: z = 0.0000001 / 0.00005 = 0.002.
    const wobble = fundingAnomaly("bybit", view(0.0001001, pinned));
    expect(wobble.numbers.std).toBe(0.00005);
    expect(wobble.numbers.z).toBeCloseTo(0.002, 6);
    expect(wobble.confirms).toBe("neutral");
    expect(Number.isFinite(wobble.score)).toBe(true);
    // Same rate as the baseline: z = 0, score 0.
    const flat = fundingAnomaly("bybit", view(0.0001, pinned));
    expect(flat.numbers.z).toBe(0);
    expect(flat.score).toBeCloseTo(0, 12);
  });

  it("is unavailable and neutral with too little history", () => {
    for (const history of [[], before(5, 8, 0.0001)]) {
      const result = fundingAnomaly("okx", view(0.01, history));
      expect(result.available).toBe(false);
      expect(result.confirms).toBe("neutral");
      expect(result.score).toBe(0);
      expect(result.numbers).toEqual({ samples: history.length, needed: 6 });
      expect(result.summary).toContain(`${history.length} of 6`);
    }
    // Six is enough.
    expect(fundingAnomaly("okx", view(0.01, before(6, 8, 0.0001))).available).toBe(true);
  });

  it("keeps the score in [-1, 1] and proportional below the clamp", () => {
    const cases: [number, number][] = [
      [0.01, -1], // z = 198
      [-0.01, 1], // z = -202
      [0.000175, -0.5], // z = 1.5
      [0.0001375, -0.25], // z = 0.75 (neutral, but still scored)
      [0.00025, -1], // z = 3 = 2·threshold → exactly -1
    ];
    for (const [rate, expected] of cases) {
      const result = fundingAnomaly("bybit", view(rate, pinned));
      expect(result.score).toBeGreaterThanOrEqual(-1);
      expect(result.score).toBeLessThanOrEqual(1);
      expect(result.score).toBeCloseTo(expected, 9);
    }
  });

  it("reports the numbers behind the score", () => {
    const result = fundingAnomaly("bybit", view(0.0003, pinned, 4));
    expect(result.stream).toBe("funding-anomaly");
    expect(result.venue).toBe("bybit");
    expect(result.numbers).toMatchObject({ rate: 0.0003, std: 0.00005, z: 4, samples: 6, intervalHours: 4 });
    expect(result.numbers.average).toBeCloseTo(0.0001, 12);
  });
});
