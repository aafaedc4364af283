import { z } from "zod";
import type { LiveCredentials } from "./exchange/live/ccxt-client";
import { VENUE_IDS } from "./exchange/venues/registry";
import { DIGEST_TIME_PATTERN, isIanaZone } from "./core/digest-slots";

/**
 * All configuration comes from the environment, parsed once at start. A bad value stops the
 * program with one message naming the variable and the fix. `.env.example` documents each one.
 */
const csv = z.string().transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0));
const numericIds = (what: string) => csv.pipe(z.array(z.string().regex(/^\d+$/, `must be numeric ${what} ids, comma-separated`)));
const userIds = numericIds("user");
const chatIds = csv.pipe(z.array(z.string().regex(/^-?\d+$/, "must be numeric chat ids, comma-separated")));
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");
const positive = z.coerce.number().positive();
const optionalText = z.string().trim().optional().transform((v) => (v === "" ? undefined : v));

/** Times of day, each HH:MM, kept once each and in order. */
const timesOfDay = csv.pipe(z.array(z.string().regex(DIGEST_TIME_PATTERN, "must be times of day like 08:00,20:00 (24-hour HH:MM, comma-separated)")).min(1, "needs at least one time like 08:00"))
  .transform((times) => [...new Set(times)].sort());
/** An IANA zone, stored under its canonical spelling so a slot's key does not change with the letter case. */
/** UTC's usual spellings, canonical without asking Intl (whose first use costs about 11 MB: digest-slots.ts). */
const UTC_SPELLING = /^(etc\/)?(utc|gmt)$/i;
const timeZone = z.string().trim().refine((zone) => UTC_SPELLING.test(zone) || isIanaZone(zone), "must be an IANA time zone like Europe/London, America/New_York or UTC")
  .transform((zone) => (UTC_SPELLING.test(zone) ? "UTC" : new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone));
/** Shares of a distance, each strictly between 0 and 1, kept once each and ascending. */
const SHARES_HINT = "must be shares between 0 and 1 like 0.5,0.8 (comma-separated)";
const shares = csv.pipe(z.array(z.coerce.number<string>({ error: SHARES_HINT }).gt(0, SHARES_HINT).lt(1, SHARES_HINT)).min(1, SHARES_HINT))
  .transform((levels) => [...new Set(levels)].sort((a, b) => a - b));

/** The venue registry decides which venues exist (src/exchange/venues/registry.ts). */
const VENUES = VENUE_IDS;

const schema = z.object({
  SYMBOLS: csv.pipe(z.array(z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+:[A-Z0-9]+$/, "must be ccxt perp symbols like MNT/USDT:USDT")).min(1)).default(["MNT/USDT:USDT"]),
  VENUES: csv.pipe(z.array(z.enum(VENUES)).min(1)).default([...VENUES]),
  /** Venue where paper (and later live) orders are placed; the others only confirm. */
  TRADING_VENUE: z.enum(VENUES).default("bybit"),
  POLL_INTERVAL_MINUTES: positive.default(15),
  /** L2 book levels read per side each poll (each venue rounds up to a depth it accepts). */
  BOOK_DEPTH: z.coerce.number().int().min(1).max(400).default(20),
  /** Market data older than this is never used for a signal, a proposal or a fill (default: two poll intervals). */
  MAX_DATA_AGE_MINUTES: z.preprocess((v) => (v === "" ? undefined : v), positive.optional()),
  /** Recorded market history (snapshots, book summaries, open interest) kept this long; funding prints and candles stay. */
  MARKET_RETENTION_DAYS: positive.default(730),
  /** Full stored books are heavy: kept this long, then only their summary stays. */
  MARKET_BOOK_RETENTION_DAYS: positive.default(3),
  RISK_PROFILE: z.enum(["conservative", "aggressive"]).default("conservative"),
  PAPER_STARTING_EQUITY: positive.default(10_000),
  LEVERAGE: z.coerce.number().min(1).max(10, "is capped at 10x by the risk rules").default(5),
  FUNDING_Z_THRESHOLD: positive.default(1.5),
  SIGNAL_HORIZON_HOURS: z.coerce.number().min(4).max(12, "must be between 4 and 12 hours").default(8),
  PROPOSAL_TTL_MINUTES: positive.default(30),
  TAKER_FEE_BPS: z.coerce.number().min(0).default(5.5),
  SLIPPAGE_BPS: z.coerce.number().min(0).default(2),
  FUNDING_ALERT_MINUTES: positive.default(30),
  /** Local times of the digest (src/app/digest.ts), in DIGEST_TIME_ZONE. */
  DIGEST_TIMES: timesOfDay.default(["08:00", "20:00"]),
  DIGEST_TIME_ZONE: timeZone.default("UTC"),
  /** A position is warned about when its mark has come this share of the way from entry to liquidation (once per level). */
  LIQUIDATION_WARNING_AT: shares.default([0.5, 0.8]),
  /** Take-profit distance as a multiple of the stop distance. */
  REWARD_TO_RISK: positive.default(1.5),
  /** Risk profiles whose proposals execute without a press (opt-in): e.g. "aggressive". */
  AUTO_EXECUTE: csv.pipe(z.array(z.enum(["conservative", "aggressive"]))).default([]),
  /** Re-checked at approval: largest price move since the proposal, widest bid/ask spread (percent). */
  MAX_PRICE_DRIFT_PCT: positive.default(0.5),
  MAX_SPREAD_PCT: positive.default(0.2),
  /** Until venues report their own: the order-size step, the smallest order, and the maintenance margin. */
  LOT_SIZE: positive.default(0.001),
  MIN_NOTIONAL_USD: z.coerce.number().min(0).default(5),
  MAINTENANCE_MARGIN_PCT: z.coerce.number().min(0).max(50).default(0.5),
  /** How often the reconciler re-checks the outbox, stuck trades and the job schedulers. */
  RECONCILE_INTERVAL_SECONDS: positive.default(60),
  LIVE_TRADING: bool.default(false),
  /** Live only: the margin mode set before a symbol's first order. */
  LIVE_MARGIN_MODE: z.enum(["isolated", "cross"]).default("isolated"),
  /** Live only: minutes an entry that may have been sent is looked up before it is declared never placed. */
  LIVE_UNKNOWN_ORDER_GIVE_UP_MINUTES: positive.default(15),
  /** Live only: a venue position the journal does not know is reported, or adopted into the journal (and reported). */
  LIVE_UNKNOWN_POSITIONS: z.enum(["report", "adopt"]).default("report"),
  /** Live only: start without 14 days of paper journal. You accept trading an untried setup. */
  LIVE_SKIP_PAPER_PERIOD: bool.default(false),
  BYBIT_API_KEY: optionalText,
  BYBIT_API_SECRET: optionalText,
  BINANCE_API_KEY: optionalText,
  BINANCE_API_SECRET: optionalText,
  OKX_API_KEY: optionalText,
  OKX_API_SECRET: optionalText,
  OKX_API_PASSPHRASE: optionalText,
  BITGET_API_KEY: optionalText,
  BITGET_API_SECRET: optionalText,
  BITGET_API_PASSPHRASE: optionalText,

  DATABASE_URL: z.string().regex(/^(file:|postgres(ql)?:\/\/)/, "must be a SQLite file URL like file:./data/perpbot.db or a PostgreSQL URL like postgresql://user@host:5432/perpbot").default("file:./data/perpbot.db"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must look like redis://127.0.0.1:6379").default("redis://127.0.0.1:6379"),
  /** Start a private redis-server under ./data when REDIS_URL does not answer. */
  REDIS_AUTOSTART: bool.default(true),
  QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/, "may hold letters, digits, _ and - only").default("perpbot"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface the web process binds: this machine only unless set (the Procfile's web role sets 0.0.0.0 for the platform's router). */
  HOST: z.string().trim().regex(/^[0-9a-fA-F.:]+$|^localhost$/, "must be an IP address like 127.0.0.1 or 0.0.0.0").default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** pretty on a terminal, json otherwise, unless set. */
  LOG_FORMAT: z.enum(["pretty", "json"]).optional(),

  TELEGRAM_BOT_TOKEN: optionalText,
  TELEGRAM_CHAT_IDS: chatIds.default([]),
  /** Roles by user id (src/chat/roles.ts); an id in two lists gets the higher role. */
  TELEGRAM_VIEWER_USER_IDS: userIds.default([]),
  TELEGRAM_APPROVER_USER_IDS: userIds.default([]),
  TELEGRAM_ADMIN_USER_IDS: userIds.default([]),
  /** The older single list, kept so existing deployments keep their access: it means admin. */
  TELEGRAM_ALLOWED_USER_IDS: userIds.default([]),
  TELEGRAM_API_ROOT: z.url().default("https://api.telegram.org"),
  TELEGRAM_WEBHOOK_DOMAIN: optionalText,
  TELEGRAM_WEBHOOK_SECRET: optionalText,
  /** Turns on POST /signals/inbound on the web process (TradingView-style alerts), checked against this shared secret. */
  SIGNAL_WEBHOOK_SECRET: optionalText.pipe(z.string().min(16, "must be at least 16 characters (e.g. `openssl rand -hex 24`)").optional()),
  /** When set, GET /metrics answers only `Authorization: Bearer <token>` (src/metrics). */
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, "must be at least 16 characters (e.g. `openssl rand -hex 24`)").optional()),
  /** Both set: the BullMQ dashboard is served at /admin/queues behind HTTP Basic auth. Neither: it is off. */
  QUEUE_DASHBOARD_USER: optionalText.pipe(z.string().regex(/^[^:\s]+$/, "may not contain a colon or spaces (HTTP Basic auth)").optional()),
  QUEUE_DASHBOARD_PASSWORD: optionalText.pipe(z.string().min(12, "must be at least 12 characters").optional()),
  /**
   * Read-only unless set to false: retrying or removing a job by hand bypasses the outbox and the
   * reconciler (an execution job retried by hand could send an order the journal does not expect).
   */
  QUEUE_DASHBOARD_READONLY: bool.default(true),

  DISCORD_BOT_TOKEN: optionalText,
  DISCORD_CHANNEL_IDS: numericIds("channel").default([]),
  DISCORD_GUILD_ID: optionalText,
  DISCORD_VIEWER_USER_IDS: userIds.default([]),
  DISCORD_APPROVER_USER_IDS: userIds.default([]),
  DISCORD_ADMIN_USER_IDS: userIds.default([]),
  /** Like TELEGRAM_ALLOWED_USER_IDS: means admin. */
  DISCORD_ALLOWED_USER_IDS: userIds.default([]),
  DISCORD_API_ROOT: z.url().default("https://discord.com/api"),

  /** Test and offline use only: send every exchange request to this host instead. */
  EXCHANGE_HOST_OVERRIDE: optionalText,
  EXCHANGE_TIMEOUT_MS: positive.default(10_000),
});

export type Config = z.infer<typeof schema>;

/** Every variable perpbot reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`perpbot cannot start, the configuration has ${problems.length === 1 ? "a problem" : "problems"}:\n` +
      problems.map((p) => `  - ${p}`).join("\n") + "\nFix the variable in your environment or .env file (see .env.example).");
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "not set", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    // Name the variable itself ("SYMBOLS", not the list element "SYMBOLS.0"), once per problem.
    throw new ConfigError([...new Set(parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "");
      const value = env[name];
      const given = typeof value === "string" && isSafeToEcho(name, value) ? ` (got "${value}")` : "";
      return `${name} ${issue.message}${given}`;
    }))]);
  }
  const config = parsed.data;
  const problems: string[] = [];
  if (config.TELEGRAM_BOT_TOKEN && config.TELEGRAM_CHAT_IDS.length === 0) problems.push("TELEGRAM_CHAT_IDS is empty: set the chat id(s) where alerts go (see README, 'Telegram').");
  if (config.DISCORD_BOT_TOKEN && config.DISCORD_CHANNEL_IDS.length === 0) problems.push("DISCORD_CHANNEL_IDS is empty: set the channel id(s) where alerts go (see README, 'Discord').");
  if (config.TELEGRAM_WEBHOOK_DOMAIN && !config.TELEGRAM_WEBHOOK_SECRET) problems.push("TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_DOMAIN, so forged updates are refused.");
  if ((config.QUEUE_DASHBOARD_USER === undefined) !== (config.QUEUE_DASHBOARD_PASSWORD === undefined)) {
    problems.push("QUEUE_DASHBOARD_USER and QUEUE_DASHBOARD_PASSWORD must be set together (the dashboard is off when both are empty).");
  }
  if (!config.VENUES.includes(config.TRADING_VENUE)) problems.push(`TRADING_VENUE ${config.TRADING_VENUE} must be one of VENUES (${config.VENUES.join(",")}).`);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Whether a rejected value may be shown back. Never for secret variables, and never for values
 * that look like a credential pasted into the wrong variable (a bot token, a URL with a password).
 */
function isSafeToEcho(name: string, value: string): boolean {
  if (/TOKEN|SECRET|KEY|PASSWORD/.test(name)) return false;
  if (value.length > 80 || value.includes("@")) return false;
  return !/\d{6,}:[\w-]{20,}/.test(value) && !/[A-Za-z0-9_-]{24,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}/.test(value);
}

/** Every secret the process holds, for log and chat redaction. */
export function secretsOf(config: Config): string[] {
  return [
    config.TELEGRAM_BOT_TOKEN, config.DISCORD_BOT_TOKEN, config.TELEGRAM_WEBHOOK_SECRET, config.SIGNAL_WEBHOOK_SECRET,
    config.METRICS_TOKEN, config.QUEUE_DASHBOARD_PASSWORD,
    config.BYBIT_API_KEY, config.BYBIT_API_SECRET, config.BINANCE_API_KEY, config.BINANCE_API_SECRET,
    config.OKX_API_KEY, config.OKX_API_SECRET, config.OKX_API_PASSPHRASE, config.BITGET_API_KEY, config.BITGET_API_SECRET, config.BITGET_API_PASSPHRASE,
  ].filter((s): s is string => typeof s === "string");
}

/** The trading venue's API credentials from the environment, and the variables that are missing. */
export function tradingCredentials(config: Config): { readonly credentials: LiveCredentials | null; readonly missing: readonly string[] } {
  const names: Record<Config["TRADING_VENUE"], readonly [string, string, string | null]> = {
    bybit: ["BYBIT_API_KEY", "BYBIT_API_SECRET", null],
    binanceusdm: ["BINANCE_API_KEY", "BINANCE_API_SECRET", null],
    okx: ["OKX_API_KEY", "OKX_API_SECRET", "OKX_API_PASSPHRASE"],
    bitget: ["BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASSPHRASE"],
  };
  const [keyName, secretName, passName] = names[config.TRADING_VENUE];
  const value = (name: string | null): string | undefined => (name === null ? undefined : (config as Record<string, unknown>)[name] as string | undefined);
  const missing = [keyName, secretName, ...(passName === null ? [] : [passName])].filter((name) => value(name) === undefined);
  const apiKey = value(keyName);
  const secret = value(secretName);
  const passphrase = value(passName);
  if (missing.length > 0 || apiKey === undefined || secret === undefined) return { credentials: null, missing };
  return { credentials: { apiKey, secret, ...(passphrase === undefined ? {} : { passphrase }) }, missing };
}
