import { existsSync } from "node:fs";
import pino from "pino";
import { venueName } from "../src/exchange/errors";
import type { MarketDataSource } from "../src/exchange/market-data";
import { parseImportArgs, UsageError, USAGE, type ImportCommand } from "../src/history/import/cli-args";
import { createFileBar, createImportReporter } from "../src/history/import/progress";
import { importSharedData } from "../src/history/import/shared-import";
import { ImportStopped, importFromVenue, type VenueKind } from "../src/history/import/venue-import";
import { sharedDataDir } from "../src/history/shared-data";
import { createLogger } from "../src/log";
import { openDatabase, type Db } from "../src/store/database";

/**
 * `npm run data:import`: history into the database the bot uses (DATABASE_URL, default
 * file:./data/perpbot.db, migrated on open), from a venue through ccxt or from ../shared/data.
 * See "Importing history" in README.md. Exit codes: 0 done (or stopped at --max-pages),
 * 1 stopped by the venue or the network (the message says whether running it again resumes),
 * 2 a usage error, 130 stopped by Ctrl-C (resumable).
 */

const HOUR_MS = 3_600_000;
const STEP: Readonly<Record<VenueKind, { ms: number; unit: string }>> = {
  funding: { ms: 8 * HOUR_MS, unit: "8h" },
  perp: { ms: HOUR_MS, unit: "h" },
  spot: { ms: HOUR_MS, unit: "h" },
  oi: { ms: HOUR_MS, unit: "h" },
};

/** Ctrl-C (or SIGTERM) once: finish the current page, store it, stop. Twice: quit at once. */
let stopRequested = false;
const wakeSleepers = new Set<() => void>();
function onStopSignal(): void {
  if (stopRequested) process.exit(130);
  stopRequested = true;
  process.stderr.write("\nStopping after the current page (Ctrl-C again to quit at once)…\n");
  for (const wake of wakeSleepers) wake();
}
process.on("SIGINT", onStopSignal);
process.on("SIGTERM", onStopSignal);

/** A pause that a stop request cuts short, so Ctrl-C during a long Retry-After stops promptly. */
function interruptibleSleep(ms: number): Promise<void> {
  return new Promise((done) => {
    const finish = (): void => {
      clearTimeout(timer);
      wakeSleepers.delete(finish);
      done();
    };
    const timer = setTimeout(finish, ms);
    wakeSleepers.add(finish);
  });
}

const iso = (ts: number): string => new Date(ts).toISOString().replace(".000Z", "Z");

async function importFromVenues(db: Db, command: Extract<ImportCommand, { mode: "venue" }>): Promise<number> {
  const { createCcxtMarketData } = await import("../src/exchange/ccxt-market-data");
  const logger = createLogger({ level: process.env["LOG_LEVEL"] ?? "warn", secrets: [], destination: pino.destination(2) });
  const timeout = Number(process.env["EXCHANGE_TIMEOUT_MS"] ?? "");
  const host = process.env["EXCHANGE_HOST_OVERRIDE"];
  const source: MarketDataSource = createCcxtMarketData({
    venue: command.venue, logger, ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {}), ...(host ? { hostOverride: host } : {}),
  });
  const name = venueName(command.venue);
  try {
    for (const kind of command.kinds) {
      const label = `${kind} ${command.symbol} ${name}`;
      const reporter = createImportReporter({ label, stepMs: STEP[kind].ms, unit: STEP[kind].unit, out: process.stdout });
      try {
        const result = await importFromVenue({
          db, source, kind, symbol: command.symbol, sinceMs: command.sinceMs,
          ...(command.maxPages === null ? {} : { maxPages: command.maxPages }),
          shouldStop: () => stopRequested,
          sleep: interruptibleSleep,
          onPage: (p) => reporter.page(p),
          onWait: (ms, reason) => { if (ms >= 5_000) reporter.note(`${reason}: waiting ${Math.ceil(ms / 1000)} s.`); },
        });
        reporter.stop();
        const summary = `${label}: ${result.stored.toLocaleString("en-US")} rows stored (${result.fetched.toLocaleString("en-US")} fetched) in ${result.pages} pages`;
        if (result.outcome === "not-offered") {
          console.log(`${label}: ${name} offers no ${kind === "spot" ? "matching spot pair" : "open-interest history"} for ${command.symbol}; nothing to import.`);
        } else if (result.outcome === "caught-up") {
          console.log(`${summary}; caught up.`);
        } else {
          console.log(`${summary}; stopped ${result.outcome === "page-limit" ? `at --max-pages ${command.maxPages}` : "on request"} with everything before ${iso(result.cursorTs)} stored. Run the same command again to resume.`);
          if (result.outcome === "interrupted") return 130;
        }
      } catch (error) {
        reporter.stop();
        throw error;
      }
    }
    return 0;
  } finally {
    await source.close();
  }
}

async function importShared(db: Db, command: Extract<ImportCommand, { mode: "shared" }>): Promise<number> {
  const dir = command.dir ?? sharedDataDir();
  if (!existsSync(dir)) {
    console.log(`No shared data folder at ${dir}: nothing to import.`);
    return 0;
  }
  const bar = createFileBar(process.stdout);
  const result = await importSharedData({
    db, dir,
    ...(command.symbol === null ? {} : { symbol: command.symbol }),
    ...(command.venue === null ? {} : { venue: command.venue }),
    ...(command.kinds === null ? {} : { kinds: command.kinds }),
    shouldStop: () => stopRequested,
    onFileStart: (file, index, count) => bar.start(`[${index + 1}/${count}] ${file.name}`),
    onFileProgress: (done, total, stored) => bar.update(done, total, stored),
    onFileDone: ({ file, read, stored }, index, count) => {
      bar.stop();
      console.log(`[${index + 1}/${count}] ${file.name} → ${file.kind} ${file.symbol} ${file.venue}: ${read.toLocaleString("en-US")} rows, ${stored.toLocaleString("en-US")} new`);
    },
  });
  const filter = [command.symbol, command.venue, command.kinds?.join(",")].filter((x) => x !== null && x !== undefined).join(" ");
  if (result.found === 0) console.log(`No shared data files${filter ? ` for ${filter}` : ""} under ${dir}: nothing to import.`);
  else if (result.interrupted) console.log(`Stopped after ${result.files.length} of ${result.found} files. Run the same command again to finish (rows already stored are skipped).`);
  else console.log(`Imported ${result.files.length} files: ${result.files.reduce((n, f) => n + f.stored, 0).toLocaleString("en-US")} new rows.`);
  return result.interrupted ? 130 : 0;
}

async function main(): Promise<number> {
  let command: ImportCommand;
  try {
    command = parseImportArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message} ${USAGE}\n`);
    return 2;
  }
  // Like the bot: a .env in the working directory is read if present; real environment variables win.
  if (existsSync(".env")) process.loadEnvFile(".env");
  const db = await openDatabase(process.env["DATABASE_URL"] ?? "file:./data/perpbot.db");
  try {
    return command.mode === "venue" ? await importFromVenues(db, command) : await importShared(db, command);
  } catch (error) {
    if (!(error instanceof ImportStopped)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`data:import failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
