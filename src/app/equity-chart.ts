import { formatUsd } from "../chat/render/proposal-card";
import { groupedNumber } from "../core/grouped-number";
import { renderEquityChart, type EquityPoint } from "../render/charts";
import type { App } from "./context";
import { isPeriod, PERIOD_TEXT, PERIODS, periodStart, type Period } from "./periods";

/**
 * /chart: the journal's equity readings (EquitySnapshot, one per position check, written by
 * monitor-trades) over a period, drawn as the equity curve and its drawdown. The renderer loads
 * the chart stack only here, on demand (src/render/charts.ts).
 */

export const CHART_PERIODS = PERIODS;
export type ChartPeriod = Period;
const PAGE = 5_000;
/** Time buckets the journal is read into: a year of minute readings stays a few thousand points. */
const BUCKETS = 1_500;

export type EquityChart =
  | { readonly kind: "chart"; readonly png: Buffer; readonly filename: string; readonly caption: string }
  | { readonly kind: "text"; readonly text: string };

export const isChartPeriod = isPeriod;

interface Reading { readonly id: number; readonly ts: number; readonly equity: number; readonly peak: number; readonly drawdown: number }

export interface EquityHistory {
  /** Thinned for drawing: per time bucket the first, last, lowest, highest and deepest-drawdown readings. */
  readonly points: readonly EquityPoint[];
  readonly count: number;
  readonly first: Reading | null;
  readonly last: Reading | null;
  /** The deepest drawdown the account recorded in the period (fraction of its peak). */
  readonly maxDrawdown: number;
}

/**
 * Reads the period's readings page by page (a long journal never sits in memory at once) and
 * keeps what a chart of that width can show.
 */
export async function equityHistory(app: App, period: ChartPeriod, now: number): Promise<EquityHistory> {
  const start = periodStart(period, now);
  const where = { ts: { ...(start === null ? {} : { gte: new Date(start) }), lte: new Date(now) } };
  const oldest = await app.db.equitySnapshot.findFirst({ where, orderBy: [{ ts: "asc" }, { id: "asc" }], select: { ts: true } });
  const from = oldest?.ts.getTime() ?? now;
  const span = Math.max(1, now - from);
  const kept = new Map<number, Reading>();
  let bucket: { index: number; first: Reading; last: Reading; low: Reading; high: Reading; deepest: Reading } | null = null;
  const flush = () => { if (bucket !== null) for (const r of [bucket.first, bucket.last, bucket.low, bucket.high, bucket.deepest]) kept.set(r.id, r); };
  let count = 0;
  let first: Reading | null = null;
  let last: Reading | null = null;
  let maxDrawdown = 0;
  let cursor: number | undefined;
  for (;;) {
    const rows = await app.db.equitySnapshot.findMany({
      where, orderBy: [{ ts: "asc" }, { id: "asc" }], take: PAGE, ...(cursor === undefined ? {} : { cursor: { id: cursor }, skip: 1 }),
      select: { id: true, ts: true, equity: true, peak: true, drawdown: true },
    });
    for (const row of rows) {
      const r: Reading = { id: row.id, ts: row.ts.getTime(), equity: Number(row.equity), peak: Number(row.peak), drawdown: row.drawdown };
      if (!Number.isFinite(r.equity)) continue;
      count += 1;
      first ??= r;
      last = r;
      maxDrawdown = Math.max(maxDrawdown, r.drawdown);
      const index = Math.min(BUCKETS - 1, Math.floor(((r.ts - from) / span) * BUCKETS));
      if (bucket === null || bucket.index !== index) {
        flush();
        bucket = { index, first: r, last: r, low: r, high: r, deepest: r };
        continue;
      }
      bucket.last = r;
      if (r.equity < bucket.low.equity) bucket.low = r;
      if (r.equity > bucket.high.equity) bucket.high = r;
      if (r.drawdown > bucket.deepest.drawdown) bucket.deepest = r;
    }
    if (rows.length < PAGE) break;
    cursor = rows[rows.length - 1]?.id;
  }
  flush();
  const points = [...kept.values()].sort((a, b) => a.ts - b.ts || a.id - b.id)
    .map((r): EquityPoint => (Number.isFinite(r.peak) && r.peak > 0 ? { ts: r.ts, equity: r.equity, peak: r.peak } : { ts: r.ts, equity: r.equity }));
  return { points, count, first, last, maxDrawdown };
}

/** The chart for /chart, or a text saying why there is none yet. */
export async function equityChart(app: App, period: ChartPeriod, now: number): Promise<EquityChart> {
  const history = await equityHistory(app, period, now);
  const { first, last } = history;
  if (history.count < 2 || first === null || last === null) {
    const had = history.count === 0 ? "no equity reading" : "only one equity reading";
    const next = period === "all" ? "Ask again later." : "Try /chart all, or ask again later.";
    return {
      kind: "text",
      text: `No chart for ${PERIOD_TEXT[period]}: the journal has ${had} there, and a curve needs two. ` +
        `Equity is recorded each time open positions are checked (every ${app.settings.pollIntervalMinutes} min while the worker runs). ${next}`,
    };
  }
  const mode = app.broker.mode.toUpperCase();
  const change = first.equity === 0 ? 0 : (last.equity / first.equity - 1) * 100;
  const figures = `${formatUsd(first.equity)} → ${formatUsd(last.equity)} (${change >= 0 ? "+" : ""}${change.toFixed(2)}%)`;
  const risk = app.settings.risk;
  const png = await renderEquityChart({
    points: history.points,
    title: `perpbot equity — ${PERIOD_TEXT[period]} (${mode})`,
    subtitle: `${figures}; max drawdown ${percent(history.maxDrawdown)}`,
    equityLabel: "equity (USDT)",
    drawdownMarks: [
      { percent: risk.halveSizeDrawdown * 100, label: `${percent(risk.halveSizeDrawdown)}: size halved` },
      { percent: risk.pauseDrawdown * 100, label: `${percent(risk.pauseDrawdown)}: trading paused` },
    ],
  });
  const caption = [
    `Equity over ${PERIOD_TEXT[period]} (${mode}): ${figures}.`,
    `Deepest drawdown ${percent(history.maxDrawdown)} below the peak; now ${percent(last.drawdown)}.`,
    `${groupedNumber(history.count, { maximumFractionDigits: 0 })} readings, ${utc(first.ts)} → ${utc(last.ts)} UTC.`,
  ].join("\n");
  return { kind: "chart", png, caption, filename: `perpbot-equity-${period}-${new Date(now).toISOString().slice(0, 10)}.png` };
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(fraction * 100 >= 10 ? 1 : 2).replace(/\.?0+$/, "") || "0"}%`;
const utc = (ts: number): string => new Date(ts).toISOString().slice(0, 16).replace("T", " ");
