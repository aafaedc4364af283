import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { InlineKeyboardMarkup } from "telegraf/types";
import { ExchangeServer } from "../stand-ins/exchange-server";
import { TelegramServer, type RecordedMessage } from "../stand-ins/telegram-server";
import { startPrivateRedis, type PrivateRedis } from "./private-redis";
import { spawnRole, type RoleProcess } from "./role-process";
import { ALICE, DESK_CHAT, FAST_POLL_MINUTES, SYMBOL, migratedTemplate, serveFundingAnomaly } from "./scenario-setup";
import { sql, sqlCount } from "./sqlite-read";

// ── a whole scenario: stand-ins, private Redis, temp database, role processes ────────────

const OUTPUT_TAIL_CHARS = 12_000;

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
