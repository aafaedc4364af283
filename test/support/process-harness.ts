import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { redisAnswers } from "../../src/queue/redis";
import type { InlineKeyboardMarkup } from "telegraf/types";
import { ExchangeServer, sharedDataPath } from "../stand-ins/exchange-server";
import { TelegramServer, type RecordedMessage, type TestUser } from "../stand-ins/telegram-server";

/**
 * Crash-recovery harness: real OS processes (`tsx src/main.ts <roles>`), a private redis-server
 * that may be flushed or restarted, the Telegram and exchange stand-ins in the test process, and
 * read-only SQL on the shared SQLite file. Nothing here imports the application's own modules, so
 * it does not break while the lifecycle, the store or the Prisma client are being rewritten.
 *
 * Every process started here is registered and SIGKILLed (whole process group: tsx runs the
 * program in a child node process) by `killAllProcesses()`, by `Scenario.dispose()`, and as a
 * last resort when the test process exits.
 */

export const ROOT = path.resolve(import.meta.dirname, "../..");
/**
 * `node --import tsx src/main.ts`, as `npm start` runs it: one process. The `tsx` CLI wrapper
 * would sit in between and relay signals over IPC, and under load it gives up on a slow relay
 * and SIGKILLs the program mid-shutdown (exit 143) — not what a deployment does.
 */
const NODE_ARGS = ["--import", "tsx", "src/main.ts"];
const OUTPUT_TAIL_CHARS = 12_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ── bookkeeping of everything we started ─────────────────────────────────────────────────

const liveChildren = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // the process group: tsx and the node it spawned
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

process.once("exit", () => {
  for (const child of liveChildren) killGroup(child, "SIGKILL");
});

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once("exit", () => {
    liveChildren.delete(child);
    // tsx may die before its node child (or the other way round): never leave half a group behind.
    killGroup(child, "SIGKILL");
  });
}

/** SIGKILLs every process this harness started that is still alive (use in afterAll). */
export async function killAllProcesses(): Promise<void> {
  const children = [...liveChildren];
  for (const child of children) killGroup(child, "SIGKILL");
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once("exit", r)))));
}

// ── polling ──────────────────────────────────────────────────────────────────────────────

/** Polls `condition` every ~100 ms until it is true; throws "timed out after N ms waiting for <what>". */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error; // e.g. the database file does not exist yet: keep polling
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? "" : ` (last check threw: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(100);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ── a private Redis ──────────────────────────────────────────────────────────────────────

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** FLUSHALL on this Redis only. */
  flushAll(): Promise<void>;
  /** SIGKILL and start again on the same port: every key is lost and every connection dropped. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const ping = (url: string): Promise<boolean> => redisAnswers(url, 300);

async function redisCommand(url: string, ...args: [string, ...string[]]): Promise<unknown> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    return await client.call(...args);
  } finally {
    client.disconnect();
  }
}

/** A redis-server on a free 127.0.0.1 port with no persistence: never the shared test Redis. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = "";

  const launch = async (): Promise<void> => {
    const c = spawn("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir, "--loglevel", "warning",
    ], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    track(c);
    c.stdout?.on("data", (d: Buffer) => { log += d.toString(); });
    c.stderr?.on("data", (d: Buffer) => { log += d.toString(); });
    child = c;
    const deadline = Date.now() + 10_000;
    while (!(await ping(url))) {
      if (c.exitCode !== null || Date.now() > deadline) {
        killGroup(c, "SIGKILL");
        throw new Error(`redis-server did not start on port ${port}:\n${log}`);
      }
      await sleep(50);
    }
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((resolve) => c.once("exit", resolve));
    killGroup(c, "SIGKILL");
    await gone;
  };

  await launch();
  return {
    url,
    port,
    flushAll: async () => { await redisCommand(url, "FLUSHALL"); },
    restart: async () => {
      await kill();
      // The port is free again once the process is gone; retry briefly in case the kernel lags.
      for (let attempt = 0; ; attempt += 1) {
        try {
          await launch();
          return;
        } catch (error) {
          if (attempt >= 5) throw error;
          await sleep(200);
        }
      }
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ── perpbot role processes ───────────────────────────────────────────────────────────────

export interface ExitInfo { readonly code: number | null; readonly signal: NodeJS.Signals | null }

export interface RoleProcess {
  /** e.g. "worker#2" */
  readonly name: string;
  readonly pid: number;
  /** Everything written to stdout and stderr so far, interleaved as it arrived. */
  output(): string;
  /** Resolves with the first match; rejects on timeout or when the process exits without it. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<ExitInfo>;
  isAlive(): boolean;
  /** Sends `signal` to the whole process group (tsx and its node child) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** SIGTERM (a clean shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

/**
 * Runs `node --import tsx src/main.ts <roles>` from the repository root with only PATH, HOME
 * and `env` in its environment (so nothing leaks in from the test runner's environment).
 */
export function spawnRole(roles: string, env: Readonly<Record<string, string>>, options: { name?: string } = {}): RoleProcess {
  const child = spawn(process.execPath, [...NODE_ARGS, roles], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group, so a kill reaches anything the program starts
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${process.execPath} ${NODE_ARGS.join(" ")}`);
  track(child);
  const name = options.name ?? roles;
  let buffer = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  let exitInfo: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      // Let the pipes drain, so the last words (e.g. the crash point line) are in the buffer.
      setTimeout(() => {
        for (const l of listeners) l();
        resolve({ code, signal });
      }, 50);
    });
  });

  const waitForOutput = (pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
    const check = (): boolean => {
      const match = buffer.match(pattern);
      if (match === null) return false;
      done();
      resolve(match);
      return true;
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${name}: no output matching ${String(pattern)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => { clearTimeout(timer); listeners.delete(check); };
    if (check()) return;
    listeners.add(check);
    void exited.then((info) => {
      if (check()) return;
      done();
      reject(new Error(`${name} exited (${describeExit(info)}) before printing anything matching ${String(pattern)}`));
    });
  });

  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<ExitInfo> => {
    if (exitInfo === null) killGroup(child, signal);
    return exited;
  };

  return {
    name, pid: child.pid, exited, kill, waitForOutput,
    output: () => buffer,
    isAlive: () => exitInfo === null,
    stop: async (graceMs = 10_000) => {
      if (exitInfo !== null) return exitInfo;
      child.kill("SIGTERM"); // tsx relays it to the program, which shuts down cleanly
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
  };
}

export function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `signal ${info.signal}` : `code ${String(info.code)}`;
}

// ── read-only SQL on the shared SQLite file ──────────────────────────────────────────────

/** Opens `file` read-only for one query (no Prisma: the client is being regenerated). */
export function sql<T = Record<string, unknown>>(file: string, query: string, ...params: unknown[]): T[] {
  if (!existsSync(file)) throw new Error(`database ${file} does not exist yet`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 2000");
    return db.prepare(query).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function sqlCount(file: string, query: string, ...params: unknown[]): number {
  const row = sql<Record<string, unknown>>(file, query, ...params)[0];
  const value = row === undefined ? 0 : Object.values(row)[0];
  return Number(value ?? 0);
}

// ── a whole scenario: stand-ins, private Redis, temp database, role processes ────────────

export const SYMBOL = "BTC/USDT:USDT";
export const DESK_CHAT = -100500;
export const ALICE: TestUser = { id: 111, first_name: "Alice" };
const HOUR = 3_600_000;

export interface ProposalCard { readonly message: RecordedMessage; readonly approveData: string; readonly rejectData: string }

export interface Scenario {
  readonly dir: string;
  readonly dbFile: string;
  readonly redis: PrivateRedis;
  readonly telegram: TelegramServer;
  readonly exchange: ExchangeServer;
  /** The environment every role gets (before per-process extras). */
  readonly env: Readonly<Record<string, string>>;
  /** Every process started in this scenario, in start order (dead ones included). */
  readonly processes: readonly RoleProcess[];
  /**
   * Starts `roles` with the scenario environment plus `extraEnv` and waits until it has started
   * ("perpbot started", and for the bot role "Telegram connected").
   */
  start(roles: string, extraEnv?: Readonly<Record<string, string>>, options?: { readyTimeoutMs?: number }): Promise<RoleProcess>;
  /** Waits for the proposal card with Approve / Reject to land in the Telegram stand-in. */
  waitForProposalCard(timeoutMs?: number): Promise<ProposalCard>;
  /** Alice (allowed) presses Approve; returns the callback query id. */
  pressApprove(card: ProposalCard): string;
  /** The answer to a button press (the toast Alice sees), once the bot has given it. */
  waitForCallbackAnswer(queryId: string, timeoutMs?: number): Promise<string | undefined>;
  /** The card's current text in Telegram (its last edit, or as sent). */
  cardText(card: ProposalCard): string;
  /** Read-only SQL on the scenario database. */
  sql<T = Record<string, unknown>>(query: string, ...params: unknown[]): T[];
  count(query: string, ...params: unknown[]): number;
  /** A snapshot of what the assertions look at, for messages: orders, positions, proposals, card. */
  describeState(card?: ProposalCard): string;
  /** Appends every process's output (tail) and the state to an error, so CI failures explain themselves. */
  annotate(error: unknown, card?: ProposalCard): Error;
  /** Kills every process, stops the stand-ins and Redis, removes the temp dir (kept when `keep`). */
  dispose(options?: { keep?: boolean }): Promise<void>;
}

export interface ScenarioOptions {
  /** Extra environment for every role (e.g. RECONCILE_INTERVAL_SECONDS). */
  readonly env?: Readonly<Record<string, string>>;
  /** Serve the funding anomaly that makes the signal fire (default true). */
  readonly anomaly?: boolean;
}

/**
 * Serves what `test/e2e/signal-to-paper-fill.test.ts` serves: a calm week of real Binance BTC
 * funding prints moved onto the 8 h grid just before now, then 0.15% per 8 h right now, and a
 * book leaning on the bid with an ask wall: funding, walls and book imbalance all say short, so
 * the first poll fires a signal and the bot posts a proposal card.
 */
export function serveFundingAnomaly(exchange: ExchangeServer): void {
  const lastSettlement = Math.floor(Date.now() / (8 * HOUR)) * 8 * HOUR;
  const realEnd = Date.UTC(2023, 11, 31, 16);
  const csv = readFileSync(sharedDataPath("binance_spot_perp_1h/binance_usdm_BTCUSDT_funding.csv"), "utf8");
  const prints = csv.trim().split("\n").slice(1).map((line) => line.split(","))
    .map(([ts, , rate]) => ({ ts: Number(ts), rate: Number(rate) }))
    .filter((p) => p.ts > realEnd - 7 * 24 * HOUR && p.ts <= realEnd);
  if (prints.length !== 21) throw new Error(`expected 21 real funding prints in the last week of 2023, found ${prints.length}`);
  exchange.setFundingHistory("bybit", SYMBOL, prints.map((p) => ({ ts: p.ts - realEnd + lastSettlement, rate: p.rate })));
  exchange.setCurrentFunding("bybit", SYMBOL, { rate: 0.0015, nextFundingTs: lastSettlement + 8 * HOUR, intervalHours: 8, markPrice: 42_000 });
  exchange.setTicker("bybit", SYMBOL, { last: 42_000, bid: 41_999.5, ask: 42_000.5, baseVolume24h: 80_000, quoteVolume24h: 3.36e9 });
  exchange.setBook("bybit", SYMBOL, {
    bids: Array.from({ length: 20 }, (_, i) => [41_999.5 - i, 1] as const),
    asks: Array.from({ length: 20 }, (_, i) => [42_000.5 + i, i === 4 ? 50 : 1] as const),
  });
}

/** The smallest POLL_INTERVAL_MINUTES the tests use (src/config.ts only requires > 0): 3 s. */
export const FAST_POLL_MINUTES = "0.05";

let template: Promise<string> | null = null;
let templateDir: string | null = null;

/** For afterAll: SIGKILLs every process still running and removes the template database. */
export async function cleanupHarness(): Promise<void> {
  await killAllProcesses();
  if (templateDir !== null) rmSync(templateDir, { recursive: true, force: true });
  templateDir = null;
  template = null;
}

/**
 * A SQLite file migrated by the program itself (a `web` process started once and stopped
 * cleanly), copied into each scenario: roles started together on a brand-new file would race
 * to apply the migrations. Made once per test file; removed by `cleanupHarness()`.
 */
export function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "perpbot-template-"));
    templateDir = dir;
    const file = path.join(dir, "template.db");
    const redis = await startPrivateRedis();
    const web = spawnRole("web", {
      DATABASE_URL: `file:${file}`, REDIS_URL: redis.url, REDIS_AUTOSTART: "false", QUEUE_PREFIX: "template", PORT: "0", LOG_FORMAT: "json",
      EXCHANGE_HOST_OVERRIDE: "http://127.0.0.1:9", VENUES: "bybit", TRADING_VENUE: "bybit", SYMBOLS: SYMBOL,
    }, { name: "template-web" });
    try {
      await web.waitForOutput(/perpbot started/, 60_000);
      const exit = await web.stop();
      if (exit.code !== 0) throw new Error(`exited with ${describeExit(exit)}`);
    } catch (error) {
      await web.kill("SIGKILL");
      throw new Error(`could not make the migrated template database: ${error instanceof Error ? error.message : String(error)}\n${web.output()}`);
    } finally {
      await redis.stop();
    }
    return file;
  })();
  return template;
}

export async function startScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const templateFile = await migratedTemplate();
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-crash-"));
  const dbFile = path.join(dir, "perpbot.db");
  copyFileSync(templateFile, dbFile);
  if (existsSync(`${templateFile}-wal`)) copyFileSync(`${templateFile}-wal`, `${dbFile}-wal`);
  const exchange = new ExchangeServer();
  const telegram = new TelegramServer();
  let redis: PrivateRedis | null = null;
  try {
    await Promise.all([exchange.start(), telegram.start()]);
    redis = await startPrivateRedis();
  } catch (error) {
    await Promise.allSettled([exchange.stop(), telegram.stop(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  if (options.anomaly !== false) serveFundingAnomaly(exchange);
  const privateRedis = redis;

  const env: Record<string, string> = {
    DATABASE_URL: `file:${dbFile}`,
    REDIS_URL: privateRedis.url,
    REDIS_AUTOSTART: "false",
    QUEUE_PREFIX: `crash${randomBytes(4).toString("hex")}`,
    PORT: "0",
    LOG_FORMAT: "json",
    LOG_LEVEL: "info",
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_CHAT_IDS: String(DESK_CHAT),
    TELEGRAM_ALLOWED_USER_IDS: String(ALICE.id),
    EXCHANGE_HOST_OVERRIDE: exchange.url,
    EXCHANGE_TIMEOUT_MS: "3000",
    VENUES: "bybit",
    TRADING_VENUE: "bybit",
    SYMBOLS: SYMBOL,
    POLL_INTERVAL_MINUTES: FAST_POLL_MINUTES,
    RECONCILE_INTERVAL_SECONDS: "2",
    ...options.env,
  };
  const processes: RoleProcess[] = [];
  const counters = new Map<string, number>();
  const query = <T>(q: string, ...params: unknown[]): T[] => sql<T>(dbFile, q, ...params);
  const count = (q: string, ...params: unknown[]): number => sqlCount(dbFile, q, ...params);

  const cardText = (card: ProposalCard): string => {
    const { chatId, messageId } = card.message;
    const edits = telegram.edits.filter((e) => e.chatId === chatId && e.messageId === messageId);
    return edits.at(-1)?.text ?? card.message.text;
  };

  const safe = (f: () => unknown): string => {
    try {
      return JSON.stringify(f());
    } catch (error) {
      return `(unreadable: ${error instanceof Error ? error.message : String(error)})`;
    }
  };

  const describeState = (card?: ProposalCard): string => [
    `proposals: ${safe(() => query(`SELECT id, status, decidedBy FROM "Proposal"`))}`,
    `orders: ${safe(() => query(`SELECT clientOrderId, purpose, status FROM "Order"`))}`,
    `positions: ${safe(() => query(`SELECT proposalId, status FROM "Position"`))}`,
    `market snapshots: ${safe(() => count(`SELECT count(*) FROM "MarketSnapshot"`))}`,
    `telegram sent: ${JSON.stringify(telegram.sentMessages.map((m) => `#${m.messageId} ${m.text.split("\n")[0] ?? ""}`))}`,
    `telegram edits: ${JSON.stringify(telegram.edits.map((m) => `#${m.messageId} ${m.text.split("\n").at(-1) ?? ""}`))}`,
    ...(card === undefined ? [] : [`card now: ${JSON.stringify(cardText(card))}`]),
  ].join("\n");

  const scenario: Scenario = {
    dir, dbFile, redis: privateRedis, telegram, exchange, env, processes,

    async start(roles, extraEnv = {}, startOptions = {}) {
      const n = (counters.get(roles) ?? 0) + 1;
      counters.set(roles, n);
      const proc = spawnRole(roles, { ...env, ...extraEnv }, { name: `${roles}#${n}` });
      processes.push(proc);
      const timeout = startOptions.readyTimeoutMs ?? 45_000;
      await proc.waitForOutput(/perpbot started/, timeout);
      if (roles.split(",").includes("bot")) await proc.waitForOutput(/Telegram connected/, timeout);
      return proc;
    },

    async waitForProposalCard(timeoutMs = 30_000) {
      const message = await telegram.waitFor(() => telegram.sentMessages.find((m) => m.replyMarkup !== undefined), timeoutMs)
        .catch(() => { throw new Error(`no proposal card with buttons reached Telegram within ${timeoutMs} ms`); });
      const buttons = (message.replyMarkup as InlineKeyboardMarkup).inline_keyboard.flat();
      const data = (label: RegExp): string => {
        const button = buttons.find((b) => label.test(b.text));
        if (button === undefined || !("callback_data" in button)) throw new Error(`the card has no ${String(label)} button: ${JSON.stringify(buttons)}`);
        return button.callback_data;
      };
      return { message, approveData: data(/Approve/), rejectData: data(/Reject/) };
    },

    pressApprove(card) {
      return telegram.pressButton(ALICE, card.message.chatId, card.message.messageId, card.approveData);
    },

    async waitForCallbackAnswer(queryId, timeoutMs = 15_000) {
      const answer = await telegram.waitFor(() => telegram.callbackAnswers.find((a) => a.callbackQueryId === queryId), timeoutMs)
        .catch(() => { throw new Error(`the bot did not answer button press ${queryId} within ${timeoutMs} ms`); });
      return answer.text;
    },

    cardText,
    sql: query,
    count,
    describeState,

    annotate(error, card) {
      const base = error instanceof Error ? error : new Error(String(error));
      const sections = processes.map((p) => {
        const out = p.output();
        const tail = out.length > OUTPUT_TAIL_CHARS ? `…(${out.length - OUTPUT_TAIL_CHARS} chars cut)…\n${out.slice(-OUTPUT_TAIL_CHARS)}` : out;
        return `──── ${p.name} (pid ${p.pid}, ${p.isAlive() ? "alive" : "exited"}) output ────\n${tail}`;
      });
      base.message += `\n\n──── state ────\n${describeState(card)}\n\n${sections.join("\n\n")}\n──── scenario dir: ${dir} ────`;
      return base;
    },

    async dispose(disposeOptions = {}) {
      await Promise.allSettled(processes.map((p) => p.kill("SIGKILL")));
      await Promise.allSettled([exchange.stop(), telegram.stop(), privateRedis.stop()]);
      if (disposeOptions.keep !== true) rmSync(dir, { recursive: true, force: true });
    },
  };
  return scenario;
}

/**
 * Runs `body` against a fresh scenario and always disposes of it; on failure the error carries
 * every process's output and the database / chat state. Set PERPBOT_KEEP_TEST_DIRS=1 to keep
 * the temp dir (SQLite file) of a failed scenario.
 */
export async function withScenario(options: ScenarioOptions, body: (s: Scenario, remember: (card: ProposalCard) => void) => Promise<void>): Promise<void> {
  const scenario = await startScenario(options);
  let card: ProposalCard | undefined;
  let failed = false;
  try {
    await body(scenario, (c) => { card = c; });
  } catch (error) {
    failed = true;
    throw scenario.annotate(error, card);
  } finally {
    await scenario.dispose({ keep: failed && process.env.PERPBOT_KEEP_TEST_DIRS === "1" });
  }
}
