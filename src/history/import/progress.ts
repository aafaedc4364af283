import cliProgress from "cli-progress";
import type { ImportProgress } from "./venue-import";

/**
 * What the operator sees while an import runs. On a terminal: one cli-progress bar whose total is
 * the span to import in the kind's step (hours of candles, 8 h settlements of funding), with the
 * rows stored and the rate. Elsewhere (a log file, CI, a pipe): a plain line every few pages and
 * at the end, since a redrawn bar there is only noise.
 */
export interface ImportReporter {
  page(progress: ImportProgress): void;
  /** A line that must not be drawn over by the bar (a pause, a file done). */
  note(text: string): void;
  stop(): void;
}

export interface ReporterOptions {
  readonly label: string;
  /** One unit of the bar: 1 h for candles and open interest, 8 h for funding. */
  readonly stepMs: number;
  readonly unit: string;
  readonly out: NodeJS.WriteStream;
  /** Plain mode: a line every this many pages. */
  readonly everyPages?: number;
  readonly now?: () => number;
}

const count = (n: number): string => n.toLocaleString("en-US");
const day = (ts: number): string => (Number.isFinite(ts) ? new Date(ts).toISOString().slice(0, 16).replace("T", " ") : "–");

function position(progress: ImportProgress, stepMs: number): { value: number; total: number } {
  const total = Math.max(1, Math.ceil((progress.endTs - progress.startTs) / stepMs));
  const value = Math.min(total, Math.max(0, Math.floor((progress.cursorTs - progress.startTs) / stepMs)));
  return { value, total };
}

export function createImportReporter(options: ReporterOptions): ImportReporter {
  const now = options.now ?? Date.now;
  const started = now();
  const ratePerSecond = (stored: number): string => count(Math.round(stored / Math.max(0.001, (now() - started) / 1000)));

  if (options.out.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: options.out,
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} ${options.unit} | {stored} rows stored | {rate} rows/s | at {at}`,
      hideCursor: true,
      etaBuffer: 20,
    }, cliProgress.Presets.shades_classic);
    let drawing = false;
    return {
      page(progress) {
        const { value, total } = position(progress, options.stepMs);
        const payload = { stored: count(progress.stored), rate: ratePerSecond(progress.stored), at: day(progress.cursorTs) };
        if (!drawing) {
          bar.start(total, value, payload);
          drawing = true;
        } else {
          bar.setTotal(total);
          bar.update(value, payload);
        }
      },
      note(text) {
        // cli-progress redraws on the next update; a fresh line keeps the note readable.
        options.out.write(`\n${text}\n`);
      },
      stop() {
        if (drawing) bar.stop();
      },
    };
  }

  const every = options.everyPages ?? 10;
  let last: ImportProgress | null = null;
  const line = (progress: ImportProgress): void => {
    const { value, total } = position(progress, options.stepMs);
    options.out.write(`${options.label}: page ${progress.pages}, ${count(progress.stored)} rows stored (${ratePerSecond(progress.stored)}/s), at ${day(progress.cursorTs)}, ${value}/${total} ${options.unit} (${Math.round((100 * value) / total)}%)\n`);
  };
  return {
    page(progress) {
      last = progress;
      if (progress.pages > 0 && progress.pages % every === 0) line(progress);
    },
    note(text) {
      options.out.write(`${text}\n`);
    },
    stop() {
      if (last !== null && last.pages % every !== 0) line(last);
    },
  };
}

/** A bar over the rows of one shared-data file, on a terminal only (elsewhere the line per file is enough). */
export interface FileBar {
  start(label: string): void;
  update(done: number, total: number, stored: number): void;
  stop(): void;
}

export function createFileBar(out: NodeJS.WriteStream): FileBar {
  if (!out.isTTY) return { start: () => undefined, update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({
    stream: out, format: "{label} [{bar}] {percentage}% | {value}/{total} rows | {stored} new", hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let label = "";
  let drawing = false;
  return {
    start(next) {
      label = next;
    },
    update(done, total, stored) {
      if (!drawing) {
        bar.start(total, done, { label, stored: count(stored) });
        drawing = true;
      } else {
        bar.update(done, { label, stored: count(stored) });
      }
    },
    stop() {
      if (drawing) bar.stop();
      drawing = false;
    },
  };
}
