import { describe, expect, it } from "vitest";
import { combineVenues, decide, type EnsembleParams } from "../../src/core/signals/ensemble";
import type { Direction, StreamName, StreamResult } from "../../src/core/signals/types";

function result(stream: StreamName, venue: string, score: number, confirms: Direction, available = true): StreamResult {
  return { stream, venue, available, score, confirms, numbers: { s: score }, summary: `${stream}@${venue}.` };
}

const conservative: EnsembleParams = { profile: "conservative", weights: {}, scoreThreshold: 0.3, horizonHours: 8, modelVersion: "test-v1" };
const aggressive: EnsembleParams = { ...conservative, profile: "aggressive" };

describe("combineVenues", () => {
  it("returns null for no venues", () => {
    expect(combineVenues([])).toBeNull();
  });

  it("averages the available venues only and confirms when none contradicts", () => {
    const combined = combineVenues([
      result("funding-anomaly", "bybit", -0.6, "short"),
      result("funding-anomaly", "okx", -0.2, "neutral"),
      result("funding-anomaly", "binanceusdm", 0.9, "long", false), // no data: ignored entirely
    ]);
    // (-0.6 + -0.2) / 2 = -0.4
    expect(combined?.score).toBeCloseTo(-0.4, 12);
    expect(combined?.confirms).toBe("short");
    expect(combined?.available).toBe(true);
    expect(combined?.venue).toBe("bybit+okx");
    expect(combined?.numbers).toEqual({ "bybit.s": -0.6, "okx.s": -0.2 });
    expect(combined?.summary).toBe("funding-anomaly@bybit. funding-anomaly@okx.");
  });

  it("does not confirm when one venue contradicts another", () => {
    const combined = combineVenues([
      result("funding-anomaly", "bybit", -0.9, "short"),
      result("funding-anomaly", "okx", 0.5, "long"),
      result("funding-anomaly", "binanceusdm", -0.2, "short"),
    ]);
    expect(combined?.confirms).toBe("neutral");
    expect(combined?.score).toBeCloseTo(-0.2, 12); // (-0.9 + 0.5 - 0.2) / 3
  });

  it("confirms when several venues agree", () => {
    const combined = combineVenues([result("funding-anomaly", "bybit", 0.6, "long"), result("funding-anomaly", "okx", 0.8, "long")]);
    expect(combined?.confirms).toBe("long");
    expect(combined?.score).toBeCloseTo(0.7, 12);
  });

  it("stays unavailable when no venue had data", () => {
    const combined = combineVenues([
      result("funding-anomaly", "bybit", 0, "neutral", false),
      result("funding-anomaly", "okx", 0, "neutral", false),
    ]);
    expect(combined?.available).toBe(false);
    expect(combined?.confirms).toBe("neutral");
    expect(combined?.venue).toBe("bybit+okx");
  });
});

describe("decide", () => {
  const four = (confirming: number, direction: "long" | "short"): StreamResult[] => {
    const names: StreamName[] = ["funding-anomaly", "liquidation-walls", "volume-divergence", "book-imbalance"];
    const sign = direction === "long" ? 1 : -1;
    return names.map((name, i) => (i < confirming ? result(name, "all", sign * 0.6, direction) : result(name, "all", sign * 0.6, "neutral")));
  };

  it("conservative needs 3 of 4 confirmations", () => {
    // Every stream scores -0.6 → weighted score -0.6, past the 0.3 threshold; only the count decides.
    const two = decide(four(2, "short"), conservative);
    expect(two.required).toBe(3);
    expect(two.fired).toBe(false);
    expect(two.direction).toBe("neutral");
    expect(two.confidence).toBe(0);
    expect(two.explanation).toContain("No trade: 2 of 4 streams confirm a direction (need 3)");

    const three = decide(four(3, "short"), conservative);
    expect(three.fired).toBe(true);
    expect(three.direction).toBe("short");
    expect(three.confirming).toEqual(["funding-anomaly", "liquidation-walls", "volume-divergence"]);
    expect(three.confidence).toBe(0.6);
    expect(three.explanation).toContain("SHORT for the next 8h: 3 of 4 streams confirm (the conservative profile needs 3)");
  });

  it("aggressive needs 2 confirmations", () => {
    expect(decide(four(1, "long"), aggressive).fired).toBe(false);
    const two = decide(four(2, "long"), aggressive);
    expect(two.required).toBe(2);
    expect(two.direction).toBe("long");
    expect(two.explanation).toContain("2 of 4 streams confirm (the aggressive profile needs 2)");
  });

  it("caps the confirmations needed at the number of streams", () => {
    const one = [result("funding-anomaly", "bybit", -0.5, "short")];
    expect(decide(one, conservative).required).toBe(1);
    expect(decide(one, conservative).direction).toBe("short");
    const two = [result("funding-anomaly", "bybit", -0.5, "short"), result("book-imbalance", "bybit", -0.5, "neutral")];
    expect(decide(two, conservative).required).toBe(2);
    expect(decide(two, conservative).fired).toBe(false);
    expect(decide(two, aggressive).required).toBe(2);
  });

  it("weights each stream's score; unweighted streams count 1", () => {
    // funding: weight 3, score -0.8; book: weight 1 (default), score 0.4 → (-2.4 + 0.4) / 4 = -0.5.
    const streams = [result("funding-anomaly", "all", -0.8, "short"), result("book-imbalance", "all", 0.4, "long")];
    const weighted = decide(streams, { ...aggressive, weights: { "funding-anomaly": 3 } });
    expect(weighted.score).toBeCloseTo(-0.5, 12);
    // Leaning short but only one stream confirms short: no trade with 2 required.
    expect(weighted.confirming).toEqual(["funding-anomaly"]);
    expect(weighted.fired).toBe(false);
    // Flip the weights: (−0.8 + 3·0.4) / 4 = 0.1 → leaning long.
    expect(decide(streams, { ...aggressive, weights: { "book-imbalance": 3 } }).score).toBeCloseTo(0.1, 12);
  });

  it("ignores unavailable streams in the weighted score but counts them as streams", () => {
    const streams = [result("funding-anomaly", "all", -0.6, "short"), result("book-imbalance", "all", 0.9, "long", false)];
    const decision = decide(streams, aggressive);
    expect(decision.score).toBeCloseTo(-0.6, 12);
    expect(decision.required).toBe(2);
    expect(decision.fired).toBe(false);
    expect(decision.explanation).toContain("1 of 2 streams");
  });

  it("fires at exactly the score threshold and not below", () => {
    const at = [result("funding-anomaly", "all", -0.5, "short")];
    expect(decide(at, { ...conservative, scoreThreshold: 0.5 }).fired).toBe(true);
    const below = [result("funding-anomaly", "all", -0.49, "short")];
    const decision = decide(below, { ...conservative, scoreThreshold: 0.5 });
    expect(decision.fired).toBe(false);
    expect(decision.explanation).toContain("threshold 0.5");
  });

  it("is neutral when nothing is available", () => {
    const decision = decide([result("funding-anomaly", "all", -0.9, "short", false)], conservative);
    expect(decision).toMatchObject({ direction: "neutral", fired: false, score: 0, confidence: 0, confirming: [] });
    expect(decide([], conservative)).toMatchObject({ direction: "neutral", fired: false, score: 0 });
  });

  it("a stream confirming the other way than the weighted lean does not count", () => {
    // Score mean = (0.9 + 0.9 - 0.6) / 3 = 0.4 → leaning long; the short confirmation is not counted.
    const streams = [
      result("funding-anomaly", "all", 0.9, "long"),
      result("liquidation-walls", "all", 0.9, "long"),
      result("book-imbalance", "all", -0.6, "short"),
    ];
    const decision = decide(streams, conservative);
    expect(decision.confirming).toEqual(["funding-anomaly", "liquidation-walls"]);
    expect(decision.required).toBe(3);
    expect(decision.fired).toBe(false);
    expect(decide(streams, aggressive).direction).toBe("long");
  });

  it("carries horizon, model version and every stream summary", () => {
    const decision = decide([result("funding-anomaly", "bybit", -0.5, "short")], { ...conservative, horizonHours: 12, modelVersion: "wf-2025-01" });
    expect(decision.horizonHours).toBe(12);
    expect(decision.modelVersion).toBe("wf-2025-01");
    expect(decision.explanation.split("\n")).toEqual([
      "SHORT for the next 12h: 1 of 1 streams confirm (the conservative profile needs 1); weighted score -0.5.",
      "funding-anomaly@bybit.",
    ]);
  });
});
