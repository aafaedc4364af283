import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { redisAnswers } from "../src/queue/redis";
import { DiscordStandIn } from "../test/stand-ins/discord-server";
import { ExchangeServer } from "../test/stand-ins/exchange-server";
import { TelegramServer } from "../test/stand-ins/telegram-server";
import { npmStartArgs } from "../test/support/role-process";
import { removePrefix } from "./approve-fill";
import { standInMarket } from "./market-pacing";

/**
 * Issue 8 point 10 and issue 11 point 6, memory side: resident set size (RSS) of child processes,
 * against the stand-in exchange started here with the bench's symbols listed on every venue:
 * - plain node (bench/market-memory-child.mjs): nothing loaded / the four ccxt venue files by file
 *   URL / `import "ccxt"` (all ~110 exchanges; four instantiated): the process to compare with;
 * - the same under `node --import tsx` (bench/market-memory-child.ts, perpbot's lazy loader for
 *   the four), so the difference is what tsx adds;
 * - perpbot's four market-data sources with markets loaded and one poll's reads, lazily vs after
 *   `import "ccxt"`;
 * - the whole bot, all roles in one process (web + worker + bot with Telegram and Discord connected
 *   to their stand-ins), started with `npm start`'s command line read from package.json (the
 *   bundle in dist/, built first as `prestart` does), and for comparison the same sources run
 *   under tsx and the bundle without npm start's memory flags. Temp
 *   SQLite, the shared Redis under a fresh QUEUE_PREFIX (removed afterwards), every exchange host
 *   pointed at the stand-in (EXCHANGE_HOST_OVERRIDE). Simulated time: polls every 6 s
 *   (POLL_INTERVAL_MINUTES=0.1) and a reconciler pass every 2 s, so `botCycles` poll → signals →
 *   monitor rounds stand for `botCycles` polls at the default 15 minutes (20 rounds: 5 hours of
 *   polling) and about 30 reconciler passes a minute of wall time (≈ an hour's worth in 2 minutes).
 *   RSS read from /proc after the first round, after a quarter of them and at the end; the peak is
 *   VmHWM.
 * Listings on the stand-in hold only the bench's symbols; a real venue lists hundreds of perps
 * and spot pairs, whose ccxt market objects add to every "markets loaded" figure.
 */

const ROOT = path.resolve(import.meta.dirname, "..");

export interface MemoryFigure {
  readonly label: string;
  readonly rssBytes: number | null;
  readonly peakBytes?: number | null;
  readonly note?: string;
  /** The figure the 150 MB goal is about. */
  readonly goal?: boolean;
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

interface WholeBotRun {
  readonly standIn: string;
  readonly symbols: readonly string[];
  /** Poll → signals → monitor rounds to wait for. */
  readonly rounds: number;
  readonly redisUrl: string;
  /** Node arguments up to and including the entry script; the role "all" is appended. */
  readonly nodeArgs: readonly string[];
  readonly label: string;
  readonly pollIntervalMinutes: number;
}

/**
 * The whole bot against the stand-ins: the exchange (EXCHANGE_HOST_OVERRIDE), Telegram and Discord
 * (both chat clients connected, as a desk would run it), temp SQLite, the shared Redis under a
 * fresh QUEUE_PREFIX (removed afterwards). RSS and peak (VmHWM) from /proc once `rounds` polls
 * have been followed by their signals job.
 */
async function wholeBot(run: WholeBotRun): Promise<MemoryFigure> {
  const { symbols, rounds: cycles, redisUrl, label } = run;
  if (!(await redisAnswers(redisUrl))) return { label, rssBytes: null, note: `skipped: no Redis at ${redisUrl}` };
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-bench-memory-"));
  const prefix = `bench${randomBytes(5).toString("hex")}`;
  const telegram = new TelegramServer({ botUsername: "perpbot_bench_bot" });
  const discord = new DiscordStandIn();
  await Promise.all([telegram.start(), discord.start()]);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(),
    DATABASE_URL: `file:${path.join(dir, "bot.db")}`, REDIS_URL: redisUrl, REDIS_AUTOSTART: "false", QUEUE_PREFIX: prefix, PORT: "0",
    EXCHANGE_HOST_OVERRIDE: run.standIn, SYMBOLS: symbols.join(","), VENUES: "bybit,binanceusdm,okx,bitget", TRADING_VENUE: "bybit",
    POLL_INTERVAL_MINUTES: String(run.pollIntervalMinutes), RECONCILE_INTERVAL_SECONDS: "2", LOG_LEVEL: "info", LOG_FORMAT: "json",
    TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, TELEGRAM_CHAT_IDS: "-1001234567890",
    DISCORD_BOT_TOKEN: discord.token, DISCORD_API_ROOT: discord.apiRoot, DISCORD_CHANNEL_IDS: discord.channelId, DISCORD_GUILD_ID: discord.guildId,
  };
  const child = spawn(process.execPath, [...run.nodeArgs, "all"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
  const pid = child.pid;
  let log = "";
  let exited = false;
  child.stdout.on("data", (c: Buffer) => { log = (log + c.toString()).slice(-200_000); countRounds(c.toString()); });
  child.stderr.on("data", (c: Buffer) => { log = (log + c.toString()).slice(-200_000); });
  let signals = 0;
  function countRounds(chunk: string): void { signals += (chunk.match(/"signal computed"/g) ?? []).length; }
  child.on("exit", () => { exited = true; });
  try {
    if (pid === undefined) return { label, rssBytes: null, note: "skipped: could not spawn" };
    const deadline = Date.now() + 90_000 + cycles * (run.pollIntervalMinutes * 60_000 + 10_000);
    const rounds = (): number => Math.floor(signals / symbols.length);
    const sampleAt = [...new Set([1, Math.max(1, Math.round(cycles / 4))])].filter((n) => n < cycles);
    const samples: string[] = [];
    while (!exited && rounds() < cycles && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const at = sampleAt[0];
      if (at !== undefined && rounds() >= at) {
        sampleAt.shift();
        samples.push(`${(((procStatus(pid, "VmRSS") ?? 0)) / 1048576).toFixed(0)} MB after ${at}`);
      }
    }
    const done = rounds();
    if (exited || done < cycles) return { label, rssBytes: exited ? null : procStatus(pid, "VmRSS"), peakBytes: exited ? null : procStatus(pid, "VmHWM"), note: `only ${done} rounds${exited ? "; exited: " + log.slice(-300) : ""}` };
    await new Promise((r) => setTimeout(r, 500));
    return { label, rssBytes: procStatus(pid, "VmRSS"), peakBytes: procStatus(pid, "VmHWM"), ...(samples.length > 0 ? { note: samples.join(", ") } : {}) };
  } finally {
    if (pid !== undefined && !exited) {
      const gone = new Promise((r) => child.once("exit", r));
      process.kill(-pid, "SIGTERM");
      const timer = setTimeout(() => { if (!exited) process.kill(-pid, "SIGKILL"); }, 10_000);
      await gone;
      clearTimeout(timer);
    }
    await Promise.allSettled([telegram.stop(), discord.stop()]);
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
    if (options.botCycles > 0) {
      const start = npmStartArgs();
      const entry = start.findIndex((arg) => !arg.startsWith("-"));
      const flags = start.slice(0, entry);
      execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "ignore", env: { ...process.env, PERPBOT_BUILD_QUIET: "1" } }); // npm start's prestart
      const bot = { standIn: server.url, symbols, rounds: options.botCycles, redisUrl: options.redisUrl, pollIntervalMinutes: 0.1 };
      const what = `all roles, Telegram + Discord, ${symbols.length} symbols × 4 venues, after ${options.botCycles} polls`;
      figures.push(await wholeBot({ ...bot, nodeArgs: [...flags, "--import", "tsx", "src/main.ts"], label: `whole bot from the sources under tsx, same flags (node ${flags.join(" ")} --import tsx src/main.ts all), ${what}` }));
      if (flags.length > 0) figures.push(await wholeBot({ ...bot, nodeArgs: start.slice(entry), label: `whole bot, the bundle without npm start's memory flags (node ${start.slice(entry).join(" ")} all), ${what}` }));
      figures.push({ ...(await wholeBot({ ...bot, nodeArgs: start, label: `whole bot as npm start runs it (node ${start.join(" ")} all), ${what}` })), goal: true });
    }
  } finally {
    await server.stop();
  }
  return figures;
}
