/**
 * Charts as PNG images, for chat replies (/chart) and reports: data in, a PNG Buffer out. No
 * browser: Chart.js draws on a Skia canvas (@napi-rs/canvas, a prebuilt binary from the npm
 * registry), text in real fonts (DejaVu Sans where installed).
 *
 * MEMORY: the chart stack (chart.js, its luxon date adapter, the native canvas) is imported
 * lazily, on the first chart drawn, never at start: the bot aims to stay under 150 MB resident
 * and most processes never draw a chart. Only `import type` from those packages may appear at the
 * top of this file; test/integration/chart-command.test.ts fails if starting the bot loads them.
 */
import { existsSync } from "node:fs";
import type { Canvas, SKRSContext2D } from "@napi-rs/canvas";
import type { Chart as ChartType, ChartConfiguration, Plugin } from "chart.js";

export interface EquityPoint {
  readonly ts: number;
  readonly equity: number;
  /**
   * The account's peak when this equity was recorded (the journal keeps it), so a window that
   * starts below an earlier peak shows the drawdown the risk rules saw. Without it, the running
   * peak of the series itself is used (a backtest's curve).
   */
  readonly peak?: number;
}

export interface EquityChartOptions {
  readonly points: readonly EquityPoint[];
  readonly title: string;
  /** A second line under the title (period, mode, figures). */
  readonly subtitle?: string;
  readonly width?: number;
  readonly height?: number;
  /** Axis label of the equity panel, e.g. "equity (USDT)". */
  readonly equityLabel?: string;
  /** Drawdown levels (in %) drawn as dashed lines with their labels, e.g. the halve and pause thresholds. */
  readonly drawdownMarks?: readonly { readonly percent: number; readonly label: string }[];
}

export interface DrawdownPoint { readonly ts: number; readonly percent: number }

export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 700;
/** Colours, exported so tests can look for them in the image. */
export const EQUITY_COLOUR = "#1f5fbf";
export const DRAWDOWN_COLOUR = "#c62828";
export const DRAWDOWN_FILL = "rgba(198, 40, 40, 0.35)";
const BACKGROUND = "#ffffff";
const FONT_DIR = "/usr/share/fonts/truetype/dejavu";

/** Percent below the peak so far (or the recorded peak, when higher) at each point: 0 at a new high. */
export function drawdownSeries(points: readonly EquityPoint[]): DrawdownPoint[] {
  let running = -Infinity;
  return points.map((p) => {
    running = Math.max(running, p.equity, p.peak ?? -Infinity);
    return { ts: p.ts, percent: running > 0 ? Math.max(0, (1 - p.equity / running) * 100) : 0 };
  });
}

/**
 * At most about `buckets` × 4 points, in time order: per time bucket the first, last, lowest and
 * highest values survive, so spikes and the deepest drawdown stay visible at any series length.
 */
export function thinSeries<T extends { readonly ts: number }>(points: readonly T[], value: (p: T) => number, buckets: number): T[] {
  if (points.length <= buckets * 4) return [...points];
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return [];
  const span = Math.max(1, last.ts - first.ts);
  const kept = new Set<number>();
  let bucket = -1;
  let indices = { first: 0, last: 0, min: 0, max: 0 };
  const flush = () => { if (bucket >= 0) for (const i of Object.values(indices)) kept.add(i); };
  points.forEach((p, i) => {
    const b = Math.min(buckets - 1, Math.floor(((p.ts - first.ts) / span) * buckets));
    if (b !== bucket) {
      flush();
      bucket = b;
      indices = { first: i, last: i, min: i, max: i };
      return;
    }
    indices.last = i;
    if (value(p) < value(points[indices.min] as T)) indices.min = i;
    if (value(p) > value(points[indices.max] as T)) indices.max = i;
  });
  flush();
  return [...kept].sort((a, b) => a - b).map((i) => points[i] as T);
}

/**
 * The equity curve (upper panel) and its drawdown in % below the peak (lower panel, filled red),
 * sharing one UTC time axis. Needs at least two points.
 */
export async function renderEquityChart(options: EquityChartOptions): Promise<Buffer> {
  if (options.points.length < 2) throw new Error("renderEquityChart needs at least two points");
  const width = options.width ?? CHART_WIDTH;
  const height = options.height ?? CHART_HEIGHT;
  const sorted = [...options.points].sort((a, b) => a.ts - b.ts);
  const buckets = Math.max(50, Math.round(width / 2));
  const drawdown = thinSeries(drawdownSeries(sorted), (p) => -p.percent, buckets);
  const equity = thinSeries(sorted, (p) => p.equity, buckets);
  const deepest = Math.max(0, ...drawdown.map((p) => p.percent));
  const marks = options.drawdownMarks ?? [];
  // Room for the marks that matter; at least 1% so a flat curve does not draw a panel of noise.
  const depth = Math.max(1, deepest * 1.15, ...marks.filter((m) => m.percent <= deepest * 2).map((m) => m.percent * 1.05));
  const floor = -(depth < 10 ? Math.ceil(depth) : Math.ceil(depth / 2) * 2);

  const { Chart, createCanvas, fontFamily } = await chartStack();
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  const config: ChartConfiguration<"line", { x: number; y: number }[]> = {
    type: "line",
    data: {
      datasets: [
        {
          label: options.equityLabel ?? "equity", data: equity.map((p) => ({ x: p.ts, y: p.equity })), yAxisID: "equity",
          borderColor: EQUITY_COLOUR, borderWidth: 2, pointRadius: 0, tension: 0,
        },
        {
          label: "drawdown % below peak", data: drawdown.map((p) => ({ x: p.ts, y: -p.percent })), yAxisID: "drawdown",
          borderColor: DRAWDOWN_COLOUR, backgroundColor: DRAWDOWN_FILL, borderWidth: 1.5, pointRadius: 0, tension: 0, fill: "origin",
        },
      ],
    },
    options: {
      responsive: false, animation: false, devicePixelRatio: 1, parsing: false, normalized: true,
      font: { family: fontFamily, size: 13 },
      layout: { padding: { top: 4, right: 20, bottom: 8, left: 8 } },
      plugins: {
        title: { display: true, text: options.title, font: { family: fontFamily, size: 20, weight: "bold" }, color: "#222" },
        subtitle: { display: options.subtitle !== undefined, text: options.subtitle ?? "", font: { family: fontFamily, size: 14 }, color: "#555", padding: { bottom: 8 } },
        legend: { position: "top", align: "end", labels: { font: { family: fontFamily, size: 13 }, boxWidth: 24 } },
        tooltip: { enabled: false },
      },
      scales: {
        x: {
          type: "time", adapters: { date: { zone: "UTC" } },
          time: { tooltipFormat: "yyyy-MM-dd HH:mm", displayFormats: { minute: "HH:mm", hour: "MMM d HH:mm", day: "MMM d", week: "MMM d", month: "MMM yyyy" } },
          ticks: { font: { family: fontFamily, size: 12 }, maxRotation: 0, autoSkipPadding: 24, color: "#333" },
          title: { display: true, text: "UTC", font: { family: fontFamily, size: 12 }, color: "#555" },
        },
        // Stacked scales on one side are laid out bottom-up in the order declared: drawdown below equity.
        drawdown: {
          type: "linear", position: "left", stack: "panels", stackWeight: 1.3, offset: true, min: floor, max: 0,
          ticks: { font: { family: fontFamily, size: 12 }, color: "#333", maxTicksLimit: 5, callback: (value) => `${formatPercent(-Number(value))}%` },
          title: { display: true, text: "drawdown", font: { family: fontFamily, size: 13 }, color: DRAWDOWN_COLOUR },
        },
        equity: {
          type: "linear", position: "left", stack: "panels", stackWeight: 3, grace: "5%",
          ticks: { font: { family: fontFamily, size: 12 }, color: "#333" },
          title: { display: true, text: options.equityLabel ?? "equity", font: { family: fontFamily, size: 13 }, color: EQUITY_COLOUR },
        },
      },
    },
    // The plugins draw on the context they are given: the one Chart.js draws on (typed by the canvas library, not the DOM).
    plugins: [whiteBackground(ctx), drawdownMarkLines(ctx, marks.filter((m) => m.percent <= -floor), fontFamily)],
  };
  // Chart.js draws on any 2D context; outside a browser it takes the Skia canvas's own.
  const chart: ChartType = new Chart(ctx, config);
  try {
    return await canvas.encode("png");
  } finally {
    chart.destroy();
  }
}

const formatPercent = (value: number): string => (Math.abs(value - Math.round(value)) < 1e-9 ? String(Math.round(value)) : value.toFixed(1));

/** A transparent PNG shows black on dark chat themes: paint the whole canvas first. */
function whiteBackground(ctx: SKRSContext2D): Plugin {
  return {
    id: "perpbotBackground",
    beforeDraw: (chart) => {
      ctx.save();
      ctx.fillStyle = BACKGROUND;
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    },
  };
}

function drawdownMarkLines(ctx: SKRSContext2D, marks: readonly { percent: number; label: string }[], fontFamily: string): Plugin {
  return {
    id: "perpbotDrawdownMarks",
    afterDatasetsDraw: (chart) => {
      const scale = chart.scales.drawdown;
      if (scale === undefined) return;
      ctx.save();
      ctx.strokeStyle = "#777";
      ctx.fillStyle = "#555";
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 1;
      ctx.font = `12px ${fontFamily}`;
      ctx.textAlign = "right";
      for (const mark of marks) {
        const y = scale.getPixelForValue(-mark.percent);
        ctx.beginPath();
        ctx.moveTo(chart.chartArea.left, y);
        ctx.lineTo(chart.chartArea.right, y);
        ctx.stroke();
        ctx.fillText(mark.label, chart.chartArea.right - 4, y - 3);
      }
      ctx.restore();
    },
  };
}

interface ChartStack {
  readonly Chart: typeof ChartType;
  readonly createCanvas: (width: number, height: number) => Canvas;
  readonly fontFamily: string;
}

let stack: Promise<ChartStack> | undefined;

/** The lazy import (see MEMORY above), once per process; a failed load is tried again next time. */
function chartStack(): Promise<ChartStack> {
  stack ??= loadChartStack().catch((error: unknown) => {
    stack = undefined;
    throw error;
  });
  return stack;
}

async function loadChartStack(): Promise<ChartStack> {
  const [{ Chart, registerables }, canvasModule] = await Promise.all([import("chart.js"), import("@napi-rs/canvas")]);
  await import("chartjs-adapter-luxon"); // registers luxon as Chart.js's date adapter
  Chart.register(...registerables);
  const fonts = canvasModule.GlobalFonts;
  // Skia finds installed fonts by itself; naming DejaVu explicitly keeps the look the same everywhere it exists.
  for (const file of ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]) {
    const path = `${FONT_DIR}/${file}`;
    if (existsSync(path)) fonts.registerFromPath(path, "DejaVu Sans");
  }
  const fontFamily = fonts.has("DejaVu Sans") ? "'DejaVu Sans', sans-serif" : "sans-serif";
  Chart.defaults.font.family = fontFamily;
  return { Chart, createCanvas: (width, height) => canvasModule.createCanvas(width, height), fontFamily };
}
