import { existsSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { settingsFromConfig } from "./app/settings-from-config";
import { ConsoleTransport } from "./chat/console/console-transport";
import type { TelegramTransport } from "./chat/telegram/telegram-transport";
import type { ChatTransport } from "./chat/transport";
import { ConfigError, loadConfig, secretsOf, tradingCredentials, type Config } from "./config";
import type { LiveBroker } from "./exchange/broker";
import type { MarketDataSource } from "./exchange/market-data";
import { createLogger, type Logger } from "./log";
import { metricsConfigOf } from "./metrics/metrics-config";
import { ensureRedis, RedisUnavailableError } from "./queue/redis";
import { ALL_ROLES, startRuntime, type Role } from "./runtime";
import { openDatabase } from "./store/database";
import { databaseProbeFor } from "./store/database-probe";
import { startHttpServer } from "./web/http-server";
import { createSignalWebhook } from "./web/signal-webhook";

const TELEGRAM_WEBHOOK_PATH = "/telegram/webhook";

/** "all" (default), or one or more of web, worker, bot joined by commas: `tsx src/main.ts worker`. */
export function parseRoles(arg: string | undefined): Role[] {
  if (arg === undefined || arg === "all") return [...ALL_ROLES];
  const roles = arg.split(",").map((r) => r.trim());
  const unknown = roles.filter((r) => !(ALL_ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new ConfigError([`unknown role "${unknown.join(",")}": use all, web, worker, bot, or a comma-separated mix like web,bot`]);
  return roles as Role[];
}

/**
 * The chat clients, loaded only in a process that runs the bot role and only for the platforms
 * configured: discord.js and ccxt each take a second or more to load, which every other role
 * (and every restart) would otherwise pay for nothing.
 */
async function chatTransports(config: Config, logger: Logger, roles: readonly Role[]): Promise<{ transports: ChatTransport[]; telegramWebhook: TelegramTransport | null }> {
  const transports: ChatTransport[] = [new ConsoleTransport({ readStdin: true })];
  let telegramWebhook: TelegramTransport | null = null;
  if (config.TELEGRAM_BOT_TOKEN) {
    const webhook = config.TELEGRAM_WEBHOOK_DOMAIN && config.TELEGRAM_WEBHOOK_SECRET
      ? { domain: config.TELEGRAM_WEBHOOK_DOMAIN, path: TELEGRAM_WEBHOOK_PATH, secretToken: config.TELEGRAM_WEBHOOK_SECRET }
      : undefined;
    if (webhook && !roles.includes("web")) {
      throw new ConfigError(["TELEGRAM_WEBHOOK_DOMAIN is set, so Telegram updates arrive at the web process: run the bot role together with web (`web,bot`), or unset TELEGRAM_WEBHOOK_DOMAIN to use long polling."]);
    }
    const { TelegramTransport } = await import("./chat/telegram/telegram-transport");
    const telegram = new TelegramTransport({ token: config.TELEGRAM_BOT_TOKEN, apiRoot: config.TELEGRAM_API_ROOT, chatIds: config.TELEGRAM_CHAT_IDS, logger, ...(webhook ? { webhook } : {}) });
    if (webhook) telegramWebhook = telegram;
    transports.push(telegram);
  }
  if (config.DISCORD_BOT_TOKEN) {
    const { DiscordTransport } = await import("./chat/discord/discord-transport");
    transports.push(new DiscordTransport({
      token: config.DISCORD_BOT_TOKEN, apiRoot: config.DISCORD_API_ROOT, channelIds: config.DISCORD_CHANNEL_IDS, logger,
      ...(config.DISCORD_GUILD_ID ? { guildId: config.DISCORD_GUILD_ID } : {}),
    }));
  }
  return { transports, telegramWebhook };
}

/**
 * LIVE_TRADING=true: the live broker, after the gate (keys, paper period, no open paper trade, a
 * working key that cannot withdraw). Any failed condition stops the start, each one named.
 */
async function liveBroker(config: Config, db: Awaited<ReturnType<typeof openDatabase>>, logger: Logger): Promise<LiveBroker> {
  const { createLiveBroker } = await import("./exchange/live/live-broker");
  const { checkLiveGate } = await import("./app/live-gate");
  const { credentials, missing } = tradingCredentials(config);
  const broker = credentials === null ? null : createLiveBroker({
    venue: config.TRADING_VENUE, credentials, logger, leverage: config.LEVERAGE, marginMode: config.LIVE_MARGIN_MODE, timeoutMs: config.EXCHANGE_TIMEOUT_MS,
    ...(config.EXCHANGE_HOST_OVERRIDE ? { hostOverride: config.EXCHANGE_HOST_OVERRIDE } : {}),
  });
  const gate = await checkLiveGate({ db, venue: config.TRADING_VENUE, missingCredentials: missing, skipPaperPeriod: config.LIVE_SKIP_PAPER_PERIOD, broker, now: Date.now() });
  if (gate.problems.length > 0 || broker === null) {
    throw new ConfigError(gate.problems.map((p) => `LIVE_TRADING=true refused: ${p}`));
  }
  if (config.LIVE_SKIP_PAPER_PERIOD) logger.warn("LIVE_SKIP_PAPER_PERIOD=true: live trading without the 14-day paper period");
  logger.info({ venue: config.TRADING_VENUE, equityUsd: gate.equityUsd }, "live gate passed: the API key works and cannot withdraw");
  return broker;
}

async function main(): Promise<void> {
  const roles = parseRoles(process.argv[2]);
  // A .env file in the working directory is read if present; real environment variables win.
  if (existsSync(".env")) process.loadEnvFile(".env");
  const config = loadConfig();
  const operator = metricsConfigOf(config);
  const logger = createLogger({ level: config.LOG_LEVEL, secrets: secretsOf(config), pretty: (config.LOG_FORMAT ?? (process.stdout.isTTY ? "pretty" : "json")) === "pretty" });
  // The bot role answers presses: its SQLite connection runs on its own thread (see OpenOptions).
  const sqliteOnOwnThread = roles.includes("bot") && !/^postgres(ql)?:/.test(config.DATABASE_URL);
  const db = await openDatabase(config.DATABASE_URL, { sqliteThread: sqliteOnOwnThread });
  const broker = config.LIVE_TRADING ? await liveBroker(config, db, logger) : undefined;
  const redisHandle = await ensureRedis({ url: config.REDIS_URL, autostart: config.REDIS_AUTOSTART, dataDir: path.resolve("data"), logger });
  const redis = new Redis(redisHandle.url, { maxRetriesPerRequest: null });
  // Only the worker polls the exchanges, so only it loads ccxt.
  const sources: MarketDataSource[] = [];
  if (roles.includes("worker")) {
    const { createCcxtMarketData } = await import("./exchange/ccxt-market-data");
    for (const venue of config.VENUES) {
      sources.push(createCcxtMarketData({
        venue, logger, timeoutMs: config.EXCHANGE_TIMEOUT_MS, ...(config.EXCHANGE_HOST_OVERRIDE ? { hostOverride: config.EXCHANGE_HOST_OVERRIDE } : {}),
      }));
    }
  }
  const { transports, telegramWebhook } = roles.includes("bot") ? await chatTransports(config, logger, roles) : { transports: [], telegramWebhook: null };
  const webhook = telegramWebhook ? { path: TELEGRAM_WEBHOOK_PATH, handler: telegramWebhook.webhookCallback() } : undefined;
  // Listen for SIGTERM before anything can announce "started": with no listener, Node leaves the
  // signal to the OS, which kills the process on the spot — no clean shutdown.
  let stopRequested: string | null = null;
  let runtime: Awaited<ReturnType<typeof startRuntime>> | null = null;
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (runtime === null) {
      stopRequested = signal; // still starting: stop as soon as it has
      return;
    }
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: finishing active jobs");
    await runtime.stop();
    await Promise.allSettled(sources.map((s) => s.close()));
    await redis.quit().catch(() => undefined);
    await db.$disconnect();
    await redisHandle.stop();
    logger.info("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  runtime = await startRuntime({
    roles, db, logger, redis, sources, transports, schedule: true, reconcileIntervalMs: config.RECONCILE_INTERVAL_SECONDS * 1_000,
    ...(broker === undefined ? {} : { broker }),
    settings: settingsFromConfig(config),
    queuePrefix: config.QUEUE_PREFIX,
    databaseProbe: databaseProbeFor(db, config.DATABASE_URL),
    startWeb: ({ app, queues, health }) => startHttpServer({
      app, queues, operator, health, port: config.PORT, host: config.HOST, ...(webhook ? { telegramWebhook: webhook } : {}),
      ...(config.SIGNAL_WEBHOOK_SECRET ? { signalWebhook: createSignalWebhook(app, { secret: config.SIGNAL_WEBHOOK_SECRET }) } : {}),
    }),
  });
  const mode = broker === undefined ? "paper" : "live";
  logger.info({ roles, symbols: config.SYMBOLS, venues: config.VENUES, mode, tradingVenue: config.TRADING_VENUE, sqliteOnOwnThread }, mode === "live" ? `perpbot started: LIVE trading on ${config.TRADING_VENUE}` : "perpbot started (paper trading)");

  if (stopRequested !== null) await shutdown(stopRequested);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof RedisUnavailableError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`perpbot failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
