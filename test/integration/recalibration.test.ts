import { describe, expect, it } from "vitest";
import { recalibrate } from "../../src/app/recalibrate";
import { engineParamsAt } from "../../src/app/active-weights";
import type { StreamResult } from "../../src/core/signals/types";
import { useRecordingApps } from "../support/test-env";

const HOUR = 3_600_000;
const DEC_1 = Date.UTC(2026, 11, 1);
const NOV_1 = Date.UTC(2026, 10, 1);

const newApp = useRecordingApps();

function fundingStream(confirms: "long" | "short"): StreamResult {
  return { stream: "funding-anomaly", venue: "bybit", available: true, score: confirms === "long" ? 0.6 : -0.6, confirms, numbers: {}, summary: "" };
}

/**
 * A journal of 60 short signals in September–November, each followed 8 h later by a 1% drop
 * (a hit). The trap: 12 more short signals in the last 11 hours of November, on a falling price,
 * most of whose horizons end in December; and, with `peekTrap`,
 * prices from December 1st 00:00 on at 5× (a rise: every one of those shorts a miss). A
 * calibration that read a price at or after the month start, or labelled a sample whose horizon
 * crosses it, would count those misses; one that does neither sees the same data either way.
 */
async function journal(peekTrap: boolean) {
  const env = await newApp({ now: DEC_1 });
  const { app } = env;
  const signals = [];
  const prices: { ts: number; price: number }[] = [];
  for (let i = 0; i < 60; i += 1) {
    const ts = DEC_1 - 80 * 24 * HOUR + i * 32 * HOUR;
    signals.push({
      symbol: "MNT/USDT:USDT", venue: "bybit", ts: new Date(ts), direction: "short", fired: true, score: -0.6, confidence: 0.6, horizonHours: 8,
      explanation: "", streamsJson: JSON.stringify([fundingStream("short")]), modelVersion: "prior-v1",
    });
    prices.push({ ts, price: 1 }, ...[4, 8, 12].map((h) => ({ ts: ts + h * HOUR, price: 0.99 })));
  }
  for (let i = 0; i < 12; i += 1) {
    const ts = DEC_1 - 11 * HOUR + i * 55 * 60_000;
    signals.push({
      symbol: "MNT/USDT:USDT", venue: "bybit", ts: new Date(ts), direction: "short", fired: true, score: -0.6, confidence: 0.6, horizonHours: 8,
      explanation: "", streamsJson: JSON.stringify([fundingStream("short")]), modelVersion: "prior-v1",
    });
    // Falling through the evening: a later one's entry price is an earlier one's exit, and a hit.
    prices.push({ ts, price: 0.99 - 0.001 * i });
  }
  if (peekTrap) for (let t = DEC_1; t < DEC_1 + 24 * HOUR; t += 15 * 60_000) prices.push({ ts: t, price: 5 });
  await app.db.signal.createMany({ data: signals });
  await app.db.marketSnapshot.createMany({
    data: prices.map((p) => ({ venue: "bybit", symbol: "MNT/USDT:USDT", ts: new Date(p.ts), fundingRate: 0.0001, markPrice: p.price, lastPrice: p.price })),
  });
  return env;
}

describe("monthly recalibration from the journal", () => {
  it("fits weights on the 90 days before the month, stores them once, and the engine uses them", async () => {
    const { app, notices } = await journal(false);
    const first = await recalibrate(app, DEC_1 + 10 * 60_000);
    expect(first.weightSet.version).toBe("ws-2026-12-h8");
    expect(first.weightSet.inSample["funding-anomaly"]?.fired).toBeGreaterThanOrEqual(58);
    expect(first.weightSet.inSample["funding-anomaly"]?.hitRate).toBe(1);
    expect(first.weightSet.weights["funding-anomaly"]).toBeGreaterThan(first.weightSet.weights["book-imbalance"] ?? 0);
    expect(first.weightSet.priors).toEqual(["liquidation-walls", "volume-divergence", "book-imbalance"]);
    await recalibrate(app, DEC_1 + 20 * 60_000);
    expect(await app.db.weightSet.count()).toBe(1);
    expect(notices.some((n) => n.kind === "text" && /Model weights for 2026-12/.test(n.text))).toBe(true);

    const params = await engineParamsAt(app, DEC_1 + HOUR);
    expect(params.ensemble.modelVersion).toBe("ws-2026-12-h8");
    expect((await engineParamsAt(app, NOV_1)).ensemble.modelVersion).toBe("prior-v1");
  });

  it("never reads prices at or after the month it calibrates", async () => {
    const clean = await journal(false);
    const trapped = await journal(true);
    const a = await recalibrate(clean.app, DEC_1 + 10 * 60_000);
    const b = await recalibrate(trapped.app, DEC_1 + 10 * 60_000);
    expect(b.weightSet.weights).toEqual(a.weightSet.weights);
    expect(b.weightSet.inSample).toEqual(a.weightSet.inSample);
    // The trap is reachable: the samples whose horizon crosses December 1st are in the journal
    // window, and with the later prices read they would have been labelled (as misses).
    expect(a.weightSet.inSample["funding-anomaly"]?.hitRate).toBe(1);
    const late = (await trapped.app.db.signal.findMany({ where: { ts: { gte: new Date(DEC_1 - 12 * HOUR), lt: new Date(DEC_1) } } })).length;
    expect(late).toBe(12);
    const withDecember = await trapped.app.db.marketSnapshot.count({ where: { ts: { gte: new Date(DEC_1) } } });
    expect(withDecember).toBeGreaterThan(0);
  });

  it("records last month's out-of-sample result on the weight set used in it", async () => {
    const { app } = await journal(false);
    await recalibrate(app, NOV_1 + 60_000);
    const outcome = await recalibrate(app, DEC_1 + 60_000);
    expect(outcome.previousMonth?.version).toBe("ws-2026-11-h8");
    const november = await app.db.weightSet.findUniqueOrThrow({ where: { version: "ws-2026-11-h8" } });
    const oos = JSON.parse(november.outOfSampleJson ?? "{}") as { fired: number; hits: number };
    expect(oos.fired).toBeGreaterThan(20);
    expect(oos.hits).toBe(oos.fired);
  });
});
