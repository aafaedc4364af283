/**
 * Charts as PNG images, for chat replies (/chart) and reports: data in, a PNG Buffer out. No
 * browser: Chart.js draws on a Skia canvas (@napi-rs/canvas, a prebuilt binary from the npm
 * registry), text in real fonts (DejaVu Sans where installed).
 *
 * MEMORY: the chart stack (chart.js, its luxon date adapter, the native canvas) never loads in
 * the calling process. Each chart is drawn by a short-lived child process
 * (chart-render-child.ts → chart-drawing.ts): the points go in as JSON on its stdin, the PNG comes
 * back on its stdout. Loading the stack grows a process by 50–100 MB and that memory stays, while
 * the bot aims to stay under 150 MB resident; the child takes it with it when it exits. Charts
 * are drawn one at a time, so a burst of /chart costs one child's memory, not one per request.
 * test/integration/chart-command.test.ts fails if starting the bot loads the chart packages.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../project-root";

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


/** Longest a render may take before its process is killed (a loaded 2-core machine draws one in ~2 s). */
const RENDER_TIMEOUT_MS = 60_000;
const HERE = path.dirname(fileURLToPath(import.meta.url));
/**
 * The child's script: beside this module when it runs from source (under tsx); from the bundle,
 * which puts this module in a chunk under dist/chunks/, the child's own entry dist/chart-render-child.js
 * (scripts/build.mjs).
 */
const CHILD_SCRIPT = fileURLToPath(import.meta.url).endsWith(".ts")
  ? path.join(HERE, "chart-render-child.ts")
  : path.join(PROJECT_ROOT, "dist", "chart-render-child.js");

let queue: Promise<unknown> = Promise.resolve();

/**
 * The equity curve (upper panel) and its drawdown in % below the peak (lower panel, filled red),
 * sharing one UTC time axis, as a PNG. Needs at least two points. Drawn in a child process (see
 * MEMORY above), one chart at a time.
 */
export function renderEquityChart(options: EquityChartOptions): Promise<Buffer> {
  if (options.points.length < 2) return Promise.reject(new Error("renderEquityChart needs at least two points"));
  const next = queue.then(() => renderInChild(options));
  queue = next.catch(() => undefined);
  return next;
}

function renderInChild(options: EquityChartOptions): Promise<Buffer> {
  // The parent's node options (module hooks included) carry over, as with fork(); TypeScript
  // needs tsx, which a process started by vitest or a build does not have in its own options.
  const inherited = nodeOptionsForChild(process.execArgv);
  const needsTsx = CHILD_SCRIPT.endsWith(".ts") && !inherited.some((arg) => /(^|[/=])tsx(\/|$)/.test(arg));
  const args = [...inherited, ...(needsTsx ? ["--import", "tsx"] : []), CHILD_SCRIPT];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "pipe"], env: process.env });
    const out: Buffer[] = [];
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), RENDER_TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => { err = (err + chunk.toString()).slice(-4_000); });
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const png = Buffer.concat(out);
      if (code === 0 && png.length > 0) resolve(png);
      else reject(new Error(`the chart renderer failed (${signal ?? `exit ${code}`}): ${errorLines(err) || "no output"}`));
    });
    child.stdin.on("error", () => undefined); // a child that died early: its exit says why
    child.stdin.end(JSON.stringify(options));
  });
}

/** The parent's node options minus what would make the child run something else or listen (an eval'd script, a debugger port). */
export function nodeOptionsForChild(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i] ?? "";
    if (arg === "-e" || arg === "--eval" || arg === "-p" || arg === "--print") i += 1;
    else if (!/^(--eval=|--print=|--input-type|--inspect|--debug|--test|--watch)/.test(arg)) kept.push(arg);
  }
  return kept;
}

/** The child's stderr without stack frames and blank lines: the error itself, short enough for a log line. */
const errorLines = (stderr: string): string => stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("at ") && !/^Node\.js v/.test(l)).slice(-4).join(" | ");
