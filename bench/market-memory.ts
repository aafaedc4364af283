import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { redisAnswers } from "../src/queue/redis";
import { ExchangeServer } from "../test/stand-ins/exchange-server";
import { removePrefix } from "./approve-fill";
import { standInMarket } from "./market-pacing";

/**
 * Issue 8 point 10, memory side: resident set size (RSS) of child processes, each measured after
 * its warm-up (bench/market-memory-child.ts under tsx, bench/market-memory-child.mjs under plain
 * node), against the stand-in exchange started here with the bench's symbols listed on every
 * venue:
 * - plain node, nothing loaded / the four ccxt venue files by file URL / `import "ccxt"` (four instantiated);
 * - the same three under `node --import tsx` (perpbot's lazy loader for the four), so the
 *   difference is what tsx adds;
 * - perpbot's four market-data sources with markets loaded and one poll's reads, lazily vs after
 *   `import "ccxt"`;
 * - the whole bot, `node --import tsx src/main.ts all` (web + worker + bot, console chat only),
 *   temp SQLite, the shared Redis under a fresh QUEUE_PREFIX (removed afterwards), every exchange
 *   host pointed at the stand-in (EXCHANGE_HOST_OVERRIDE), polling every POLL_INTERVAL_MINUTES;
 *   read from /proc after `cycles` polls have been followed by their signals job, with the peak (VmHWM).
 * Listings on the stand-in hold only the bench's symbols; a real venue lists hundreds of perps
 * and spot pairs, whose ccxt market objects add to every "markets loaded" figure.
 */

const ROOT = path.resolve(import.meta.dirname, "..");

export interface MemoryFigure {
  readonly label: string;
  readonly rssBytes: number | null;
  readonly peakBytes?: number | null;
  readonly note?: string;
}

function runChild(args: readonly string[], env: Record<string, string>): Promise<{ rss: number; heapUsed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => { out += c.toString(); });
    child.stderr.on("data", (c: Buffer) => { err += c.toString(); });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(line) as { rss: number; heapUsed: number });
      } catch {
        reject(new Error(`child ${args.join(" ")} exited ${code}: ${err.slice(-500)}`));
      }
    });
  });
}

const procStatus = (pid: number, field: string): number | null => {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] === undefined ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
};

/** The whole bot against the stand-in: RSS after `cycles` poll → signals rounds. */
async function wholeBot(standIn: string, symbols: readonly string[], cycles: number, redisUrl: string): Promise<MemoryFigure> {
  const label = `whole bot (node --import tsx src/main.ts all), ${symbols.length} symbols × 4 venues, after ${cycles} polls`;
  if (!(await redisAnswers(redisUrl))) return { label, rssBytes: null, note: `skipped: no Redis at ${redisUrl}` };
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-bench-memory-"));
  const prefix = `bench${randomBytes(5).toString("hex")}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(),
    DATABASE_URL: `file:${path.join(dir, "bot.db")}`, REDIS_URL: redisUrl, REDIS_AUTOSTART: "false", QUEUE_PREFIX: prefix, PORT: "0",
    EXCHANGE_HOST_OVERRIDE: standIn, SYMBOLS: symbols.join(","), VENUES: "bybit,binanceusdm,okx,bitget", TRADING_VENUE: "bybit",
    POLL_INTERVAL_MINUTES: "0.25", LOG_LEVEL: "info", LOG_FORMAT: "json",
  };
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "all"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
  const pid = child.pid;
  let log = "";
  let exited = false;
  child.stdout.on("data", (c: Buffer) => { log += c.toString(); });
  child.stderr.on("data", (c: Buffer) => { log += c.toString(); });
  child.on("exit", () => { exited = true; });
  try {
    if (pid === undefined) return { label, rssBytes: null, note: "skipped: could not spawn" };
    const deadline = Date.now() + 60_000 + cycles * 30_000;
    const rounds = (): number => (log.match(/"signal computed"/g) ?? []).length / symbols.length;
    while (!exited && rounds() < cycles && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const done = rounds();
    if (exited || done < cycles) return { label, rssBytes: exited ? null : procStatus(pid, "VmRSS"), peakBytes: exited ? null : procStatus(pid, "VmHWM"), note: `only ${Math.floor(done)} rounds${exited ? "; exited: " + log.slice(-300) : ""}` };
    await new Promise((r) => setTimeout(r, 500));
    return { label, rssBytes: procStatus(pid, "VmRSS"), peakBytes: procStatus(pid, "VmHWM") };
  } finally {
    if (pid !== undefined && !exited) {
      const gone = new Promise((r) => child.once("exit", r));
      process.kill(-pid, "SIGTERM");
      const timer = setTimeout(() => { if (!exited) process.kill(-pid, "SIGKILL"); }, 10_000);
      await gone;
      clearTimeout(timer);
    }
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    try {
      await removePrefix(redis, prefix);
    } finally {
      redis.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchMarketMemory(options: { symbols: number; botCycles: number; redisUrl: string }): Promise<MemoryFigure[]> {
  const server = new ExchangeServer();
  await server.start();
  const symbols = Array.from({ length: options.symbols }, (_, i) => `M${String(i).padStart(3, "0")}/USDT:USDT`);
  standInMarket(server, symbols, Date.now());
  const env = { STAND_IN_URL: server.url, BENCH_SYMBOLS: symbols.join(",") };
  const figures: MemoryFigure[] = [];
  const child = async (label: string, args: readonly string[]): Promise<void> => {
    try {
      figures.push({ label, rssBytes: (await runChild(args, env)).rss });
    } catch (error) {
      figures.push({ label, rssBytes: null, note: error instanceof Error ? error.message.slice(0, 200) : String(error) });
    }
  };
  const plain = ["bench/market-memory-child.mjs"];
  const tsx = ["--import", "tsx", "bench/market-memory-child.ts"];
  try {
    await child("plain node, nothing loaded", [...plain, "empty"]);
    await child("plain node, ccxt's 4 venue files by file URL, instantiated", [...plain, "four"]);
    await child("plain node, import \"ccxt\" (all), 4 instantiated", [...plain, "all"]);
    await child("node --import tsx, nothing loaded", [...tsx, "empty"]);
    await child("node --import tsx, 4 venue classes via ccxt-loader, instantiated", [...tsx, "four"]);
    await child("node --import tsx, import \"ccxt\" (all), 4 instantiated", [...tsx, "all"]);
    await child(`tsx, perpbot's 4 market-data sources, markets loaded + 1 poll of ${options.symbols} symbols (lazy)`, [...tsx, "sources"]);
    await child(`tsx, the same after import "ccxt" (all)`, [...tsx, "sources+all"]);
    if (options.botCycles > 0) figures.push(await wholeBot(server.url, symbols, options.botCycles, options.redisUrl));
  } finally {
    await server.stop();
  }
  return figures;
}
