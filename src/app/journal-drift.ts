import { addMonths, monthStartOf } from "../core/calibration/calibrate";
import {
  assessDrift, baselineFromWinRate, DEFAULT_DRIFT_PARAMS, DRIFT_FIGURE_LABELS, monthFigures,
  type DriftAssessment, type DriftBaseline, type DriftFigure, type DriftParams, type DriftTrigger, type MonthFigures,
} from "../core/calibration/drift";
import { intentId, type Intent } from "../core/trading/intents";
import { round } from "../core/stats";
import { riskUnit } from "../history/lifecycle-backtest";
import { transact } from "../store/database";
import { writeIntents } from "../store/outbox";
import type { App } from "./context";
import { closedTradesBetween, MIN_TRADES_TO_COMPARE, PUBLISHED_BASELINE } from "./monthly-report";

/**
 * The monthly drift check (issue 10, point 6): the last two completed calendar months (UTC) of the
 * trade journal against the backtest baseline, through the pure rule in core/calibration/drift.ts,
 * and what it calls for written to the outbox in one transaction. Run by the monthly calibration
 * job after its recalibration.
 */

/** The seed's published backtest, its average loss taken as 1 R (see `baselineFromWinRate`). Replace with a stored backtest result when there is one. */
export const PUBLISHED_DRIFT_BASELINE: DriftBaseline = baselineFromWinRate(PUBLISHED_BASELINE);

/** MIN_TRADES_TO_COMPARE is /report's rule too: one number decides when a month says anything. */
export const JOURNAL_DRIFT_PARAMS: DriftParams = { ...DEFAULT_DRIFT_PARAMS, minTrades: MIN_TRADES_TO_COMPARE };

const monthLabel = (monthStart: number): string => new Date(monthStart).toISOString().slice(0, 7);

/** The `count` calendar months (UTC) completed before `now`'s month, oldest first: [start, end). */
export function completedMonths(now: number, count: number): { month: string; start: number; end: number }[] {
  const current = monthStartOf(now);
  return Array.from({ length: count }, (_, i) => {
    const start = addMonths(current, i - count);
    return { month: monthLabel(start), start, end: addMonths(start, 1) };
  });
}

/**
 * Each month's closed trades (by exit time) as results in R: realized PnL after fees, funding and
 * slippage over 1 R (`riskUnit`, the backtest's own definition, so live and backtest figures mean
 * the same). A month without trades is still listed (0 trades), so it counts as a thin month.
 */
export async function journalMonths(app: App, now: number, count = 2): Promise<MonthFigures[]> {
  const months = completedMonths(now, count);
  const first = months[0];
  const last = months[months.length - 1];
  if (first === undefined || last === undefined) return [];
  const closed = await closedTradesBetween(app, first.start, last.end - 1);
  return months.map(({ month, start, end }) => {
    const results = closed
      .filter((t) => t.closedAt >= start && t.closedAt < end)
      .flatMap((t) => {
        const risk = riskUnit(t);
        // A stop at the entry price has no risk to measure in: left out rather than divided by zero.
        return risk.gt(0) ? [t.realizedPnl.div(risk).toNumber()] : [];
      });
    return monthFigures(month, results);
  });
}

export interface JournalDriftOutcome {
  readonly assessment: DriftAssessment;
  /** Outbox intents this run wrote for the first time (a second run for the same month writes none). */
  readonly written: readonly string[];
}

/**
 * Checks the last two completed months and acts once per month: "recalibrate" → a model-review
 * intent (keyed by the latest month) and a notice saying which figure drifted by how much; a
 * "retrain" → a notice that a retrain, not only a recalibration, is needed. Notices are "system"
 * alerts to the configured chats (the bot has no per-admin direct message). All written in one
 * transaction, then dispatched.
 */
export async function checkJournalDrift(app: App, now: number, baseline: DriftBaseline = PUBLISHED_DRIFT_BASELINE): Promise<JournalDriftOutcome> {
  const assessment = assessDrift(await journalMonths(app, now), baseline, JOURNAL_DRIFT_PARAMS);
  const intents = driftIntents(assessment);
  if (intents.length === 0) return { assessment, written: [] };
  const written = await transact(app.db, async (tx) => {
    const ids = intents.map((i) => intentId(i));
    const existing = new Set((await tx.intent.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((r) => r.id));
    await writeIntents(tx, intents, now);
    return ids.filter((id) => !existing.has(id));
  });
  await app.dispatch(written);
  return { assessment, written };
}

const pct = (fraction: number): string => `${round(fraction * 100, 2)}%`;
function value(figure: DriftFigure, v: number | null): string {
  if (v === null) return "none";
  return figure === "winRate" ? pct(v) : `${round(v, 3)}R`;
}

/** "win rate 52.1% in 2026-10 and 50% in 2026-11 (10.17% and 13.79% below the baseline's 58%)" */
function describeTrigger(t: DriftTrigger, baseline: DriftBaseline): string {
  const actuals = t.months.map((m) => `${value(t.figure, m.actual)} in ${m.month}`).join(" and ");
  const shortfalls = t.months.map((m) => pct(m.shortfall)).join(" and ");
  const direction = t.figure === "averageLossR" ? "worse than" : "below";
  return `${DRIFT_FIGURE_LABELS[t.figure]} ${actuals} (${shortfalls} ${direction} the baseline's ${value(t.figure, baseline[t.figure])})`;
}

/** What the assessment calls for, as outbox intents keyed by the latest month (once per month). */
export function driftIntents(a: DriftAssessment): Intent[] {
  const latest = a.months[a.months.length - 1]?.month;
  if (latest === undefined) return [];
  const intents: Intent[] = [];
  const base = `Baseline: ${a.baseline.source}; figures in R (1 R = the loss at a trade's stop before costs), results after fees, funding and slippage.`;
  if (a.recalibrate.length > 0) {
    const what = a.recalibrate.map((t) => describeTrigger(t, a.baseline)).join("; ");
    intents.push(
      { kind: "model-review", key: `drift-${latest}`, reason: `drift: ${a.recalibrate.map((t) => DRIFT_FIGURE_LABELS[t.figure]).join(", ")} more than ${pct(a.params.recalibrateAbove)} below the baseline two months running (to ${latest})` },
      {
        kind: "text", key: `drift-recalibrate-${latest}`, event: "system",
        text: `📉 Drift two months running: ${what}, more than ${pct(a.params.recalibrateAbove)} below it. A recalibration is queued (the stream weights refitted on the 90 days before now); its result follows. ${base}`,
      },
    );
  }
  if (a.retrain.length > 0) {
    const what = a.retrain.map((t) => describeTrigger(t, a.baseline)).join("; ");
    const month = a.months[a.months.length - 1];
    intents.push({
      kind: "text", key: `drift-retrain-${latest}`, event: "system",
      text: `🛠 Retrain needed: in ${latest} (${month?.trades ?? 0} trades) ${what}, more than ${pct(a.params.retrainAbove)} below it. ` +
        "A recalibration only re-weights the same four streams; a fall this large calls for a retrain — the streams, thresholds and risk settings re-examined and " +
        `re-run through the backtest (npm run backtest) — which is a person's job: nothing was changed automatically. ${base}`,
    });
  }
  return intents;
}

function versus(shortfall: number): string {
  const shown = round(shortfall * 100, 2);
  return shown > 0 ? `${shown}% worse` : shown < 0 ? `${-shown}% better` : "at the baseline";
}

/** One line per month for /report: each figure's shortfall against the baseline, or why the month is not judged. */
export function describeDriftMonths(a: DriftAssessment): string[] {
  return a.months.map((m) => {
    if (m.trades === 0) return `${m.month}: no closed trades, not judged.`;
    const figures = m.figures.map((f) => `${DRIFT_FIGURE_LABELS[f.figure]} ${value(f.figure, f.actual)}${f.shortfall === null ? "" : ` (${versus(f.shortfall)})`}`).join(", ");
    return `${m.month}: ${m.trades} trades${m.enoughData ? "" : ` (under ${a.params.minTrades}: not enough data, not judged)`}; ${figures}.`;
  });
}
