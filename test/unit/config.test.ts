import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, secretsOf, tradingCredentials } from "../../src/config";

const TOKEN = "7012345678:AAH-very-secret-token_value";
const DISCORD_TOKEN = "MTA5.discord-secret.token";

/** Runs loadConfig and returns the ConfigError it must throw. */
function refuse(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  it("gives the documented defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      SYMBOLS: ["MNT/USDT:USDT"],
      VENUES: ["bybit", "binanceusdm", "okx", "bitget"],
      TRADING_VENUE: "bybit",
      RISK_PROFILE: "conservative",
      LEVERAGE: 5,
      FUNDING_Z_THRESHOLD: 1.5,
      SIGNAL_HORIZON_HOURS: 8,
      LIVE_TRADING: false,
      REDIS_URL: "redis://127.0.0.1:6379",
      DATABASE_URL: "file:./data/perpbot.db",
      PORT: 3000,
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      TELEGRAM_CHAT_IDS: [],
      TELEGRAM_ALLOWED_USER_IDS: [],
    });
    expect(config.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(secretsOf(config)).toEqual([]);
  });

  it("treats empty strings as unset, as .env files write them", () => {
    const config = loadConfig({ LEVERAGE: "", TELEGRAM_BOT_TOKEN: "", SYMBOLS: "" });
    expect(config.LEVERAGE).toBe(5);
    expect(config.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(config.SYMBOLS).toEqual(["MNT/USDT:USDT"]);
  });

  it("parses lists, numbers and booleans", () => {
    const config = loadConfig({
      SYMBOLS: "MNT/USDT:USDT, BTC/USDT:USDT", VENUES: "okx,bybit", TRADING_VENUE: "okx", LEVERAGE: "10",
      LIVE_TRADING: "no", TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_IDS: "-1001234567890,42", TELEGRAM_ALLOWED_USER_IDS: "111,222",
      DISCORD_BOT_TOKEN: DISCORD_TOKEN, DISCORD_CHANNEL_IDS: "123456789012345678",
    });
    expect(config.SYMBOLS).toEqual(["MNT/USDT:USDT", "BTC/USDT:USDT"]);
    expect(config.VENUES).toEqual(["okx", "bybit"]);
    expect(config.LEVERAGE).toBe(10);
    expect(config.LIVE_TRADING).toBe(false);
    expect(config.TELEGRAM_CHAT_IDS).toEqual(["-1001234567890", "42"]);
    expect(config.TELEGRAM_ALLOWED_USER_IDS).toEqual(["111", "222"]);
    expect(secretsOf(config)).toEqual([TOKEN, DISCORD_TOKEN]);
  });

  it.each([
    ["LEVERAGE", "20", /^LEVERAGE is capped at 10x/],
    ["LEVERAGE", "abc", /^LEVERAGE /],
    ["LEVERAGE", "0.5", /^LEVERAGE /],
    ["SYMBOLS", "MNTUSDT", /^SYMBOLS must be ccxt perp symbols like MNT\/USDT:USDT \(got "MNTUSDT"\)/],
    ["TELEGRAM_ALLOWED_USER_IDS", "abc", /^TELEGRAM_ALLOWED_USER_IDS must be numeric user ids/],
    ["TELEGRAM_CHAT_IDS", "@mychannel", /^TELEGRAM_CHAT_IDS must be numeric chat ids/],
    ["REDIS_URL", "localhost", /^REDIS_URL must look like redis:\/\/127\.0\.0\.1:6379 \(got "localhost"\)/],
    ["DATABASE_URL", "mysql://x", /^DATABASE_URL must be a SQLite file URL like file:\.\/data\/perpbot\.db or a PostgreSQL URL like postgresql:\/\//],
    ["HOST", "example.com", /^HOST must be an IP address like 127\.0\.0\.1 or 0\.0\.0\.0/],
    ["VENUES", "bybit,ftx", /^VENUES /],
    ["TRADING_VENUE", "ftx", /^TRADING_VENUE /],
    ["RISK_PROFILE", "yolo", /^RISK_PROFILE /],
    ["SIGNAL_HORIZON_HOURS", "24", /^SIGNAL_HORIZON_HOURS must be between 4 and 12 hours/],
    ["SIGNAL_HORIZON_HOURS", "3", /^SIGNAL_HORIZON_HOURS /],
    ["PORT", "70000", /^PORT /],
    ["LIVE_TRADING", "maybe", /^LIVE_TRADING /],
    ["LOG_LEVEL", "loud", /^LOG_LEVEL /],
    ["QUEUE_PREFIX", "perp:bot", /^QUEUE_PREFIX may hold letters/],
    ["POLL_INTERVAL_MINUTES", "-5", /^POLL_INTERVAL_MINUTES /],
    ["TELEGRAM_API_ROOT", "not a url", /^TELEGRAM_API_ROOT /],
  ])("%s=%s is refused with a message naming the variable", (name, value, pattern) => {
    const error = refuse({ [name]: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(pattern);
    expect(error.message).toContain(name);
    expect(error.message).toContain("Fix the variable in your environment or .env file");
  });

  it("lists every problem at once", () => {
    const error = refuse({ LEVERAGE: "20", REDIS_URL: "localhost", PORT: "-1" });
    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(/problems:/);
  });

  it("reports a bad list once, not once per element", () => {
    const error = refuse({ SYMBOLS: "MNTUSDT,BTCUSDT" });
    expect(error.problems).toEqual(['SYMBOLS must be ccxt perp symbols like MNT/USDT:USDT (got "MNTUSDT,BTCUSDT")']);
  });

  it("leaves LIVE_TRADING=true to the live gate, and names the trading venue's missing key variables", () => {
    for (const value of ["true", "1", "yes"]) expect(loadConfig({ LIVE_TRADING: value }).LIVE_TRADING).toBe(true);
    expect(tradingCredentials(loadConfig({ LIVE_TRADING: "true" })).missing).toEqual(["BYBIT_API_KEY", "BYBIT_API_SECRET"]);
    const okx = loadConfig({ VENUES: "okx", TRADING_VENUE: "okx", OKX_API_KEY: "k-123456", OKX_API_SECRET: "s-123456" });
    expect(tradingCredentials(okx)).toEqual({ credentials: null, missing: ["OKX_API_PASSPHRASE"] });
    const bitget = loadConfig({ VENUES: "bitget", TRADING_VENUE: "bitget", BITGET_API_KEY: "k-123456", BITGET_API_SECRET: "s-123456", BITGET_API_PASSPHRASE: "p-123456" });
    expect(tradingCredentials(bitget)).toEqual({ credentials: { apiKey: "k-123456", secret: "s-123456", passphrase: "p-123456" }, missing: [] });
    // Every key is a secret: redacted from logs and chat.
    expect(secretsOf(bitget)).toEqual(expect.arrayContaining(["k-123456", "s-123456", "p-123456"]));
  });

  it("refuses a Telegram token without chat ids, and a Discord token without channels", () => {
    expect(refuse({ TELEGRAM_BOT_TOKEN: TOKEN }).problems).toEqual([expect.stringMatching(/^TELEGRAM_CHAT_IDS is empty/)]);
    expect(refuse({ DISCORD_BOT_TOKEN: DISCORD_TOKEN }).problems).toEqual([expect.stringMatching(/^DISCORD_CHANNEL_IDS is empty/)]);
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_IDS: "42" }).TELEGRAM_BOT_TOKEN).toBe(TOKEN);
  });

  it("refuses a webhook domain without a secret, and a trading venue outside VENUES", () => {
    expect(refuse({ TELEGRAM_WEBHOOK_DOMAIN: "bot.example.com" }).problems[0]).toMatch(/^TELEGRAM_WEBHOOK_SECRET must be set/);
    expect(refuse({ VENUES: "okx", TRADING_VENUE: "bybit" }).problems[0]).toMatch(/^TRADING_VENUE bybit must be one of VENUES \(okx\)/);
  });

  it("never puts token values in the message", () => {
    const error = refuse({
      TELEGRAM_BOT_TOKEN: TOKEN, DISCORD_BOT_TOKEN: DISCORD_TOKEN, TELEGRAM_WEBHOOK_DOMAIN: "bot.example.com",
      LEVERAGE: "20", LIVE_TRADING: "true",
    });
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain(DISCORD_TOKEN);
    expect(error.problems.join("\n")).not.toContain("AAH-very-secret");
    // The schema error came first; the cross-checks only run on a config that parsed.
    expect(error.problems).toHaveLength(1);
    const crossChecks = refuse({ TELEGRAM_BOT_TOKEN: TOKEN, DISCORD_BOT_TOKEN: DISCORD_TOKEN, LIVE_TRADING: "true", TELEGRAM_WEBHOOK_DOMAIN: "bot.example.com" });
    expect(crossChecks.problems).toHaveLength(3);
    expect(crossChecks.message).not.toContain(TOKEN);
    expect(crossChecks.message).not.toContain(DISCORD_TOKEN);
  });
});

describe("rejected values that look like credentials are not echoed", () => {
  it("hides a bot token pasted into a chat-id variable and a Redis password", () => {
    const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
    let message = "";
    try {
      loadConfig({ TELEGRAM_CHAT_IDS: token, REDIS_URL: "http//:hunter2@redis" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/TELEGRAM_CHAT_IDS must be numeric chat ids/);
    expect(message).toMatch(/REDIS_URL must look like redis:\/\//);
    expect(message).not.toContain(token);
    expect(message).not.toContain("hunter2");
  });
});
