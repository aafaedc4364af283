import type { Job } from "bullmq";
import { describe, expect, it } from "vitest";
import { recalibrateModelJob } from "../../jobs/recalibrate-model";
import { engineParamsAt } from "../../src/app/active-weights";
import type { App } from "../../src/app/context";
import { reviewModel, reviewModelAndNotify } from "../../src/app/model-review";
import { recalibrate } from "../../src/app/recalibrate";
import type { StreamResult } from "../../src/core/signals/types";
import type { JobData, QUEUE } from "../../src/queue/queues";
import { useRecordingApps } from "../support/test-env";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DEC_1 = Date.UTC(2026, 11, 1);
const JAN_1 = Date.UTC(2027, 0, 1);
/** The drawdown pause: mid-month, so the month's own fit must not be reused. */
const NOW = Date.UTC(2026, 11, 15, 12);
const SYMBOL = "MNT/USDT:USDT";

const newApp = useRecordingApps();

function fundingStream(confirms: "long" | "short"): StreamResult {
  return { stream: "funding-anomaly", venue: "bybit", available: true, score: confirms === "long" ? 0.6 : -0.6, confirms, numbers: {}, summary: "" };
}

/** Signals whose 8 h horizon ends at or after NOW (one exactly at NOW − 8 h, one at NOW itself). */
const CROSSING = [NOW - 8 * HOUR, NOW - 6 * HOUR, NOW - 2 * HOUR, NOW];

/**
 * 60 short funding signals every 32 h up to 32 h before NOW, 3 in 5 right (a 1% drop 4/8/12 h
 * later) and 2 in 5 wrong (a 1% rise), so the fitted weight is well inside its clamp and moves
 * with every extra label. Plus the CROSSING signals with their entry prices (before NOW). With
 * `trap`, prices at and after NOW at 5 (a 400% rise): read, they would label the crossing shorts
 * as misses and change the fit.
 */
async function journal(trap: boolean) {
  const env = await newApp({ now: NOW });
  const { app } = env;
  const signal = (ts: number) => ({
    symbol: SYMBOL, venue: "bybit", ts: new Date(ts), direction: "short", fired: true, score: -0.6, confidence: 0.6, horizonHours: 8,
    explanation: "", streamsJson: JSON.stringify([fundingStream("short")]), modelVersion: "prior-v1",
  });
  const signals = [];
  const prices: { ts: number; price: number }[] = [];
  for (let i = 0; i < 60; i += 1) {
    const ts = NOW - 80 * DAY + i * 32 * HOUR;
    signals.push(signal(ts));
    const exit = i % 5 < 3 ? 0.99 : 1.01;
    prices.push({ ts, price: 1 }, ...[4, 8, 12].map((h) => ({ ts: ts + h * HOUR, price: exit })));
  }
  for (const ts of CROSSING) {
    signals.push(signal(ts));
    if (ts < NOW) prices.push({ ts, price: 1 });
  }
  if (trap) for (let t = NOW; t < NOW + 24 * HOUR; t += 15 * 60_000) prices.push({ ts: t, price: 5 });
  await app.db.signal.createMany({ data: signals });
  await app.db.marketSnapshot.createMany({
    data: prices.map((p) => ({ venue: "bybit", symbol: SYMBOL, ts: new Date(p.ts), fundingRate: 0.0001, markPrice: p.price, lastPrice: p.price })),
  });
  return env;
}

type CalibrationJob = Job<JobData[typeof QUEUE.calibration]>;
const fakeJob = (id: string, data: { reason: string; key?: string }): CalibrationJob => ({ id, data }) as unknown as CalibrationJob;

/** The same App, but every time bound of a journal query is recorded. */
function spyingOnReads(app: App): { app: App; bounds: { model: string; gte?: Date; lt?: Date; lte?: Date }[] } {
  const bounds: { model: string; gte?: Date; lt?: Date; lte?: Date }[] = [];
  const watch = (model: "signal" | "marketSnapshot") => new Proxy(app.db[model], {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop !== "findMany" || typeof value !== "function") return value;
      return (args: { where?: { ts?: { gte?: Date; lt?: Date; lte?: Date } } }) => {
        bounds.push({ model, ...args.where?.ts });
        return (value as (a: unknown) => unknown).call(target, args);
      };
    },
  });
  const db = new Proxy(app.db, {
    get(target, prop, receiver) {
      if (prop === "signal" || prop === "marketSnapshot") return watch(prop);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { app: { ...app, db }, bounds };
}

describe("drawdown model review", () => {
  it("refits on the 90 days before now and stores a new weight set the engine uses until the next monthly fit", async () => {
    const { app } = await journal(false);
    const monthly = await recalibrate(app, DEC_1 + 10 * 60_000);
    expect(monthly.weightSet.version).toBe("ws-2026-12-h8");

    const outcome = await reviewModel(app, NOW, { reason: "drawdown 10.2%", key: "drawdown-3" });
    expect(outcome.status).toBe("stored");
    expect(outcome.before.version).toBe("ws-2026-12-h8");
    const review = outcome.review;
    expect(review?.version).toBe("ws-review-drawdown-3-h8");
    expect(review?.windowStart).toBe(NOW - 90 * DAY);
    expect(review?.windowEnd).toBe(NOW);
    expect(review?.inForceFrom).toBe(NOW);
    // Every one of the 60 signals whose horizon ended before NOW, none of the crossing ones.
    expect(review?.samples).toBe(60);
    expect(review?.fits["funding-anomaly"]).toMatchObject({ fired: 60, hits: 36 });
    expect(review?.weights["funding-anomaly"]).not.toBe(monthly.weightSet.weights["funding-anomaly"]);
    expect(await app.db.weightSet.count()).toBe(2);

    expect((await engineParamsAt(app, NOW - 1)).ensemble.modelVersion).toBe("ws-2026-12-h8");
    const after = await engineParamsAt(app, NOW + HOUR);
    expect(after.ensemble.modelVersion).toBe("ws-review-drawdown-3-h8");
    expect(after.ensemble.weights["funding-anomaly"]).toBe(review?.weights["funding-anomaly"]);

    // The next monthly fit takes over from its month start.
    await recalibrate(app, JAN_1 + 10 * 60_000);
    expect((await engineParamsAt(app, JAN_1 - 1)).ensemble.modelVersion).toBe("ws-review-drawdown-3-h8");
    expect((await engineParamsAt(app, JAN_1 + HOUR)).ensemble.modelVersion).toBe("ws-2027-01-h8");
  });

  it("stores one row per review key, also when the job is retried later", async () => {
    const { app, setNow, notices } = await journal(false);
    const job = recalibrateModelJob({ app });
    const first = await job(fakeJob("7", { reason: "drawdown 10.2%", key: "drawdown-3" }));
    setNow(NOW + 60_000); // the retry comes after the backoff, with a later clock
    const retry = await job(fakeJob("7", { reason: "drawdown 10.2%", key: "drawdown-3" }));
    expect(retry.version).toBe(first.version);
    expect(retry.status).toBe("existing");
    expect(await app.db.weightSet.count()).toBe(1);
    const row = await app.db.weightSet.findUniqueOrThrow({ where: { version: "ws-review-drawdown-3-h8" } });
    expect(row.monthStart.getTime()).toBe(NOW);
    // The message is an outbox intent keyed by the review: a retry does not say it twice.
    const texts = notices.flatMap((n) => (n.kind === "text" ? [n.text] : []));
    expect(texts).toHaveLength(1);
    expect(await app.db.intent.count({ where: { id: "text-model-review-drawdown-3" } })).toBe(1);

    // Without a key the job id stands in: stable across retries.
    await job(fakeJob("8", { reason: "drawdown 11%" }));
    await job(fakeJob("8", { reason: "drawdown 11%" }));
    expect(await app.db.weightSet.count()).toBe(2);
    // A new pause (new key) is a new review.
    await job(fakeJob("9", { reason: "drawdown 10.5%", key: "drawdown-4" }));
    expect(await app.db.weightSet.count()).toBe(3);
    // The monthly run is unchanged.
    setNow(JAN_1 + 10 * 60_000);
    expect((await job(fakeJob("10", { reason: "monthly" }))).version).toBe("ws-2027-01-h8");
  });

  it("never reads a signal or price at or after now", async () => {
    const clean = await journal(false);
    const trapped = await journal(true);
    const spy = spyingOnReads(trapped.app);
    const a = await reviewModel(clean.app, NOW, { reason: "drawdown", key: "k" });
    const b = await reviewModel(spy.app, NOW, { reason: "drawdown", key: "k" });
    expect(b.review?.samples).toBe(60);
    expect(b.review?.weights).toEqual(a.review?.weights);
    expect(b.review?.fits).toEqual(a.review?.fits);
    expect(spy.bounds.map((q) => q.model).sort()).toEqual(["marketSnapshot", "signal"]);
    for (const q of spy.bounds) {
      expect(q.lte).toBeUndefined();
      expect(q.lt?.getTime()).toBeLessThanOrEqual(NOW);
    }
  });

  it("tells the chats old and new weights per stream, the versions, the window, the samples and the priors", async () => {
    const { app, notices } = await journal(false);
    const monthly = await recalibrate(app, DEC_1 + 10 * 60_000);
    notices.length = 0;
    const outcome = await reviewModelAndNotify(app, NOW, { reason: "drawdown 10.2%", key: "drawdown-3" });
    expect(notices).toHaveLength(1);
    const text = notices[0]?.kind === "text" ? notices[0].text : "";
    expect(text).toContain("drawdown 10.2%");
    expect(text).toContain("ws-2026-12-h8 → ws-review-drawdown-3-h8");
    const round2 = (w: number | undefined) => String(Math.round((w ?? NaN) * 100) / 100);
    expect(text).toContain(`funding-anomaly ${round2(monthly.weightSet.weights["funding-anomaly"])} → ${round2(outcome.review?.weights["funding-anomaly"])}`);
    expect(text).toContain("liquidation-walls 0.5 (unchanged), prior: only 0 fires (needs 20)");
    expect(text).toContain("60 labelled samples from 2026-09-16 12:00 UTC to 2026-12-15 12:00 UTC");
    expect(text).toContain("Kept the prior for lack of data: liquidation-walls, volume-divergence, book-imbalance");
  });

  it("says plainly that nothing changed when there is too little history, and stores nothing", async () => {
    const { app, notices } = await newApp({ now: NOW });
    await app.db.signal.create({
      data: {
        symbol: SYMBOL, venue: "bybit", ts: new Date(NOW - DAY), direction: "short", fired: true, score: -0.6, confidence: 0.6, horizonHours: 8,
        explanation: "", streamsJson: JSON.stringify([fundingStream("short")]), modelVersion: "prior-v1",
      },
    });
    const outcome = await reviewModelAndNotify(app, NOW, { reason: "drawdown 10%", key: "drawdown-1" });
    expect(outcome.status).toBe("unchanged");
    expect(await app.db.weightSet.count()).toBe(0);
    expect((await engineParamsAt(app, NOW + HOUR)).ensemble.modelVersion).toBe("prior-v1");
    const text = notices[0]?.kind === "text" ? notices[0].text : "";
    expect(text).toMatch(/nothing changed/);
    expect(text).toContain("prior-v1 stays in force");
    expect(text).not.toContain("→");
  });
});
