import type { Job } from "bullmq";
import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { recalibrateModelJob } from "../../jobs/recalibrate-model";
import { checkJournalDrift, completedMonths, describeDriftMonths, journalMonths, PUBLISHED_DRIFT_BASELINE } from "../../src/app/journal-drift";
import type { App } from "../../src/app/context";
import { assessDrift, type DriftAssessment, type MonthFigures } from "../../src/core/calibration/drift";
import type { JobData, QUEUE } from "../../src/queue/queues";
import { useRecordingApps } from "../support/test-env";

/**
 * Constructed journals (real SQLite, rows as the lifecycle writes them) held against the seed's
 * published baseline: 58% wins, average win 1.47 R, average loss 1 R, expectancy 0.4326 R.
 * Every trade risks 20 USDT (1,000 at 1.00 with the stop at 0.98), so its PnL is 20 × its R.
 */
const DEC_1 = Date.UTC(2026, 11, 1);
const NOW = DEC_1 + 10 * 60_000; // the monthly job's time: 00:10 on the 1st
const HOUR = 3_600_000;
const RISK_USD = 20;
const BASE_E = new Decimal("0.4326");

const newApp = useRecordingApps();

let seq = 0;
/** One closed trade exiting at `closedAt` with result `r` (in R), its rows as saveTrade leaves them. */
function tradeRows(closedAt: number, r: Decimal.Value) {
  seq += 1;
  const id = `pdrift${seq}`;
  const opened = new Date(closedAt - 2 * HOUR);
  const pnl = new Decimal(r).times(RISK_USD);
  const exitPrice = new Decimal(1).plus(pnl.div(1000));
  return {
    proposal: {
      id, symbol: "MNT/USDT:USDT", venue: "bybit", side: "long", status: "closed", version: 6, refPrice: "1", quantity: "1000", notionalUsd: "1000",
      marginUsd: "200", leverage: 5, stopPrice: "0.98", takeProfitPrice: "1.03", horizonHours: 8, createdAt: opened, expiresAt: new Date(opened.getTime() + 30 * 60_000),
      decidedAt: opened, decidedBy: "alice (telegram)", decidedVia: "telegram", decidedByUserId: "111", updatedAt: new Date(closedAt),
    },
    orders: [
      { clientOrderId: `${id}-e`, proposalId: id, mode: "paper", purpose: "entry", venue: "bybit", symbol: "MNT/USDT:USDT", side: "buy", requestedQty: "1000", filledQty: "1000", avgPrice: "1", status: "filled", createdAt: opened },
      { clientOrderId: `${id}-x`, proposalId: id, mode: "paper", purpose: "exit", venue: "bybit", symbol: "MNT/USDT:USDT", side: "sell", requestedQty: "1000", filledQty: "1000", avgPrice: exitPrice.toString(), status: "filled", createdAt: new Date(closedAt) },
    ],
    position: {
      proposalId: id, mode: "paper", venue: "bybit", symbol: "MNT/USDT:USDT", side: "long", quantity: "1000", entryPrice: "1", entryTs: opened, leverage: 5, marginUsd: "200",
      stopPrice: "0.98", takeProfitPrice: "1.03", exitDueTs: new Date(opened.getTime() + 8 * HOUR), status: "closed", exitPrice: exitPrice.toString(), exitTs: new Date(closedAt),
      closeReason: pnl.gt(0) ? "take-profit" : "stop-loss", realizedPnl: pnl.toString(),
    },
  };
}

async function journal(app: App, trades: readonly { closedAt: number; r: Decimal.Value }[]): Promise<void> {
  const rows = trades.map((t) => tradeRows(t.closedAt, t.r));
  await app.db.proposal.createMany({ data: rows.map((r) => r.proposal) });
  await app.db.order.createMany({ data: rows.flatMap((r) => r.orders) });
  await app.db.position.createMany({ data: rows.map((r) => r.position) });
}

/**
 * A month of 50 trades (unless `trades` says less) closing inside [start, end): 58% wins, losses
 * of `lossR` each, wins of 1.47 R, or, with `expectancyBelow`, wins of 1.4 R and one win that
 * makes the month's expectancy exactly that fraction below the baseline's. Both edges of the
 * month are used: the first trade closes at its first millisecond, the last at its last.
 */
function month(label: string, input: { expectancyBelow?: string; lossR?: string; trades?: number } = {}): { closedAt: number; r: Decimal }[] {
  const span = completedMonthsOf(label);
  const n = input.trades ?? 50;
  const wins = Math.round(n * 0.58);
  const loss = new Decimal(input.lossR ?? "-1");
  const results: Decimal[] = Array.from({ length: n - wins }, () => loss);
  if (input.expectancyBelow === undefined) {
    results.push(...Array.from({ length: wins }, () => new Decimal("1.47")));
  } else {
    const total = BASE_E.times(new Decimal(1).minus(input.expectancyBelow)).times(n);
    const rest = total.minus(loss.times(n - wins)).minus(new Decimal("1.4").times(wins - 1));
    results.push(...Array.from({ length: wins - 1 }, () => new Decimal("1.4")), rest);
  }
  const step = Math.floor((span.end - 1 - span.start) / Math.max(1, n - 1));
  return results.map((r, i) => ({ closedAt: i === n - 1 ? span.end - 1 : span.start + i * step, r }));
}

function completedMonthsOf(label: string): { start: number; end: number } {
  const [y, m] = label.split("-").map(Number);
  const start = Date.UTC(y ?? 0, (m ?? 1) - 1, 1);
  return { start, end: Date.UTC(y ?? 0, m ?? 1, 1) };
}

async function intentsOf(app: App) {
  return (await app.db.intent.findMany({ where: { id: { contains: "drift" } }, orderBy: { id: "asc" } })).map((i) => ({ id: i.id, kind: i.kind, ...(JSON.parse(i.payloadJson) as object) }));
}

/** The same months judged with a lower minimum of trades. */
const assessDriftOf = (a: DriftAssessment, minTrades: number): DriftAssessment =>
  assessDrift(a.months.map((m) => ({ month: m.month, trades: m.trades, ...Object.fromEntries(m.figures.map((f) => [f.figure, f.actual])) }) as MonthFigures), a.baseline, { ...a.params, minTrades });

type CalibrationJob = Job<JobData[typeof QUEUE.calibration]>;
const fakeJob = (id: string, data: { reason: string }): CalibrationJob => ({ id, data }) as unknown as CalibrationJob;

describe("the journal's months", () => {
  it("are the two completed calendar months before now (UTC), across a year boundary too", () => {
    expect(completedMonths(NOW, 2).map((m) => m.month)).toEqual(["2026-10", "2026-11"]);
    expect(completedMonths(Date.UTC(2027, 0, 1, 0, 10), 2).map((m) => m.month)).toEqual(["2026-11", "2026-12"]);
    expect(completedMonths(Date.UTC(2027, 1, 15), 2).map((m) => m.month)).toEqual(["2026-12", "2027-01"]);
  });

  it("count each trade in the month its exit falls in, to the millisecond, in R after costs", async () => {
    const { app } = await newApp({ now: NOW });
    await journal(app, [
      ...month("2026-10"), ...month("2026-11"),
      { closedAt: Date.UTC(2026, 9, 1) - 1, r: -5 }, // September: not one of the two months
      { closedAt: DEC_1, r: -5 }, // December, the month in progress: not completed
    ]);
    const [oct, nov] = await journalMonths(app, NOW);
    expect(oct).toMatchObject({ month: "2026-10", trades: 50, winRate: 0.58, averageLossR: 1 });
    expect(oct?.averageWinR).toBeCloseTo(1.47, 12);
    expect(nov?.trades).toBe(50);
    expect(nov?.expectancyR).toBeCloseTo(0.4326, 12);
    const { assessment, written } = await checkJournalDrift(app, NOW);
    expect(assessment.action).toBe("none");
    expect(written).toEqual([]);
    expect(await app.db.intent.count()).toBe(0);
  });
});

describe("drift on constructed journals (real SQLite, the published baseline)", () => {
  it("exactly 10% below two months running is nothing", async () => {
    const { app } = await newApp({ now: NOW });
    await journal(app, [...month("2026-10", { expectancyBelow: "0.1" }), ...month("2026-11", { expectancyBelow: "0.1" })]);
    const { assessment } = await checkJournalDrift(app, NOW);
    expect(assessment.months[1]?.figures.find((f) => f.figure === "expectancyR")?.shortfall).toBeCloseTo(0.1, 9);
    expect(assessment.action).toBe("none");
    expect(await intentsOf(app)).toEqual([]);
  });

  it("10.01% below two months running queues one recalibration and one notice, also when run twice", async () => {
    const { app, reviews, notices } = await newApp({ now: NOW });
    await journal(app, [...month("2026-10", { expectancyBelow: "0.1001" }), ...month("2026-11", { expectancyBelow: "0.1001" })]);
    const first = await checkJournalDrift(app, NOW);
    expect(first.assessment.action).toBe("recalibrate");
    expect(first.written).toEqual(["review-drift-2026-11", "text-drift-recalibrate-2026-11"]);
    const second = await checkJournalDrift(app, NOW + HOUR);
    expect(second.assessment.action).toBe("recalibrate");
    expect(second.written).toEqual([]);
    const intents = await intentsOf(app);
    expect(intents.map((i) => i.id)).toEqual(["review-drift-2026-11", "text-drift-recalibrate-2026-11"]);
    expect(intents[0]).toMatchObject({ kind: "model-review", key: "drift-2026-11", reason: expect.stringMatching(/^drift: expectancy more than 10% below the baseline two months running \(to 2026-11\)$/) as unknown });
    expect(intents[1]).toMatchObject({ kind: "text", event: "system" });
    expect(reviews).toHaveLength(1);
    const texts = notices.flatMap((n) => (n.kind === "text" ? [n.text] : []));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/^📉 Drift two months running: expectancy 0\.389R in 2026-10 and 0\.389R in 2026-11 \(10\.01% and 10\.01% below the baseline's 0\.433R\), more than 10% below it\. A recalibration is queued/);
    expect(texts[0]).toContain("Baseline: the seed's published backtest");
  });

  it("only the latest month below is nothing; a thin month in the run is not judged", async () => {
    const onlyLatest = await newApp({ now: NOW });
    await journal(onlyLatest.app, [...month("2026-10"), ...month("2026-11", { expectancyBelow: "0.14" })]);
    expect((await checkJournalDrift(onlyLatest.app, NOW)).assessment.action).toBe("none");

    const thin = await newApp({ now: NOW });
    // October: 29 trades with losses of 1.5 R (50% worse); November: losses of 1.12 R (12% worse, expectancy 11.6% below).
    await journal(thin.app, [...month("2026-10", { lossR: "-1.5", trades: 29 }), ...month("2026-11", { lossR: "-1.12" })]);
    const { assessment } = await checkJournalDrift(thin.app, NOW);
    expect(assessment.months.map((m) => [m.month, m.trades, m.enoughData])).toEqual([["2026-10", 29, false], ["2026-11", 50, true]]);
    expect(assessment.action).toBe("none");
    expect(describeDriftMonths(assessment)[0]).toBe(
      "2026-10: 29 trades (under 30: not enough data, not judged); win rate 58.62% (1.07% better), average win 1.47R (at the baseline), average loss 1.5R (50% worse), expectancy 0.241R (44.28% worse).",
    );
    // Judged as a full month, October would have made a two-month run with November.
    expect(assessDriftOf(assessment, 29).recalibrate.map((t) => t.figure)).toEqual(["averageLossR", "expectancyR"]);
    expect(await intentsOf(thin.app)).toEqual([]);
  });

  it("15% below in the latest month is not a retrain; 15.01% is, said once", async () => {
    const at = await newApp({ now: NOW });
    await journal(at.app, [...month("2026-10"), ...month("2026-11", { expectancyBelow: "0.15" })]);
    expect((await checkJournalDrift(at.app, NOW)).assessment.action).toBe("none");

    const over = await newApp({ now: NOW });
    await journal(over.app, [...month("2026-10"), ...month("2026-11", { expectancyBelow: "0.1501" })]);
    await checkJournalDrift(over.app, NOW);
    const { assessment, written } = await checkJournalDrift(over.app, NOW + HOUR);
    expect(assessment.action).toBe("retrain");
    expect(written).toEqual([]);
    const intents = await intentsOf(over.app);
    expect(intents.map((i) => i.id)).toEqual(["text-drift-retrain-2026-11"]); // no two-month run: no recalibration
    expect(intents[0]).toMatchObject({ event: "system", text: expect.stringMatching(/^🛠 Retrain needed: in 2026-11 \(50 trades\) expectancy 0\.368R in 2026-11 \(15\.01% below the baseline's 0\.433R\), more than 15% below it\. A recalibration only re-weights/) as unknown });
  });

  it("an average loss 10% bigger two months running is nothing; 10.01% bigger queues a recalibration", async () => {
    const at = await newApp({ now: NOW });
    await journal(at.app, [...month("2026-10", { lossR: "-1.1" }), ...month("2026-11", { lossR: "-1.1" })]);
    expect((await checkJournalDrift(at.app, NOW)).assessment.action).toBe("none");

    const over = await newApp({ now: NOW });
    await journal(over.app, [...month("2026-10", { lossR: "-1.1001" }), ...month("2026-11", { lossR: "-1.1001" })]);
    const { assessment } = await checkJournalDrift(over.app, NOW);
    expect(assessment.recalibrate.map((t) => t.figure)).toEqual(["averageLossR"]); // expectancy falls 9.7%: not drift
    expect((await intentsOf(over.app)).find((i) => i.kind === "text")).toMatchObject({ text: expect.stringContaining("average loss 1.1R in 2026-10 and 1.1R in 2026-11 (10.01% and 10.01% worse than the baseline's 1R)") as unknown });
  });

  it("runs across a year boundary: December and January, keyed by January", async () => {
    const feb1 = Date.UTC(2027, 1, 1, 0, 10);
    const { app } = await newApp({ now: feb1 });
    await journal(app, [...month("2026-12", { expectancyBelow: "0.2" }), ...month("2027-01", { expectancyBelow: "0.11" })]);
    const { assessment, written } = await checkJournalDrift(app, feb1);
    expect(assessment.months.map((m) => m.month)).toEqual(["2026-12", "2027-01"]);
    expect(assessment.action).toBe("recalibrate");
    expect(written).toEqual(["review-drift-2027-01", "text-drift-recalibrate-2027-01"]);
  });

  it("takes a stored backtest's figures in place of the published ones", async () => {
    const { app } = await newApp({ now: NOW });
    await journal(app, [...month("2026-10"), ...month("2026-11")]);
    const stronger = { ...PUBLISHED_DRIFT_BASELINE, source: "backtest 2026-11-30", winRate: 0.7 };
    const { assessment } = await checkJournalDrift(app, NOW, stronger);
    expect(assessment.action).toBe("retrain"); // 58% against 70%: 17.1% below
    expect(assessment.retrain.map((t) => t.figure)).toEqual(["winRate"]);
  });
});

describe("the monthly calibration job", () => {
  it("checks drift after its recalibration and queues the review once, however often it runs", async () => {
    const { app, reviews } = await newApp({ now: NOW });
    await journal(app, [...month("2026-10", { expectancyBelow: "0.2" }), ...month("2026-11", { expectancyBelow: "0.2" })]);
    const job = recalibrateModelJob({ app });
    const first = await job(fakeJob("m1", { reason: "monthly" }));
    expect(first).toMatchObject({ version: "ws-2026-12-h8", drift: "retrain" });
    await job(fakeJob("m1", { reason: "monthly" }));
    expect(reviews).toHaveLength(1);
    expect((await intentsOf(app)).map((i) => i.id)).toEqual(["review-drift-2026-11", "text-drift-recalibrate-2026-11", "text-drift-retrain-2026-11"]);
  });

  it("a failed drift check does not fail the recalibration", async () => {
    const { app } = await newApp({ now: NOW });
    // A closed trade without its position: the journal cannot be read into trades.
    await app.db.proposal.create({ data: { ...tradeRows(DEC_1 - HOUR, 1).proposal } });
    const result = await recalibrateModelJob({ app })(fakeJob("m2", { reason: "monthly" }));
    expect(result).toMatchObject({ version: "ws-2026-12-h8", drift: "failed" });
    expect(await app.db.weightSet.count()).toBe(1);
  });
});
