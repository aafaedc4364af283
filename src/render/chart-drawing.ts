/**
 * The drawing half of src/render/charts.ts: Chart.js on a Skia canvas (@napi-rs/canvas), text in
 * DejaVu Sans where installed. It runs in the short-lived render process
 * (src/render/chart-render-child.ts), never in the bot: loading the chart stack grows a process by
 * 50–100 MB for good, and the bot aims to stay under 150 MB resident.
 */
import { existsSync } from "node:fs";
import type { Canvas, SKRSContext2D } from "@napi-rs/canvas";
import type { Chart as ChartType, ChartConfiguration, Plugin } from "chart.js";
import { CHART_HEIGHT, CHART_WIDTH, DRAWDOWN_COLOUR, DRAWDOWN_FILL, EQUITY_COLOUR, drawdownSeries, thinSeries, type EquityChartOptions } from "./charts";

const BACKGROUND = "#ffffff";
const FONT_DIR = "/usr/share/fonts/truetype/dejavu";

/**
 * The equity curve (upper panel) and its drawdown in % below the peak (lower panel, filled red),
 * sharing one UTC time axis. Needs at least two points.
 */
export async function drawEquityChart(options: EquityChartOptions): Promise<Buffer> {
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

/** The chart stack, imported once per render process; a failed load is tried again next time. */
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
